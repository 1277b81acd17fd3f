""""Abteilung einrichten": one form that creates a department with its answering
group, office hours, case workers and (optionally) a page with the chat block; then
a summary that links to the normal snippet screens for later changes."""

from django.db import DatabaseError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from buergerchat_wagtail.editor import readiness as readiness_checks
from buergerchat_wagtail.editor import setup
from buergerchat_wagtail.models import Department
from buergerchat_wagtail.views.admin.access import forbidden
from buergerchat_wagtail.views.admin.readiness import fixes
from buergerchat_wagtail.views.admin.setup_forms import DepartmentSetupForm, HoursFormSet, initial_hours


class SetupMenuItem(MenuItem):
    def is_shown(self, request):
        return setup.may_set_up(request.user)


class SetupView(WagtailAdminTemplateMixin, View):
    template_name = "buergerchat_wagtail/admin/setup.html"
    page_title = gettext_lazy("Set up a department")
    header_icon = "group"
    done_url_name = None

    def dispatch(self, request, *args, **kwargs):
        if not setup.may_set_up(request.user):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def forms(self, data=None):
        page_type = setup.chat_page_type()
        form = DepartmentSetupForm(data, user=self.request.user, page_type=page_type)
        hours = HoursFormSet(data, prefix="hours", initial=None if data is not None else initial_hours())
        return form, hours

    def render(self, form, hours, status=200):
        context = self.get_context_data(form=form, hours=hours, action_url=self.request.path)
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.render(*self.forms())

    def post(self, request):
        form, hours = self.forms(request.POST)
        if not (form.is_valid() and hours.is_valid()):
            messages.validation_error(request, _("The department could not be set up. Please correct the errors below."), form)
            return self.render(form, hours, status=400)
        try:
            result = setup.set_up_department(form.setup(hours), request.user)
        except (DatabaseError, setup.SetupError) as exc:
            # Nothing was created (one transaction); say so next to the form.
            messages.error(request, _("The department could not be set up; nothing was saved. (%(error)s)") % {"error": exc})
            return self.render(form, hours, status=400)
        messages.success(
            request, _("The department “%(name)s” has been set up.") % {"name": result.department.name}
        )
        return redirect(reverse(self.done_url_name, args=[result.department.pk]))


class SetupDoneView(WagtailAdminTemplateMixin, View):
    """What was set up and what is still missing, with the screens to change it."""

    template_name = "buergerchat_wagtail/admin/setup_done.html"
    page_title = gettext_lazy("Department set up")
    header_icon = "group"
    index_url_name = None

    def dispatch(self, request, *args, **kwargs):
        if not (setup.may_set_up(request.user) or request.user.has_perm("buergerchat.change_department")):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": _("Set up a department")},
            {"url": "", "label": self.department.name},
        ]

    def get_page_subtitle(self):
        return self.department.name

    def get(self, request, pk):
        self.department = get_object_or_404(Department.objects.select_related("group", "office_hours"), pk=pk)
        state = readiness_checks.readiness(Department.objects.filter(pk=pk))[0]
        context = self.get_context_data(
            department=self.department,
            state=state,
            fixes=fixes(state, request.user),
            links=created_links(self.department, state, request.user),
            setup_url=reverse(self.index_url_name),
        )
        return TemplateResponse(request, self.template_name, context)


def created_links(department, state, user):
    """The normal admin screens of what was created (only those the user may open)."""
    links = [
        (_("Department"), department.name, reverse("wagtailsnippets_buergerchat_department:edit", args=[department.pk]),
         user.has_perm("buergerchat.change_department")),
        (_("Answering group"), department.group.name, reverse("wagtailusers_groups:edit", args=[department.group_id]),
         user.has_perm("auth.change_group")),
    ]
    if department.office_hours_id:
        links.append(
            (_("Office hours"), department.office_hours.name,
             reverse("wagtailsnippets_buergerchat_officehours:edit", args=[department.office_hours_id]),
             user.has_perm("buergerchat.change_officehours"))
        )
    for page in state.pages + state.drafts:
        links.append((_("Page"), page.get_admin_display_title(), reverse("wagtailadmin_pages:edit", args=[page.pk]),
                      page.permissions_for_user(user).can_edit()))
    return [{"label": label, "title": title, "url": url if allowed else ""} for label, title, url, allowed in links]


class SetupViewSet(ViewSet):
    name = "buergerchat_setup"
    url_prefix = "buergerchat/setup"
    icon = "group"
    menu_label = gettext_lazy("Set up a department")
    menu_order = 150
    menu_item_class = SetupMenuItem

    def get_urlpatterns(self):
        index = self.get_url_name("index")
        return [
            path("", SetupView.as_view(done_url_name=self.get_url_name("done")), name="index"),
            path("<int:pk>/", SetupDoneView.as_view(index_url_name=index), name="done"),
        ]
