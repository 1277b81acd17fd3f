"""The Bürgerchat report: a Wagtail ``ReportView`` per department and period, with
weekly SVG charts and spreadsheet export (Wagtail's ``SpreadsheetExportMixin``)."""

import datetime

import django_filters
from django import forms
from django.urls import path
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView
from wagtail.admin.viewsets.base import ViewSet

from buergerchat_wagtail.conversations.payloads import staff_display_name
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy
from buergerchat_wagtail.models import Conversation
from buergerchat_wagtail.reports import charts
from buergerchat_wagtail.reports import figures as reporting
from buergerchat_wagtail.reports.business_time import BERLIN
from buergerchat_wagtail.views.admin.access import forbidden
from buergerchat_wagtail.views.admin.widgets import DateRangeInputs

#: The longest period one report covers.
MAX_PERIOD_DAYS = 2 * 366
DEFAULT_WEEKS = 12


def format_duration(seconds):
    """A duration for people: "45 min", "3 h 05 min", "2 d 4 h"."""
    if seconds is None:
        return "–"
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(hours, 24)
    return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}


def format_percent(share):
    return "–" if share is None else f"{round(share * 100)} %"  # noqa: RUF001


def format_rating(figures):
    if figures.rating_average is None:
        return "–"
    return _("%(average)s (%(count)d ratings)") % {
        "average": number_format(figures.rating_average, 1),
        "count": figures.rating_count,
    }


def as_date(value):
    """django-filter's date range gives aware datetimes (start and end of the day)."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value, BERLIN).date() if timezone.is_aware(value) else value.date()
    return value


def default_period(today=None):
    today = today or timezone.now().astimezone(BERLIN).date()
    return reporting.monday(today) - datetime.timedelta(weeks=DEFAULT_WEEKS - 1), today


class ReportFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        period = cleaned.get("period")
        start, stop = (period.start, period.stop) if period else (None, None)
        if start and stop:
            if start > stop:
                raise forms.ValidationError(_("The period must not end before it starts."))
            if (stop - start).days > MAX_PERIOD_DAYS:
                raise forms.ValidationError(_("Please choose a period of at most two years."))
        return cleaned


class ReportFilterSet(WagtailFilterSet):
    department = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Department"),
        queryset=lambda request: conversation_permission_policy.departments_for_user(request.user),
        empty_label=gettext_lazy("All my departments"),
    )
    period = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Period (conversations started)"),
        widget=DateRangeInputs(gettext_lazy("Period (conversations started)")),
        method="filter_period",
    )

    class Meta:
        model = Conversation
        fields = ["department", "period"]
        form = ReportFilterForm

    def filter_period(self, queryset, name, value):
        return queryset  # the period is applied by the report (it also lays out the weeks)




class ConversationReportView(ReportView):
    template_name = "buergerchat_wagtail/admin/report.html"
    results_template_name = "buergerchat_wagtail/admin/report_results.html"
    page_title = gettext_lazy("Bürgerchat report")
    header_icon = "table"
    filterset_class = ReportFilterSet
    paginate_by = None
    export_filename = "buergerchat-report"
    list_export = [
        "label",
        "week_start",
        "started",
        "answered",
        "first_response_median_minutes",
        "first_response_p90_minutes",
        "resolution_median_minutes",
        "answered_within_office_hours_percent",
        "rating_average",
        "rating_count",
        "auto_assigned",
    ]

    @cached_property
    def export_headings(self):
        return {
            "label": _("Week"),
            "week_start": _("Week starting"),
            "started": _("Started"),
            "answered": _("Answered"),
            "auto_assigned": _("Assigned automatically"),
            "first_response_median_minutes": _("First response, median (minutes)"),
            "first_response_p90_minutes": _("First response, 90th percentile (minutes)"),
            "resolution_median_minutes": _("Resolution, median (minutes)"),
            "answered_within_office_hours_percent": _("Answered within office hours (%)"),
            "rating_average": _("Satisfaction, average (1–5)"),
            "rating_count": _("Ratings"),
        }

    @cached_property
    def columns(self):
        return [
            Column("label", label=_("Week"), accessor=lambda f: f.label),
            Column("started", label=_("Started"), accessor="started"),
            Column("answered", label=_("Answered"), accessor="answered"),
            Column("auto_assigned", label=_("Assigned automatically"), accessor="auto_assigned"),
            Column("first_response_median", label=_("First response (median)"), accessor=lambda f: format_duration(f.first_response_median)),
            Column("first_response_p90", label=_("First response (90 %)"), accessor=lambda f: format_duration(f.first_response_p90)),
            Column("resolution_median", label=_("Resolution (median)"), accessor=lambda f: format_duration(f.resolution_median)),
            Column("within_office_hours", label=_("Answered within office hours"), accessor=lambda f: format_percent(f.answered_within_office_hours_share)),
            Column("rating", label=_("Satisfaction"), accessor=format_rating),
        ]

    def dispatch(self, request, *args, **kwargs):
        if not conversation_permission_policy.user_has_permission(request.user, "view"):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        return conversation_permission_policy.instances_user_has_permission_for(self.request.user, "view")

    @cached_property
    def period(self):
        """The chosen period, or the last 12 weeks (also when the choice is invalid)."""
        date_from, date_to = default_period()
        if self.filters and self.filters.is_valid():
            value = self.filters.form.cleaned_data.get("period")
            if value and value.start:
                date_from = as_date(value.start)
            if value and value.stop:
                date_to = as_date(value.stop)
            if date_from > date_to or (date_to - date_from).days > MAX_PERIOD_DAYS:
                date_from, date_to = default_period()
        return date_from, date_to

    def get_filename(self):
        date_from, date_to = self.period
        return f"{self.export_filename}-{date_from:%Y%m%d}-{date_to:%Y%m%d}"

    def get_filtered_queryset(self):
        departments = {d.pk: d for d in conversation_permission_policy.departments_for_user(self.request.user)}
        self.departments = departments
        self.report = reporting.build(
            self.filter_queryset(self.get_queryset()),
            departments,
            *self.period,
            total_label=_("Total"),
            name_of=staff_display_name,
        )
        if self.is_export:
            return self.report.weeks + [self.report.total]
        return self.report.weeks

    def report_departments(self):
        """The departments the report covers: the chosen one, else all of the user's."""
        chosen = self.filters.form.cleaned_data.get("department") if self.filters and self.filters.is_valid() else None
        if chosen:
            return [d for d in self.departments.values() if d.pk == getattr(chosen, "pk", chosen)]
        return list(self.departments.values())

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        weeks = self.report.weeks
        labels = [week.week_start.strftime("%d.%m.") for week in weeks]
        context.update(
            report=self.report,
            total=self.report.total,
            assignee_rows=[
                (
                    figures.label,
                    figures.started,
                    figures.auto_assigned,
                    figures.answered,
                    format_duration(figures.first_response_median),
                )
                for figures in self.report.assignees
            ],
            total_rows=[
                (_("Conversations started"), self.report.total.started),
                (_("Answered"), self.report.total.answered),
                (_("Assigned automatically"), self.report.total.auto_assigned),
                (_("First response, median"), format_duration(self.report.total.first_response_median)),
                (_("First response, 90th percentile"), format_duration(self.report.total.first_response_p90)),
                (_("Resolution, median"), format_duration(self.report.total.resolution_median)),
                (_("Answered within office hours"), format_percent(self.report.total.answered_within_office_hours_share)),
                (_("Satisfaction (1–5)"), format_rating(self.report.total)),
            ],
            # The report counts plain elapsed time (business_time.py); it says so, and
            # promises office hours only where none are configured yet.
            office_hours_configured=any(d.office_hours_id for d in self.report_departments()),
            filter_errors=self.filters.form.non_field_errors() if self.filters and self.filters.is_bound else [],
            volume_chart=charts.bar_chart(
                labels,
                [[w.started for w in weeks], [w.answered for w in weeks]],
                title=_("Conversations per week"),
                description=_("Started and answered conversations per week; the table below lists the same numbers."),
                series_names=[_("Started"), _("Answered")],
                integer=True,
            ),
            response_chart=charts.bar_chart(
                labels,
                [[w.first_response_median_minutes for w in weeks]],
                title=_("First response per week (median, minutes)"),
                description=_("Median time to the first answer per week, in minutes; the table below lists it too."),
                series_names=[_("Minutes")],
            ),
        )
        return context


class ReportMenuItem(MenuItem):
    def is_shown(self, request):
        return conversation_permission_policy.user_has_permission(request.user, "view")


class ReportViewSet(ViewSet):
    name = "buergerchat_report"
    url_prefix = "buergerchat/report"
    icon = "table"
    menu_label = gettext_lazy("Report")
    menu_order = 300
    menu_item_class = ReportMenuItem

    def get_urlpatterns(self):
        kwargs = {
            "index_url_name": self.get_url_name("index"),
            "index_results_url_name": self.get_url_name("index_results"),
        }
        return [
            path("", ConversationReportView.as_view(**kwargs), name="index"),
            path("results/", ConversationReportView.as_view(results_only=True, **kwargs), name="index_results"),
        ]
