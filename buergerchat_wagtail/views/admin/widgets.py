"""Form widgets of the admin views."""

from django.utils.translation import pgettext_lazy
from django_filters.widgets import RangeWidget


class DateRangeInputs(RangeWidget):
    """Two ``<input type="date">``, each with its own visible label ("from", "to").

    Wagtail's date range picker starts with an inline script, which a strict Content
    Security Policy blocks, and labels its inputs only by placeholders; the browser's
    own date input needs no script. ``label`` names the range for screen readers
    ("Archived from", "Archived to"): a multi-input field's own label points nowhere.
    """

    template_name = "buergerchat_wagtail/admin/widgets/date_range.html"
    suffixes = ["from", "to"]  # the parameters Wagtail's date range picker used
    part_labels = (pgettext_lazy("date range", "from"), pgettext_lazy("date range", "to"))

    def __init__(self, label="", attrs=None):
        self.label = label
        super().__init__(attrs={"type": "date", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for subwidget, part in zip(context["widget"]["subwidgets"], self.part_labels):
            subwidget["part_label"] = part
        context["widget"]["range_label"] = self.label
        return context

