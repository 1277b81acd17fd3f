"""Form widgets of the Bürgerchat's admin filters."""

from django.utils.translation import gettext as _
from wagtail.admin.filters import DateRangePickerWidget


class LabelledDateRangeWidget(DateRangePickerWidget):
    """Wagtail's date range picker with an accessible name on each of its two inputs
    ("Archiviert, von" / "Archiviert, bis"): Wagtail labels the pair as a whole and
    gives the inputs only placeholders, which are not names (WCAG 1.3.1, 4.1.2)."""

    def __init__(self, attrs=None, label=""):
        super().__init__(attrs)
        self.label = label

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        names = (_("%(field)s, from"), _("%(field)s, to"))
        for subwidget, text in zip(context["widget"]["subwidgets"], names):
            subwidget["attrs"]["aria-label"] = text % {"field": self.label}
        return context
