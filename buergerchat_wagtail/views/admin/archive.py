"""The archive in the Wagtail admin ("Bürgerchat → Archiv"): archived PDF/A
transcripts of the user's departments, filtered by department and date,
searchable by subject and reference. Every download is written to Wagtail's log.
Subjects are encrypted at rest, so they are matched after decryption (as in the inbox)."""

import django_filters
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSet

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations.permissions import (
    conversation_permission_policy,
    transcript_permission_policy,
)
from buergerchat_wagtail.files import transcripts
from buergerchat_wagtail.models import Transcript
from buergerchat_wagtail.views.admin.access import forbidden
from buergerchat_wagtail.views.admin.widgets import LabelledDateRangeWidget


def _local(value):
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M") if value else ""


class ArchiveFilterSet(WagtailFilterSet):
    department = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Department"),
        queryset=lambda request: conversation_permission_policy.departments_for_user(request.user),
    )
    created_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Archived"), widget=LabelledDateRangeWidget(label=gettext_lazy("Archived"))
    )
    conversation_started_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Conversation started"),
        widget=LabelledDateRangeWidget(label=gettext_lazy("Conversation started")),
    )

    class Meta:
        model = Transcript
        fields = ["department", "created_at", "conversation_started_at"]


class ArchiveIndexView(generic.IndexView):
    model = Transcript
    page_title = gettext_lazy("Archive")
    header_icon = "folder-inverse"
    paginate_by = 50
    default_ordering = "-created_at"
    any_permission_required = ["view"]
    permission_policy = transcript_permission_policy
    filterset_class = ArchiveFilterSet
    search_fields = ["reference"]
    search_backend_name = None
    is_searchable = True
    download_url_name = None

    def search_queryset(self, queryset):
        """The reference is matched in the database, the encrypted subject after
        decryption over the newest ``SUBJECT_SEARCH_LIMIT`` transcripts the user may see."""
        if not self.is_searchable or not self.search_query:
            return queryset
        term = self.search_query.strip()
        folded = term.casefold()
        candidates = queryset.order_by("-created_at", "-pk").values_list("pk", "subject")[
            : buergerchat_settings.SUBJECT_SEARCH_LIMIT
        ]
        subject_ids = [pk for pk, subject in candidates if folded in (subject or "").casefold()]
        return queryset.filter(Q(reference__icontains=term) | Q(pk__in=subject_ids))

    def dispatch(self, request, *args, **kwargs):
        if not transcript_permission_policy.user_has_permission(request.user, "view"):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        return transcript_permission_policy.instances_user_has_permission_for(self.request.user, "view").select_related(
            "department", "created_by"
        )

    def get_valid_orderings(self):
        return ["created_at", "-created_at", "conversation_started_at", "-conversation_started_at", "reference", "-reference"]

    @cached_property
    def columns(self):
        return [
            TitleColumn("reference", label=_("Reference"), url_name=self.download_url_name, sort_key="reference"),
            Column("subject", label=_("Subject")),
            Column("department", label=_("Department"), accessor="department.name"),
            Column(
                "conversation_started_at",
                label=_("Conversation started"),
                accessor=lambda t: _local(t.conversation_started_at),
                sort_key="conversation_started_at",
            ),
            Column("created_at", label=_("Archived"), accessor=lambda t: _local(t.created_at), sort_key="created_at"),
            Column("message_count", label=_("Messages")),
            Column("size", label=_("Size"), accessor=lambda t: filesizeformat(t.size)),
        ]


@require_GET
def download(request, pk):
    transcript = Transcript.objects.archived().filter(pk=pk).first()
    # Unknown ids get the same 403 as other departments' records: ids reveal nothing.
    if transcript is None or not transcript_permission_policy.user_has_permission_for_instance(
        request.user, "view", transcript
    ):
        return forbidden(request)
    response = transcripts.transcript_response(transcript)
    transcripts.record_download(transcript, request.user)
    return response


class ArchiveMenuItem(MenuItem):
    def is_shown(self, request):
        return transcript_permission_policy.user_has_permission(request.user, "view")


class ArchiveViewSet(ViewSet):
    name = "buergerchat_archive"
    url_prefix = "buergerchat-archive"
    icon = "folder-inverse"
    menu_label = gettext_lazy("Archive")
    menu_order = 150
    menu_item_class = ArchiveMenuItem

    def get_urlpatterns(self):
        options = {
            "index_url_name": self.get_url_name("index"),
            "index_results_url_name": self.get_url_name("index_results"),
            "download_url_name": self.get_url_name("download"),
        }
        return [
            path("", ArchiveIndexView.as_view(**options), name="index"),
            path("results/", ArchiveIndexView.as_view(results_only=True, **options), name="index_results"),
            path("<int:pk>/download/", download, name="download"),
        ]
