"""Staff actions on one conversation that concern its data: export (Art. 15 GDPR),
erase (Art. 17) and the audit history (closing, which starts the retention period,
is in staff_actions.py).
Every action is checked against the permission policy and recorded in Wagtail's log."""

import django_filters
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django.views.generic import View
from wagtail.admin import messages as admin_messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.history import HistoryFilterSet, HistoryView

from buergerchat_wagtail.conversations import audit, payloads
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy
from buergerchat_wagtail.models import Conversation
from buergerchat_wagtail.privacy import rights
from buergerchat_wagtail.views.admin.access import conversation_for, forbidden
from buergerchat_wagtail.views.admin.widgets import DateRangeInputs


@require_GET
def export_conversation(request, pk):
    """Download everything stored about the conversation as JSON (for an access request)."""
    conversation = conversation_for(request.user, pk, "export")
    if conversation is None:
        return forbidden(request)
    audit.log(conversation, audit.EXPORT, user=request.user)
    response = JsonResponse(
        rights.export_document(conversation, payloads.STAFF, request), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = f'attachment; filename="{rights.export_filename(conversation)}"'
    response["Cache-Control"] = "no-store"
    return response


class EraseView(WagtailAdminTemplateMixin, View):
    """Confirm, then erase the conversation with all its messages (and files)."""

    template_name = "buergerchat_wagtail/admin/erase.html"
    header_icon = "bin"
    page_title = gettext_lazy("Erase conversation")
    index_url_name = None
    conversation_url_name = None

    def dispatch(self, request, pk):
        self.conversation = conversation_for(request.user, pk, "erase")
        if self.conversation is None:
            return forbidden(request)
        return super().dispatch(request, pk)

    def get_page_subtitle(self):
        return self.conversation.reference

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": _("Inbox")},
            {"url": reverse(self.conversation_url_name, args=[self.conversation.pk]), "label": self.conversation.reference},
            {"url": "", "label": _("Erase")},
        ]

    def get(self, request, pk):
        context = self.get_context_data(
            conversation=self.conversation,
            message_count=self.conversation.messages.count(),
            cancel_url=reverse(self.conversation_url_name, args=[self.conversation.pk]),
        )
        return TemplateResponse(request, self.template_name, context)

    def post(self, request, pk):
        reference = self.conversation.reference
        rights.staff_erase(self.conversation, user=request.user)
        admin_messages.success(request, _("Conversation %(reference)s has been erased.") % {"reference": reference})
        return redirect(reverse(self.index_url_name))


class ConversationHistoryFilterSet(HistoryFilterSet):
    # Wagtail's date range picker initialises itself with an inline script, which a
    # strict Content Security Policy blocks; the browser's own date input needs none.
    timestamp = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Date"), widget=DateRangeInputs(gettext_lazy("Date"))
    )


class ConversationHistoryView(HistoryView):
    """Wagtail's history listing for one conversation: who opened, answered,
    exported or closed it, and when."""

    model = Conversation
    permission_policy = conversation_permission_policy
    any_permission_required = ["view"]
    header_icon = "history"
    filterset_class = ConversationHistoryFilterSet

    def setup(self, request, *args, **kwargs):
        # Check before Wagtail loads the object (which would answer 404 for a missing id).
        self.allowed = conversation_for(request.user, kwargs.get("pk"), "view") is not None
        if self.allowed:
            super().setup(request, *args, **kwargs)
        else:
            View.setup(self, request, *args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        if not self.allowed:
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.object.reference

    @property
    def header_buttons(self):
        return []
