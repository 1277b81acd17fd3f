"""The staff inbox in the Wagtail admin: a listing of the user's departments'
conversations, the menu item with its "citizens waiting" badge."""

import logging
from functools import partial

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.ui.sidebar import LinkMenuItem as LinkMenuItemComponent
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, Column, StatusTagColumn, TitleColumn
from wagtail.admin.views import generic

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations import payloads
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy
from buergerchat_wagtail.models import (
    Conversation,
    ConversationStatus,
    ConversationTag,
    Message,
    ReadMarker,
    SavedInboxView,
    SenderType,
)
from buergerchat_wagtail.models.conversations import citizens_waiting_q
from buergerchat_wagtail.views.admin.access import forbidden
from buergerchat_wagtail.views.admin.saved_views import saved_views_context

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


class TagsColumn(Column):
    """The conversation's tags (prefetched with the page's rows)."""

    cell_template_name = "buergerchat_wagtail/admin/_tag_cell.html"

    def get_value(self, instance):
        return list(instance.tags.all())

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["tags"] = context["value"]
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


class TagChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.department.name})"


class TagFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = TagChoiceField


def tags_for(request):
    """The tags of the user's departments."""
    department_ids = conversation_permission_policy.department_ids_for_user(request.user)
    return ConversationTag.objects.for_departments(department_ids).select_related("department")


def with_any_tag(queryset, tags):
    """Conversations that carry one of ``tags`` (a subquery: no duplicate rows)."""
    through = Conversation.tags.through.objects.filter(conversationtag__in=tags).values("conversation_id")
    return queryset.filter(pk__in=through)


class ConversationFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), choices=ConversationStatus.choices)
    department = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Department"), queryset=lambda request: conversation_permission_policy.departments_for_user(request.user)
    )
    assignee = django_filters.ChoiceFilter(label=gettext_lazy("Assigned to"), method="filter_assignee")
    waiting = django_filters.BooleanFilter(label=gettext_lazy("Citizen waiting for an answer"), method="filter_waiting")
    tag = TagFilter(
        label=gettext_lazy("Tags (any of them)"), queryset=tags_for, method="filter_tags", widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Conversation
        fields = ["status", "department", "assignee", "waiting", "tag"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["assignee"].extra["choices"] = lambda: colleague_choices(request)

    def filter_assignee(self, queryset, name, value):
        if value == ASSIGNEE_ME:
            return queryset.filter(assignee=self.request.user)
        if value == ASSIGNEE_NOBODY:
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=value)

    def filter_tags(self, queryset, name, value):
        return with_any_tag(queryset, value) if value else queryset

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
    return queryset.select_related("department", "assignee").prefetch_related("tags").annotate(
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
    save_view_url_name = None

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
            BulkActionsCheckboxColumn("bulk_actions", obj_type="conversation"),
            TitleColumn(
                "subject",
                label=_("Subject"),
                url_name=self.conversation_url_name,
                get_title_id=lambda c: f"conversation_{c.pk}_title",
            ),
            TagsColumn("tags", label=_("Tags")),
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
        context.update(saved_views_context(self.request, self.index_url_name, self.save_view_url_name))
        return context


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
