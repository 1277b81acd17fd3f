"""One conversation in the staff inbox: history, reply box, notes and the case
worker's actions (take, assign, transfer, status: ``actions.py``)."""

import logging
import uuid

from django.db import DatabaseError
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView
from wagtail.admin import messages as admin_messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations import audit, canned, payloads, receipts, services
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy
from buergerchat_wagtail.conversations.ratelimit import RateLimited
from buergerchat_wagtail.editor.forms import AssignForm, ReplyForm, StatusForm, TagsForm, TakeForm, TransferForm
from buergerchat_wagtail.models import ConversationStatus as Status
from buergerchat_wagtail.models import SenderType, Transcript
from buergerchat_wagtail.models.filetypes import labels, mime_type
from buergerchat_wagtail.protocol.frames import ProtocolError, reply
from buergerchat_wagtail.views.admin.access import conversation_for, forbidden

logger = logging.getLogger(__name__)

def attachment_context(conversation):
    """What the conversation view needs for files, closing and archiving."""
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


def privacy_notice(conversation):
    """The privacy notice the citizen confirmed, for the header: its title (as it was
    then), the date of that version and the page's address; ``None`` without one.
    Without the page and the revision (both deleted) only the stored version text remains."""
    revision, page = conversation.privacy_revision, conversation.privacy_page
    if revision is None and page is None:
        return {"text": conversation.privacy_version} if conversation.privacy_version else None
    title = ""
    if revision is not None:
        title = (revision.content or {}).get("title") or ""
    if not title and page is not None:
        title = page.title
    return {
        "title": title or _("Privacy notice"),
        "date": revision.created_at if revision is not None else None,
        "url": page.url if page is not None and page.live else "",
    }


def _preview(text, length=payloads.PREVIEW_LENGTH):
    if not text:
        return ""
    return text if len(text) <= length else text[: length - 1] + "…"


@method_decorator(sensitive_post_parameters("body"), name="dispatch")
class ConversationView(WagtailAdminTemplateMixin, FormView):
    """History, reply box and actions of one conversation. Works without JavaScript
    (the forms post); with JavaScript, the Stimulus controller uses the socket.

    The action views in actions.py subclass it: a refused action re-renders this page
    with the errors next to the fields."""

    template_name = "buergerchat_wagtail/admin/conversation.html"
    form_class = ReplyForm
    form_name = "form"
    action = "view"
    header_icon = "comment"
    index_url_name = None
    messages_url_name = None
    url_names = None  # {"take": ..., "assign": ..., "transfer": ..., "status": ..., "read": ..., "next": ...}

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
        response = super().get(request, *args, **kwargs)
        # Opening the conversation reads it (unread count, the citizen's read receipt).
        receipts.mark_read_by_staff(self.conversation, request.user, self.last_message_id)
        audit.log(self.conversation, audit.VIEW, user=request.user)
        return response

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

    def may(self, action):
        return conversation_permission_policy.user_has_permission_for_instance(self.request.user, action, self.conversation)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.form_class is not ReplyForm:
            kwargs.update(conversation=self.conversation, user=self.request.user)
        return kwargs

    def action_forms(self):
        """Unbound forms for every action the user may take; the posted one replaces its own."""
        forms = {}
        kwargs = {"conversation": self.conversation, "user": self.request.user}
        if self.may("take") and self.conversation.assignee_id != self.request.user.pk:
            forms["take_form"] = TakeForm(**kwargs)
        if self.may("assign"):
            forms["assign_form"] = AssignForm(**kwargs)
        if self.may("status"):
            forms["status_form"] = StatusForm(**kwargs)
        if self.may("transfer"):
            forms["transfer_form"] = TransferForm(**kwargs)
        if self.may("tag"):
            tags_form = TagsForm(**kwargs)
            if tags_form.fields["tags"].queryset.exists():
                forms["tags_form"] = tags_form
        return forms

    def get_context_data(self, **kwargs):
        context = self.action_forms()
        if self.form_name != "form":
            context[self.form_name] = kwargs.pop("form", None) or self.get_form()
            kwargs["form"] = ReplyForm()
        context.update(super().get_context_data(**kwargs))
        messages = services.messages_after(self.conversation, 0, limit=10_000)
        for message in messages:
            message.display_body = payloads.display_body(message, payloads.STAFF)
        self.last_message_id = messages[-1].pk if messages else 0
        conversation = self.conversation
        context.update(
            conversation=conversation,
            chat_messages=messages,
            last_id=self.last_message_id,
            socket_path="/" + buergerchat_settings.WEBSOCKET_PATH + "staff/",
            resync_interval=buergerchat_settings.RESYNC_INTERVAL,
            messages_url=reverse(self.messages_url_name, args=[conversation.pk]),
            action_urls={
                name: reverse(self.url_names[name], args=[conversation.pk])
                for name in ("take", "assign", "transfer", "status", "tags", "read")
            },
            next_url=reverse(self.url_names["next"]) + f"?after={conversation.pk}",
            index_url=reverse(self.index_url_name),
            may_reply=self.may("reply"),
            may_note=self.may("note"),
            canned_answers=canned.answers_for(conversation, self.request.user) if self.may("reply") else [],
            assignee_name=payloads.staff_display_name(conversation.assignee) if conversation.assignee_id else "",
            citizen_label=conversation.citizen_name or _("Citizen"),
            privacy_notice=privacy_notice(conversation),
            may_export=self.may("export"),
            may_erase=self.may("erase"),
            close_url=reverse(self.close_url_name, args=[conversation.pk]),
            export_url=reverse(self.export_url_name, args=[conversation.pk]),
            erase_url=reverse(self.erase_url_name, args=[conversation.pk]),
            history_url=reverse(self.history_url_name, args=[conversation.pk]),
        )
        context.update(attachment_context(self.conversation))
        return context

    def form_valid(self, form):
        action = "note" if form.is_note else "reply"
        if not self.may(action):
            return forbidden(self.request)
        try:
            message, created = services.post_message(
                conversation=self.conversation,
                sender=SenderType.STAFF,
                body=form.cleaned_data["body"],
                client_id=form.cleaned_data["client_id"],
                author=self.request.user,
                internal=form.is_note,
            )
        except RateLimited as exc:
            if self.wants_json():
                return JsonResponse({**exc.as_frame(), "field": "body"}, status=429)
            form.add_error("body", exc.detail)
            return super().form_invalid(form)
        if self.wants_json():
            return JsonResponse(
                reply("ack", conversation=self.conversation.pk, client_id=str(message.client_id), duplicate=not created, message=payloads.message_payload(message, payloads.STAFF, department=self.conversation.department)),
                status=201 if created else 200,
            )
        admin_messages.success(self.request, _("Your note has been saved.") if form.is_note else _("Your reply has been sent."))
        return redirect(self.request.path)

    def form_invalid(self, form):
        if self.wants_json():
            if "body" in form.errors:
                field, error = "body", form.errors.as_data()["body"][0]
                code = error.code if error.code in ("message_empty", "message_too_long") else "message_empty"
            else:
                field, error = next(iter(form.errors.as_data().items()))
                error = error[0]
                code = "invalid_frame"
            return JsonResponse(
                reply("error", code=code, detail=" ".join(error.messages), field=field),
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
            reply("error", code="invalid_request", detail=_("Invalid parameter: after.")),
            status=400,
        )
    return JsonResponse(
        reply("messages", conversation=conversation.pk, messages=payloads.messages_payload(
                services.messages_after(conversation, after), payloads.STAFF, conversation
            ))
    )


def next_conversation(request, *, index_url_name, conversation_url_name):
    """Open the next conversation waiting for an answer (oldest first, not taken by a
    colleague), after the one given in ``?after=``; back to the inbox if none waits."""
    conversations = list(
        conversation_permission_policy.instances_user_has_permission_for(request.user, "view")
        .citizens_waiting()
        .filter(Q(assignee__isnull=True) | Q(assignee=request.user))
        .order_by("waiting_since", "pk")
        .values_list("pk", flat=True)[:500]
    )
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        after = 0
    if after in conversations:
        position = conversations.index(after)
        conversations = conversations[position + 1 :] + conversations[:position]
    if not conversations:
        admin_messages.info(request, _("No citizen is waiting for an answer."))
        return redirect(index_url_name)
    return redirect(conversation_url_name, conversations[0])
