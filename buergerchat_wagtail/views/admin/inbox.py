"""The staff inbox in the Wagtail admin: a listing of the user's departments'
conversations and one view per conversation with history, reply box, notes and the
case worker's actions (take, assign, transfer, status: see actions.py)."""

import logging
import uuid

from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView
from wagtail.admin import messages as admin_messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.ui.sidebar import LinkMenuItem as LinkMenuItemComponent
from wagtail.admin.ui.tables import Column, StatusTagColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
import django_filters
from functools import partial

from buergerchat_wagtail.conversations import audit, canned, payloads, receipts, services
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.editor.forms import AssignForm, ReplyForm, StatusForm, TakeForm, TransferForm
from buergerchat_wagtail.models import Conversation, ConversationStatus, Message, ReadMarker, SenderType
from buergerchat_wagtail.models.conversations import citizens_waiting_q
from buergerchat_wagtail.conversations.ratelimit import RateLimited
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy
from buergerchat_wagtail.protocol.frames import PROTOCOL_VERSION, ProtocolError
from buergerchat_wagtail.views.admin import rights as rights_views
from buergerchat_wagtail.views.admin.access import conversation_for, forbidden

logger = logging.getLogger(__name__)


class WaitingColumn(Column):
    """How long the citizen has been waiting for an answer."""

    def get_value(self, instance):
        if instance.waiting_since is None:
            return ""
        return timesince(instance.waiting_since, timezone.now(), depth=1)


class UnreadColumn(Column):
    """How many messages the user has not read yet (a badge)."""

    cell_template_name = "buergerchat_wagtail/admin/_unread_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        count = instance.unread
        context["count"] = count
        context["label"] = ngettext("%(count)d unread message", "%(count)d unread messages", count) % {"count": count}
        return context


ASSIGNEE_ME = "me"
ASSIGNEE_NOBODY = "none"


def colleague_choices(request):
    """Assignee filter choices: me, nobody, and the colleagues of the user's departments."""
    User = get_user_model()
    department_ids = conversation_permission_policy.department_ids_for_user(request.user)
    colleagues = (
        User.objects.filter(is_active=True, groups__buergerchat_departments__in=department_ids)
        .exclude(pk=request.user.pk)
        .distinct()
        .order_by("first_name", "last_name", User.USERNAME_FIELD)
    )
    return [(ASSIGNEE_ME, _("Me")), (ASSIGNEE_NOBODY, _("Nobody"))] + [
        (str(user.pk), user.get_full_name() or user.get_username()) for user in colleagues
    ]


class ConversationFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), choices=ConversationStatus.choices)
    department = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Department"), queryset=lambda request: conversation_permission_policy.departments_for_user(request.user)
    )
    assignee = django_filters.ChoiceFilter(label=gettext_lazy("Assigned to"), method="filter_assignee")
    waiting = django_filters.BooleanFilter(label=gettext_lazy("Citizen waiting for an answer"), method="filter_waiting")

    class Meta:
        model = Conversation
        fields = ["status", "department", "assignee", "waiting"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["assignee"].extra["choices"] = lambda: colleague_choices(request)

    def filter_assignee(self, queryset, name, value):
        if value == ASSIGNEE_ME:
            return queryset.filter(assignee=self.request.user)
        if value == ASSIGNEE_NOBODY:
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=value)

    def filter_waiting(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(citizens_waiting_q()) if value else queryset.exclude(citizens_waiting_q())


def unread_count(user):
    """Per conversation: messages after ``user``'s read marker that others wrote (no system events)."""
    marker = ReadMarker.objects.filter(user=user, conversation=OuterRef("conversation")).values("last_read_id")[:1]
    unread = (
        Message.objects.filter(conversation=OuterRef("pk"))
        .exclude(sender=SenderType.SYSTEM)
        .exclude(author=user)
        .filter(pk__gt=Coalesce(Subquery(marker), 0))
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(unread), 0)


def annotate_inbox_rows(queryset, user):
    """The per-row figures of the inbox: the last message (text and attachment name)
    and the number of unread messages for ``user``: three subqueries per row."""
    last = Message.objects.filter(conversation=OuterRef("pk")).exclude(sender=SenderType.SYSTEM).order_by("-pk")
    return queryset.select_related("department", "assignee").annotate(
        last_message_body=Subquery(last.values("body")[:1]),
        last_attachment_name=Subquery(last.values("attachment__name")[:1]),
        unread=unread_count(user),
    )


class InboxPaginator(WagtailPaginator):
    """Computes the per-row subqueries only for the rows of the page shown. With
    them in the paginated query, PostgreSQL evaluates them for every row skipped
    by the offset too: page 100 of 100,000 conversations took 0.5 s
    (docs/performance.md). The page is one query: the annotated rows whose ids the
    plain, ordered, sliced query selects (the listing's filters and ordering apply to
    that one)."""

    def __init__(self, object_list, per_page, *, annotate, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.annotate = annotate

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        page_ids = self.object_list.values("pk")[bottom:top]
        # A fresh query by primary key (not the filtered one again), so the database
        # looks up the page's rows instead of joining the whole listing once more.
        rows = self.object_list.model._default_manager.filter(pk__in=Subquery(page_ids))
        rows = self.annotate(rows.order_by(*self.object_list.query.order_by))
        return self._get_page(rows, number, self)


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
    next_url_name = None

    def dispatch(self, request, *args, **kwargs):
        if not conversation_permission_policy.user_has_permission(request.user, "view"):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        return conversation_permission_policy.instances_user_has_permission_for(self.request.user, "view").select_related(
            "department", "assignee"
        )

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        return InboxPaginator(
            queryset,
            per_page,
            orphans=orphans,
            allow_empty_first_page=allow_empty_first_page,
            annotate=partial(annotate_inbox_rows, user=self.request.user),
            **kwargs,
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
            Column("assignee", label=_("Assigned to"), accessor=lambda c: payloads.staff_display_name(c.assignee) if c.assignee_id else ""),
            UnreadColumn("unread", label=_("Unread")),
            WaitingColumn("waiting", label=_("Waiting")),
            Column("last_message", label=_("Last message"), accessor=lambda c: payloads.preview_text(c.last_message_body, c.last_attachment_name)),
            Column("last_activity_at", label=_("Last activity"), accessor=lambda c: timezone.localtime(c.last_activity_at).strftime("%d.%m.%Y %H:%M"), sort_key="last_activity_at"),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["socket_path"] = "/" + buergerchat_settings.WEBSOCKET_PATH + "staff/"
        context["next_url"] = reverse(self.next_url_name)
        context["resync_interval"] = buergerchat_settings.RESYNC_INTERVAL
        return context


def attachment_context(conversation):
    """What the conversation view needs for files, closing and archiving."""
    from buergerchat_wagtail.models import ConversationStatus as Status
    from buergerchat_wagtail.models import Transcript
    from buergerchat_wagtail.models.filetypes import labels, mime_type

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
                for name in ("take", "assign", "transfer", "status", "read")
            },
            next_url=reverse(self.url_names["next"]) + f"?after={conversation.pk}",
            index_url=reverse(self.index_url_name),
            may_reply=self.may("reply"),
            may_note=self.may("note"),
            canned_answers=canned.answers_for(conversation, self.request.user) if self.may("reply") else [],
            assignee_name=payloads.staff_display_name(conversation.assignee) if conversation.assignee_id else "",
            citizen_label=conversation.citizen_name or _("Citizen"),
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
                {
                    "v": PROTOCOL_VERSION,
                    "type": "ack",
                    "conversation": self.conversation.pk,
                    "client_id": str(message.client_id),
                    "duplicate": not created,
                    "message": payloads.message_payload(message, payloads.STAFF, department=self.conversation.department),
                },
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


def waiting_count(request):
    """Citizens waiting for an answer in the user's departments (once per request)."""
    if not hasattr(request, "_buergerchat_waiting"):
        request._buergerchat_waiting = (
            conversation_permission_policy.instances_user_has_permission_for(request.user, "view")
            .citizens_waiting()
            .count()
        )
    return request._buergerchat_waiting


def badge_attrs(request, label):
    """Menu item attributes for the "citizens waiting" badge (CSS draws the number)."""
    count = waiting_count(request)
    if not count:
        return {}
    return {
        "data-bc-waiting": str(count),
        "aria-label": ngettext(
            "%(label)s: %(count)d citizen waiting", "%(label)s: %(count)d citizens waiting", count
        )
        % {"label": label, "count": count},
    }


class InboxMenuItem(MenuItem):
    def is_shown(self, request):
        return conversation_permission_policy.user_has_permission(request.user, "view")

    def render_component(self, request):
        # Menu items are shared between requests: build the component, never mutate self.
        return LinkMenuItemComponent(
            self.name,
            self.label,
            self.url,
            icon_name=self.icon_name,
            classname=self.classname,
            attrs={**self.attrs, **badge_attrs(request, self.label)},
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


class InboxViewSet(ViewSet):
    name = "buergerchat_inbox"
    url_prefix = "buergerchat"
    icon = "comment"
    menu_label = gettext_lazy("Inbox")
    menu_order = 100
    menu_item_class = InboxMenuItem

    def get_urlpatterns(self):
        from buergerchat_wagtail.views.admin import actions, staff_actions
        index = self.get_url_name("index")
        conversation = self.get_url_name("conversation")
        url_names = {
            name: self.get_url_name(name)
            for name in ("conversation", "take", "assign", "transfer", "status", "read", "next")
        }
        view_kwargs = {
            "index_url_name": index,
            "messages_url_name": self.get_url_name("messages"),
            "url_names": url_names,
            "close_url_name": self.get_url_name("close"),
            "export_url_name": self.get_url_name("export"),
            "erase_url_name": self.get_url_name("erase"),
            "history_url_name": self.get_url_name("history"),
        }
        listing_kwargs = {
            "index_url_name": index,
            "index_results_url_name": self.get_url_name("index_results"),
            "conversation_url_name": conversation,
            "next_url_name": url_names["next"],
        }
        return [
            path("", InboxView.as_view(**listing_kwargs), name="index"),
            path("results/", InboxView.as_view(results_only=True, **listing_kwargs), name="index_results"),
            path(
                "next/",
                partial(next_conversation, index_url_name=index, conversation_url_name=conversation),
                name="next",
            ),
            path("conversations/<int:pk>/", ConversationView.as_view(**view_kwargs), name="conversation"),
            path("conversations/<int:pk>/messages/", conversation_messages, name="messages"),
            path("conversations/<int:pk>/take/", actions.TakeView.as_view(**view_kwargs), name="take"),
            path("conversations/<int:pk>/assign/", actions.AssignView.as_view(**view_kwargs), name="assign"),
            path("conversations/<int:pk>/transfer/", actions.TransferView.as_view(**view_kwargs), name="transfer"),
            path("conversations/<int:pk>/status/", actions.StatusView.as_view(**view_kwargs), name="status"),
            path("conversations/<int:pk>/read/", actions.mark_read, name="read"),
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
