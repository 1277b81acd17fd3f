"""The staff inbox in the Wagtail admin: a listing of the user's departments'
conversations and one view per conversation with history and reply box."""

import logging
import uuid

from django.db import DatabaseError
from django.db.models import OuterRef, Q, Subquery
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView
from wagtail.admin import messages as admin_messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, StatusTagColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
import django_filters

from .. import audit, payloads, services
from ..conf import buergerchat_settings
from ..forms import ReplyForm
from ..ratelimit import RateLimited
from ..models import Conversation, ConversationStatus, Department, Message, SenderType
from ..permissions import conversation_permission_policy
from ..protocol import PROTOCOL_VERSION, ProtocolError
from . import rights as rights_views
from .access import conversation_for, forbidden

logger = logging.getLogger(__name__)


class WaitingColumn(Column):
    """How long the citizen has been waiting for an answer."""

    def get_value(self, instance):
        if instance.waiting_since is None:
            return ""
        return timesince(instance.waiting_since, timezone.now(), depth=1)


class ConversationFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), choices=ConversationStatus.choices)
    department = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Department"), queryset=lambda request: conversation_permission_policy.departments_for_user(request.user)
    )

    class Meta:
        model = Conversation
        fields = ["status", "department"]


class InboxView(generic.IndexView):
    model = Conversation
    template_name = "buergerchat_wagtail/admin/inbox.html"
    page_title = gettext_lazy("Inbox")
    header_icon = "comment"
    paginate_by = 50
    default_ordering = "-last_activity_at"
    any_permission_required = ["view"]
    permission_policy = conversation_permission_policy
    filterset_class = ConversationFilterSet
    search_fields = ["subject", "reference"]
    search_backend_name = None
    is_searchable = True
    conversation_url_name = None

    def dispatch(self, request, *args, **kwargs):
        if not conversation_permission_policy.user_has_permission(request.user, "view"):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        last_message = Message.objects.filter(conversation=OuterRef("pk")).order_by("-pk").values("body")[:1]
        return (
            conversation_permission_policy.instances_user_has_permission_for(self.request.user, "view")
            .select_related("department")
            .annotate(
                last_message_body=Subquery(last_message),
                last_attachment_name=Subquery(
                    Message.objects.filter(conversation=OuterRef("pk")).order_by("-pk").values("attachment__name")[:1]
                ),
            )
        )

    def search_queryset(self, queryset):
        """Subjects are encrypted, so the database cannot search them: the reference is
        matched in the database, the subject after decryption in Python, over the newest
        ``SUBJECT_SEARCH_LIMIT`` conversations the user may see (docs/data-protection.md)."""
        if not self.is_searching:
            return queryset
        term = self.search_query.strip()
        folded = term.casefold()
        limit = buergerchat_settings.SUBJECT_SEARCH_LIMIT
        candidates = queryset.order_by("-last_activity_at", "-pk").values_list("pk", "subject")[:limit]
        subject_ids = [pk for pk, subject in candidates if folded in (subject or "").casefold()]
        return queryset.filter(Q(reference__icontains=term) | Q(pk__in=subject_ids))

    def get_valid_orderings(self):
        return ["last_activity_at", "-last_activity_at", "created_at", "-created_at", "waiting_since", "-waiting_since"]

    @cached_property
    def columns(self):
        return [
            TitleColumn("subject", label=_("Subject"), url_name=self.conversation_url_name),
            Column("department", label=_("Department"), accessor="department.name"),
            StatusTagColumn("status", label=_("Status"), accessor="get_status_display", primary=lambda c: c.status == ConversationStatus.NEW),
            WaitingColumn("waiting", label=_("Waiting")),
            Column("last_message", label=_("Last message"), accessor=lambda c: payloads.preview_text(c.last_message_body, c.last_attachment_name)),
            Column("last_activity_at", label=_("Last activity"), accessor=lambda c: timezone.localtime(c.last_activity_at).strftime("%d.%m.%Y %H:%M"), sort_key="last_activity_at"),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["socket_path"] = "/" + buergerchat_settings.WEBSOCKET_PATH + "staff/"
        context["resync_interval"] = buergerchat_settings.RESYNC_INTERVAL
        return context


def attachment_context(conversation):
    """What the conversation view needs for files, closing and archiving."""
    from ..models import ConversationStatus as Status
    from ..models import Transcript
    from ..models.filetypes import labels, mime_type

    department = conversation.department
    return {
        "upload_url": reverse("buergerchat_inbox:upload", args=[conversation.pk]),
        "close_url": reverse("buergerchat_inbox:close", args=[conversation.pk]),
        "archive_url": reverse("buergerchat_inbox:archive", args=[conversation.pk]),
        "upload_client_id": uuid.uuid4(),
        "is_closed": conversation.status == Status.CLOSED,
        "accept_types": ",".join(mime_type(kind) for kind in department.attachment_types),
        "allowed_types_label": labels(department.attachment_types),
        "max_attachment_mb": department.max_attachment_mb,
        "max_attachment_bytes": department.max_attachment_bytes,
        "archived_transcripts": list(Transcript.objects.archived().filter(conversation=conversation)[:5]),
    }


def _preview(text, length=payloads.PREVIEW_LENGTH):
    if not text:
        return ""
    return text if len(text) <= length else text[: length - 1] + "…"


@method_decorator(sensitive_post_parameters("body"), name="dispatch")
class ConversationView(WagtailAdminTemplateMixin, FormView):
    """History and reply box of one conversation. Works without JavaScript (the form
    posts); with JavaScript, the Stimulus controller sends over the socket."""

    template_name = "buergerchat_wagtail/admin/conversation.html"
    form_class = ReplyForm
    header_icon = "comment"
    index_url_name = None
    messages_url_name = None

    close_url_name = None
    export_url_name = None
    erase_url_name = None
    history_url_name = None

    def dispatch(self, request, pk):
        try:
            self.conversation = conversation_for(request.user, pk, "view")
            if self.conversation is None:
                return forbidden(request)
            return super().dispatch(request, pk)
        except DatabaseError:
            if not self.wants_json():
                raise
            # The client keeps the reply and sends it again with the same client id.
            logger.warning("database unavailable in the staff conversation view", exc_info=True)
            return JsonResponse(
                ProtocolError(
                    "unavailable", _("The server cannot store messages right now. Please try again shortly.")
                ).as_frame(),
                status=503,
            )

    def get(self, request, *args, **kwargs):
        audit.log(self.conversation, audit.VIEW, user=request.user)
        return super().get(request, *args, **kwargs)

    # The title shows the reference, not the subject: titles end up in browser history
    # and tab bars, and template debug logs print the context (the subject is shown in
    # the page body instead).
    def get_page_title(self):
        return self.conversation.reference

    def get_page_subtitle(self):
        return self.conversation.department.name

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": _("Inbox")},
            {"url": "", "label": self.conversation.reference},
        ]

    def wants_json(self):
        return "application/json" in self.request.headers.get("Accept", "")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        messages = services.messages_after(self.conversation, 0, limit=10_000)
        context.update(
            conversation=self.conversation,
            chat_messages=messages,
            last_id=messages[-1].pk if messages else 0,
            socket_path="/" + buergerchat_settings.WEBSOCKET_PATH + "staff/",
            resync_interval=buergerchat_settings.RESYNC_INTERVAL,
            messages_url=reverse(self.messages_url_name, args=[self.conversation.pk]),
            may_reply=self.may("reply"),
            may_close=self.may("close") and self.conversation.status != ConversationStatus.CLOSED,
            may_export=self.may("export"),
            may_erase=self.may("erase"),
            close_url=reverse(self.close_url_name, args=[self.conversation.pk]),
            export_url=reverse(self.export_url_name, args=[self.conversation.pk]),
            erase_url=reverse(self.erase_url_name, args=[self.conversation.pk]),
            history_url=reverse(self.history_url_name, args=[self.conversation.pk]),
        )
        context.update(attachment_context(self.conversation))
        return context

    def may(self, action):
        return conversation_permission_policy.user_has_permission_for_instance(
            self.request.user, action, self.conversation
        )

    def form_valid(self, form):
        if not conversation_permission_policy.user_has_permission_for_instance(
            self.request.user, "reply", self.conversation
        ):
            return forbidden(self.request)
        try:
            message, created = services.post_message(
                conversation=self.conversation,
                sender=SenderType.STAFF,
                body=form.cleaned_data["body"],
                client_id=form.cleaned_data["client_id"],
                author=self.request.user,
            )
        except RateLimited as exc:
            if self.wants_json():
                return JsonResponse({**exc.as_frame(), "field": "body"}, status=429)
            form.add_error("body", exc.detail)
            return super().form_invalid(form)
        if self.wants_json():
            return JsonResponse(
                {
                    "v": PROTOCOL_VERSION,
                    "type": "ack",
                    "conversation": self.conversation.pk,
                    "client_id": str(message.client_id),
                    "duplicate": not created,
                    "message": payloads.message_payload(message, payloads.STAFF),
                },
                status=201 if created else 200,
            )
        admin_messages.success(self.request, _("Your reply has been sent."))
        return redirect(self.request.path)

    def form_invalid(self, form):
        if self.wants_json():
            if "body" in form.errors:
                field, error = "body", form.errors.as_data()["body"][0]
                code = error.code if error.code in ("message_empty", "message_too_long") else "message_empty"
            else:
                field, error = "client_id", form.errors.as_data()["client_id"][0]
                code = "invalid_frame"
            return JsonResponse(
                {
                    "v": PROTOCOL_VERSION,
                    "type": "error",
                    "code": code,
                    "detail": " ".join(error.messages),
                    "field": field,
                },
                status=400,
            )
        return super().form_invalid(form)


def conversation_messages(request, pk):
    """HTTP fallback for the staff view: messages after an id, as JSON."""
    conversation = conversation_for(request.user, pk, "view")
    if conversation is None:
        return forbidden(request)
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        return JsonResponse(
            {"v": PROTOCOL_VERSION, "type": "error", "code": "invalid_request", "detail": _("Invalid parameter: after.")},
            status=400,
        )
    return JsonResponse(
        {
            "v": PROTOCOL_VERSION,
            "type": "messages",
            "conversation": conversation.pk,
            "messages": payloads.messages_payload(
                services.messages_after(conversation, after), payloads.STAFF, conversation
            ),
        }
    )


class InboxMenuItem(MenuItem):
    def is_shown(self, request):
        return conversation_permission_policy.user_has_permission(request.user, "view")


class InboxViewSet(ViewSet):
    name = "buergerchat_inbox"
    url_prefix = "buergerchat"
    icon = "comment"
    menu_label = gettext_lazy("Inbox")
    menu_order = 100
    menu_item_class = InboxMenuItem

    def get_urlpatterns(self):
        from . import staff_actions

        index = self.get_url_name("index")
        conversation = self.get_url_name("conversation")
        return [
            path(
                "",
                InboxView.as_view(
                    index_url_name=index,
                    index_results_url_name=self.get_url_name("index_results"),
                    conversation_url_name=conversation,
                ),
                name="index",
            ),
            path(
                "results/",
                InboxView.as_view(
                    index_url_name=index,
                    index_results_url_name=self.get_url_name("index_results"),
                    conversation_url_name=conversation,
                    results_only=True,
                ),
                name="index_results",
            ),
            path(
                "conversations/<int:pk>/",
                ConversationView.as_view(
                    index_url_name=index,
                    messages_url_name=self.get_url_name("messages"),
                    close_url_name=self.get_url_name("close"),
                    export_url_name=self.get_url_name("export"),
                    erase_url_name=self.get_url_name("erase"),
                    history_url_name=self.get_url_name("history"),
                ),
                name="conversation",
            ),
            path("conversations/<int:pk>/messages/", conversation_messages, name="messages"),
            path("conversations/<int:pk>/close/", staff_actions.close_conversation, name="close"),
            path("conversations/<int:pk>/export/", rights_views.export_conversation, name="export"),
            path(
                "conversations/<int:pk>/erase/",
                rights_views.EraseView.as_view(index_url_name=index, conversation_url_name=conversation),
                name="erase",
            ),
            path(
                "conversations/<int:pk>/history/",
                rights_views.ConversationHistoryView.as_view(
                    index_url_name=index,
                    edit_url_name=conversation,
                    history_url_name=self.get_url_name("history"),
                    history_results_url_name=self.get_url_name("history_results"),
                ),
                name="history",
            ),
            path(
                "conversations/<int:pk>/history/results/",
                rights_views.ConversationHistoryView.as_view(
                    index_url_name=index,
                    edit_url_name=conversation,
                    history_url_name=self.get_url_name("history"),
                    history_results_url_name=self.get_url_name("history_results"),
                    results_only=True,
                ),
                name="history_results",
            ),
            path("conversations/<int:pk>/attachments/", staff_actions.upload_attachment, name="upload"),
            path("conversations/<int:pk>/archive/", staff_actions.archive_conversation, name="archive"),
            path("attachments/<int:pk>/", staff_actions.download_attachment, name="attachment"),
        ]
