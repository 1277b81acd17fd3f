"""Office hours: a weekly schedule with any number of ranges per weekday, dated
exceptions and the public holidays of one German state (a Wagtail snippet).

All times are wall-clock times in Europe/Berlin; :mod:`buergerchat_wagtail.schedule`
turns them into instants, correctly across daylight-saving changes.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable
from wagtail.search import index

from buergerchat_wagtail.models.validators import validate_no_control_characters
#: An exception may span at most this many days (e.g. Christmas to New Year, summer closure).
MAX_EXCEPTION_DAYS = 366


class GermanState(models.TextChoices):
    """The 16 states; codes as used by the ``holidays`` library (ISO 3166-2:DE)."""

    BW = "BW", _("Baden-Württemberg")
    BY = "BY", _("Bavaria")
    BE = "BE", _("Berlin")
    BB = "BB", _("Brandenburg")
    HB = "HB", _("Bremen")
    HH = "HH", _("Hamburg")
    HE = "HE", _("Hesse")
    MV = "MV", _("Mecklenburg-Western Pomerania")
    NI = "NI", _("Lower Saxony")
    NW = "NW", _("North Rhine-Westphalia")
    RP = "RP", _("Rhineland-Palatinate")
    SL = "SL", _("Saarland")
    SN = "SN", _("Saxony")
    ST = "ST", _("Saxony-Anhalt")
    SH = "SH", _("Schleswig-Holstein")
    TH = "TH", _("Thuringia")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OfficeHours(index.Indexed, ClusterableModel):
    name = models.CharField(
        _("name"), max_length=100, help_text=_("For editors, e.g. “Bürgerchat Bauverwaltung”."), validators=[validate_no_control_characters]
    )
    holiday_state = models.CharField(
        _("public holidays of"),
        max_length=2,
        choices=GermanState.choices,
        blank=True,
        help_text=_("Closed on the public holidays of this state. Empty: public holidays are not observed."),
    )

    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        verbose_name = _("office hours")
        verbose_name_plural = _("office hours")
        ordering = ("name",)

    def __str__(self):
        return self.name


def _check_times(opens, closes):
    if opens is not None and closes is not None and opens >= closes:
        raise ValidationError({"closes": _("The closing time must be after the opening time.")})


class OfficeHoursRange(Orderable):
    """One opening range on one weekday; several per day make split shifts."""

    office_hours = ParentalKey(OfficeHours, on_delete=models.CASCADE, related_name="ranges")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta(Orderable.Meta):
        verbose_name = _("opening range")
        verbose_name_plural = _("opening ranges")

    def clean(self):
        _check_times(self.opens, self.closes)

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class OfficeHoursException(Orderable):
    """A dated exception: closed days (no times) or special opening hours (times).

    It covers ``start_date`` to ``end_date`` inclusive (one day without an end date) and
    replaces the weekly ranges and the public holidays on those days. Several rows with
    times for the same day add up; a closing row on a day wins over special hours.
    """

    office_hours = ParentalKey(OfficeHours, on_delete=models.CASCADE, related_name="exceptions")
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True, help_text=_("Inclusive. Empty: only the first day."))
    opens = models.TimeField(_("opens"), null=True, blank=True, help_text=_("Empty: closed on these days."))
    closes = models.TimeField(_("closes"), null=True, blank=True)
    note = models.CharField(
        _("note"), max_length=100, blank=True, help_text=_("For editors, e.g. “Betriebsausflug”."), validators=[validate_no_control_characters]
    )

    class Meta(Orderable.Meta):
        verbose_name = _("exception")
        verbose_name_plural = _("exceptions")

    @property
    def last_date(self):
        return self.end_date or self.start_date

    @property
    def closed(self):
        return self.opens is None

    def clean(self):
        errors = {}
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date must not be before the start date.")
        elif self.start_date and self.last_date - self.start_date > datetime.timedelta(days=MAX_EXCEPTION_DAYS):
            errors["end_date"] = _("An exception may cover at most %(days)d days.") % {"days": MAX_EXCEPTION_DAYS}
        if (self.opens is None) != (self.closes is None):
            errors["closes" if self.closes is None else "opens"] = _(
                "Enter both times for special opening hours, or neither for closed days."
            )
        if errors:
            raise ValidationError(errors)
        _check_times(self.opens, self.closes)

    def __str__(self):
        return self.note or str(self.start_date)
