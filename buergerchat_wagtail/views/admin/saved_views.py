"""Saved inbox views: a case worker names the inbox's current filters, for themselves
or shared with the colleagues of one of their departments. A view is the listing's
query string (only the inbox's own filter parameters), so opening it is a link, and the
live inbox refreshes with the same filters."""

from urllib.parse import urlencode

from django import forms
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin import messages

from buergerchat_wagtail.conversations.permissions import conversation_permission_policy
from buergerchat_wagtail.models import SavedInboxView
from buergerchat_wagtail.models.validators import validate_no_control_characters
from buergerchat_wagtail.views.admin.access import forbidden

#: The inbox's filter, search and ordering parameters: nothing else is saved.
VIEW_PARAMETERS = ("status", "department", "assignee", "waiting", "tag", "q", "ordering")
MAX_VIEWS_PER_USER = 50


def normalize_query(query):
    """The inbox parameters of ``query`` (a QueryDict or a query string), sorted, as a
    query string: the same filters always give the same string."""
    if isinstance(query, str):
        query = QueryDict(query.lstrip("?"))
    pairs = []
    for key in VIEW_PARAMETERS:
        for value in sorted(set(query.getlist(key))):
            value = value.strip()
            if value and len(value) <= 200:
                pairs.append((key, value))
    return urlencode(pairs)[:1000]


class SaveViewForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name of the view"),
        max_length=60,
        validators=[validate_no_control_characters],
        error_messages={"required": gettext_lazy("Please name the view.")},
    )
    shared_with = forms.ModelChoiceField(
        label=gettext_lazy("Visible to"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("Only me"),
    )
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)

    def __init__(self, *args, user=None, **kwargs):
        kwargs.setdefault("auto_id", "bc-view-%s")
        super().__init__(*args, **kwargs)
        self.fields["shared_with"].queryset = conversation_permission_policy.departments_for_user(user).order_by("name")
        self.fields["shared_with"].label_from_instance = lambda department: _("Colleagues of %(department)s") % {
            "department": department.name
        }


def visible_views(user):
    department_ids = conversation_permission_policy.department_ids_for_user(user)
    return SavedInboxView.objects.visible_to(user, department_ids)


def saved_views_context(request, index_url_name, save_url_name):
    index_url = reverse(index_url_name)
    current = normalize_query(request.GET)
    views = []
    for view in visible_views(request.user):
        views.append(
            {
                "view": view,
                "url": index_url + ("?" + view.query if view.query else ""),
                "current": view.query == current,
                "own": view.user_id == request.user.pk,
                "delete_url": reverse("buergerchat_inbox:delete_view", args=[view.pk]),
            }
        )
    return {
        "saved_views": views,
        "save_view_form": SaveViewForm(user=request.user, initial={"query": current}),
        "save_view_url": reverse(save_url_name) if save_url_name else "",
    }


@require_POST
def save_view(request):
    if not conversation_permission_policy.user_has_permission(request.user, "view"):
        return forbidden(request)
    form = SaveViewForm(request.POST, user=request.user)
    query = normalize_query(request.POST.get("query", ""))
    back = reverse("buergerchat_inbox:index") + ("?" + query if query else "")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    if SavedInboxView.objects.filter(user=request.user).count() >= MAX_VIEWS_PER_USER:
        messages.error(request, _("You have saved the most views possible. Please delete one first."))
        return redirect(back)
    view = SavedInboxView.objects.create(
        user=request.user, name=form.cleaned_data["name"], query=query, shared_with=form.cleaned_data["shared_with"]
    )
    if view.shared_with:
        messages.success(
            request,
            _("The view “%(name)s” has been saved for the colleagues of %(department)s.")
            % {"name": view.name, "department": view.shared_with.name},
        )
    else:
        messages.success(request, _("The view “%(name)s” has been saved.") % {"name": view.name})
    return redirect(back)


@require_POST
def delete_view(request, pk):
    """Only its owner deletes a view (shared ones too)."""
    view = get_object_or_404(SavedInboxView, pk=pk, user=request.user)
    view.delete()
    messages.success(request, _("The view “%(name)s” has been deleted.") % {"name": view.name})
    return redirect("buergerchat_inbox:index")
