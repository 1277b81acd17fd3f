"""The forms of "Abteilung einrichten": the department, its office hours as editable
rows (a formset), its case workers and an optional page with the chat block.

Plain browser inputs (``type=time``, selects, checkboxes): Wagtail's date/time and
chooser widgets start themselves with inline scripts, which the strict CSP blocks."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from buergerchat_wagtail.editor import setup
from buergerchat_wagtail.models import Department, GermanState, Weekday
from buergerchat_wagtail.models.validators import validate_no_control_characters

NO_PAGE = ""
DRAFT = "draft"
PUBLISH = "publish"


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self):
        super().__init__(format="%H:%M")


class HoursRowForm(forms.Form):
    """One row: a weekday or a range of weekdays, and the times."""

    first_day = forms.TypedChoiceField(label=_("First day"), choices=Weekday.choices, coerce=int, required=False)
    last_day = forms.TypedChoiceField(
        label=_("Last day"),
        choices=[("", _("(only this day)")), *Weekday.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    opens = forms.TimeField(label=_("Opens at"), widget=TimeInput(), required=False)
    closes = forms.TimeField(label=_("Closes at"), widget=TimeInput(), required=False)

    def is_blank(self):
        data = getattr(self, "cleaned_data", {})
        return data.get("opens") is None and data.get("closes") is None

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens"), cleaned.get("closes")
        if self.errors or (opens is None and closes is None):
            return cleaned  # a blank row is skipped
        if opens is None:
            self.add_error("opens", _("Enter the opening time."))
        elif closes is None:
            self.add_error("closes", _("Enter the closing time."))
        elif opens >= closes:
            self.add_error("closes", _("The closing time must be after the opening time."))
        if cleaned.get("first_day") is None:
            self.add_error("first_day", _("Choose a weekday."))
        return cleaned


class BaseHoursFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        rows = [
            (f.cleaned_data["first_day"], f.cleaned_data["last_day"], f.cleaned_data["opens"], f.cleaned_data["closes"])
            for f in self.forms
            if not self._should_delete_form(f) and not f.is_blank()
        ]
        self.ranges = setup.expand_hours(rows)
        days = setup.overlapping_days(self.ranges)
        if days:
            raise forms.ValidationError(
                _("The times on %(days)s overlap. Change or remove one of the rows.")
                % {"days": ", ".join(str(Weekday(day).label) for day in days)},
                code="overlap",
            )


HoursFormSet = forms.formset_factory(HoursRowForm, formset=BaseHoursFormSet, extra=1, can_delete=True, max_num=30)


def initial_hours():
    return [
        {"first_day": first, "last_day": None if last == first else last, "opens": opens, "closes": closes}
        for first, last, opens, closes in setup.DEFAULT_HOURS
    ]


class ParentPageField(forms.ModelChoiceField):
    def label_from_instance(self, page):
        return "– " * max(page.depth - 2, 0) + page.get_admin_display_title()


class UserField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        name = user.get_full_name()
        username = user.get_username()
        return f"{name} ({username})" if name else username


class DepartmentSetupForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the department"),
        max_length=100,
        validators=[validate_no_control_characters],
        help_text=_("Shown to citizens, e.g. “Ordnungsamt”."),
    )
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=100,
        required=False,
        help_text=_("Short name used in addresses and exports. Empty: made from the name."),
    )
    description = forms.CharField(
        label=_("Short description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[validate_no_control_characters],
        help_text=_("One or two sentences on what the department helps with."),
    )
    greeting = forms.CharField(
        label=_("Greeting"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("First message the citizen sees after starting a chat, e.g. “Guten Tag, wie können wir helfen?”"),
    )
    email = forms.EmailField(
        label=_("Notification e-mail"),
        required=False,
        help_text=_("Address for notifications. Notifications never contain message text."),
    )
    group_name = forms.CharField(
        label=_("Name of the answering group"),
        max_length=150,
        required=False,
        validators=[validate_no_control_characters],
        help_text=_(
            "A new user group: its members see and answer the department's conversations. Empty: the department's name."
        ),
    )
    case_workers = UserField(
        label=_("Case workers"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Existing users who answer in this department. More can be added later under Settings → Users."),
    )
    hours_name = forms.CharField(
        label=_("Name of the office hours"),
        max_length=100,
        required=False,
        validators=[validate_no_control_characters],
        help_text=_("For editors. Empty: the department's name."),
    )
    holiday_state = forms.ChoiceField(
        label=_("Public holidays of"),
        choices=[("", _("(none)")), *GermanState.choices],
        required=False,
        help_text=_("Closed on the public holidays of this state."),
    )
    page = forms.ChoiceField(
        label=_("Page with the chat"),
        choices=[(NO_PAGE, _("No page now")), (DRAFT, _("Create a draft")), (PUBLISH, _("Create and publish"))],
        required=False,
        widget=forms.RadioSelect,
        initial=NO_PAGE,
    )
    page_title = forms.CharField(
        label=_("Page title"),
        max_length=255,
        required=False,
        help_text=_("Empty: the department's name."),
    )
    page_parent = ParentPageField(
        label=_("Parent page"),
        queryset=None,
        required=False,
        empty_label=_("Choose a page"),
        help_text=_("The new page is created below this page."),
    )

    def __init__(self, *args, user, page_type, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.page_type = page_type
        if setup.may_add_case_workers(user):
            User = get_user_model()
            self.fields["case_workers"].queryset = User.objects.filter(is_active=True).order_by(
                "first_name", "last_name", User.USERNAME_FIELD
            )
        else:
            del self.fields["case_workers"]
        parents = setup.possible_parents(user, page_type)
        if page_type is None or not parents.exists():
            for name in ("page", "page_title", "page_parent"):
                del self.fields[name]
        else:
            self.fields["page_parent"].queryset = parents

    @property
    def offers_page(self):
        return "page" in self.fields

    @property
    def offers_case_workers(self):
        return "case_workers" in self.fields

    def clean_slug(self):
        slug = self.cleaned_data.get("slug") or slugify(self.cleaned_data.get("name") or "")[:100]
        if slug and Department.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("A department with the slug “%(slug)s” already exists.") % {"slug": slug})
        return slug

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("name")
        if name and not cleaned.get("slug") and "slug" not in self.errors:
            self.add_error("slug", _("Enter a slug (the name gives none)."))
        group_name = cleaned.get("group_name") or name
        if group_name:
            cleaned["group_name"] = group_name
            if Group.objects.filter(name=group_name).exists():
                self.add_error(
                    "group_name",
                    _("A user group named “%(name)s” already exists. Choose another name for the answering group.")
                    % {"name": group_name},
                )
        if self.offers_page and cleaned.get("page"):
            parent = cleaned.get("page_parent")
            if parent is None:
                self.add_error("page_parent", _("Choose the page below which the new page is created."))
            elif cleaned["page"] == PUBLISH and not parent.permissions_for_user(self.user).can_publish_subpage():
                self.add_error("page", _("You may not publish pages below “%(page)s”. Create a draft.") % {"page": parent.title})
        return cleaned

    def setup(self, hours_formset):
        data = self.cleaned_data
        create_page = self.offers_page and bool(data.get("page"))
        return setup.Setup(
            name=data["name"],
            slug=data["slug"],
            group_name=data["group_name"],
            description=data.get("description", ""),
            greeting=data.get("greeting", ""),
            email=data.get("email", ""),
            hours_name=data.get("hours_name") or data["name"],
            holiday_state=data.get("holiday_state", ""),
            hours=hours_formset.ranges,
            case_workers=list(data.get("case_workers") or []),
            page_parent=data.get("page_parent") if create_page else None,
            page_title=data.get("page_title") or data["name"],
            publish=create_page and data.get("page") == PUBLISH,
        )
