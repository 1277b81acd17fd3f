"""The readiness panel on the Wagtail dashboard: per department, what is still
missing before citizens can chat, each with a link to the screen that fixes it
(for users who may open that screen). Without any department: an empty state that
leads to "Abteilung einrichten"."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from wagtail.admin.ui.components import Component
from wagtail.models import Site

from buergerchat_wagtail.editor import readiness as checks
from buergerchat_wagtail.editor import setup
from buergerchat_wagtail.models import Department


def _url(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def fixes(state, user):
    """[{"code", "text", "link", "url"}] for what ``state`` misses; ``url`` is empty
    when ``user`` may not open the screen that fixes it."""
    department = state.department
    may = user.has_perm
    rows = []
    for code in state.missing:
        if code == checks.NO_OFFICE_HOURS:
            text = _("No office hours: the chat counts as staffed at all times.")
            link = _("Choose office hours")
            url = _url("wagtailsnippets_buergerchat_department:edit", department.pk) if may("buergerchat.change_department") else ""
        elif code == checks.EMPTY_OFFICE_HOURS:
            text = _("The office hours “%(name)s” contain no times.") % {"name": department.office_hours.name}
            link = _("Enter times")
            url = (
                _url("wagtailsnippets_buergerchat_officehours:edit", department.office_hours_id)
                if may("buergerchat.change_officehours")
                else ""
            )
        elif code == checks.NO_CASE_WORKERS:
            text = _("Nobody is in the answering group “%(group)s”.") % {"group": department.group.name}
            link = _("Add users to the group")
            url = _url("wagtailusers_users:index") if may("auth.change_user") else ""
        elif code == checks.PAGE_NOT_PUBLISHED:
            page = state.drafts[0]
            text = _("The page “%(page)s” with the chat is not published.") % {"page": page.get_admin_display_title()}
            link = _("Edit and publish the page")
            url = _url("wagtailadmin_pages:edit", page.pk) if page.permissions_for_user(user).can_edit() else ""
        elif code == checks.NO_PAGE:
            text = _("No published page has a chat block for this department.")
            link = _("Add the chat block to a page")
            url = _url("wagtailadmin_explore_root") if may("wagtailadmin.access_admin") else ""
        else:  # checks.NO_PRIVACY_PAGE
            text = _("The chat has no published privacy notice page.")
            link = _("Choose the privacy notice page")
            site = Site.objects.filter(is_default_site=True).first()
            url = (
                _url("wagtailsettings:edit", "buergerchat", "buergerchatsitesettings", site.pk)
                if site is not None and may("buergerchat.change_buergerchatsitesettings")
                else ""
            )
        rows.append({"code": code, "text": text, "link": link, "url": url})
    return rows


def may_see_readiness(user):
    return setup.may_set_up(user) or user.has_perm("buergerchat.change_department")


class ReadinessPanel(Component):
    name = "buergerchat_readiness"
    template_name = "buergerchat_wagtail/admin/readiness_panel.html"
    order = 60

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        user = request.user
        states = checks.readiness(Department.objects.all())
        departments = [
            {
                "department": state.department,
                "fixes": fixes(state, user),
                "url": _url("wagtailsnippets_buergerchat_department:edit", state.department.pk)
                if user.has_perm("buergerchat.change_department")
                else "",
            }
            for state in states
        ]
        return {
            "request": request,
            "departments": departments,
            "ready_count": sum(1 for d in departments if not d["fixes"]),
            "setup_url": _url("buergerchat_setup:index") if setup.may_set_up(user) else "",
        }
