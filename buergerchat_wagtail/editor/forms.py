import re
import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.core import signing
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy
from buergerchat_wagtail.editor.topics import verified_topics
from buergerchat_wagtail.models import ConversationStatus, ConversationTag, Department
from buergerchat_wagtail.protocol.frames import REASON_MAX_LENGTH, ProtocolError, clean_body, clean_reason

WIDGET_ID_RE = re.compile(r"^[a-z0-9]{1,16}$")


class BodyField(forms.CharField):
    """Message text, cleaned by the same rule as socket and HTTP API frames."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4}))
        super().__init__(strip=False, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return value
        try:
            return clean_body(value)
        except ProtocolError as exc:
            raise forms.ValidationError(exc.detail, code=exc.code) from None

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["maxlength"] = str(buergerchat_settings.MAX_MESSAGE_LENGTH)
        return attrs


class StartConversationForm(forms.Form):
    """The citizen's start form, rendered server-side with crispy-forms."""

    text = BodyField(
        label=_("Your concern"),
        help_text=_("Describe briefly what you need. Please do not enter passwords or bank details."),
        error_messages={"required": _("Please describe your concern.")},
    )
    name = forms.CharField(label=_("Name (optional)"), max_length=100, required=False)
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Please enter a valid e-mail address, e.g. name@example.org.")},
    )
    # Opt-in e-mail notices (conversations/notifications.py): offered only with an
    # address (the widget hides the box until one is entered; the form checks it).
    notify = forms.BooleanField(
        label=_("Notify me by e-mail when an answer is there"),
        required=False,
        help_text=_(
            "We use your e-mail address only for this notice. It contains no message text, only the department "
            "and a link back to the conversation. Each e-mail has a link to stop the notices."
        ),
    )
    privacy = forms.BooleanField(
        required=True,
        error_messages={"required": _("Please confirm that you have read the privacy notice.")},
    )
    privacy_page = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    # The privacy page id signed by the server when it rendered the block: the version
    # the citizen confirmed is recorded from it, so it cannot be swapped by the client.
    privacy_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)
    # The page the chat is on: the "an answer is waiting" e-mail points back to it.
    page = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)
    widget_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=16)
    # Topics: the block's signed topic list and the citizen's choice (an index).
    topic = forms.TypedChoiceField(
        label=_("Your concern is about"),
        coerce=int,
        required=False,
        error_messages={"required": _("Please choose a topic."), "invalid_choice": _("Please choose a topic.")},
    )
    topics = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)

    def __init__(self, *args, privacy_url=None, widget_id="", action="", topics_token="", **kwargs):
        widget_id = widget_id if WIDGET_ID_RE.match(widget_id or "") else "chat"
        kwargs.setdefault("auto_id", f"bc-{widget_id}-%s")
        super().__init__(*args, **kwargs)
        self.fields["widget_id"].initial = widget_id
        if self.is_bound:
            topics_token = self.data.get("topics") or ""
        self.topic_list = verified_topics(topics_token)
        if self.topic_list:
            self.fields["topics"].initial = topics_token
            self.fields["topic"].required = True
            self.fields["topic"].choices = [("", _("Please choose"))] + [
                (index, topic["label"]) for index, topic in enumerate(self.topic_list)
            ]
            self.order_fields(["topic"])
        else:
            del self.fields["topic"]
            del self.fields["topics"]
        if privacy_url:
            link = format_html(
                '<a href="{}" target="_blank" rel="noopener">{}<span class="bc-visually-hidden"> ({})</span></a>',
                privacy_url,
                _("privacy notice"),
                _("opens in a new window"),
            )
            # The translated sentence is trusted markup; only {link} is inserted into it.
            self.fields["privacy"].label = format_html(str(_("I have read the {link}")), link=link)
        else:
            self.fields["privacy"].label = _("I have read the privacy notice")
        self.fields["text"].widget.attrs.update({"autocomplete": "off"})
        self.fields["name"].widget.attrs.update({"autocomplete": "name"})
        self.fields["email"].widget.attrs.update({"autocomplete": "email", "data-bc-email": ""})
        self.fields["notify"].widget.attrs.update({"data-bc-notify": ""})
        self.helper = FormHelper(self)
        self.helper.form_action = action
        self.helper.form_method = "post"
        # No CSRF token: it would set a cookie before the citizen consents (see views/citizen.py).
        self.helper.disable_csrf = True
        self.helper.attrs = {"data-bc-start-form": "", "novalidate": ""}
        self.helper.add_input(Submit("start", _("Start chat"), css_class="bc-button"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("notify") and not cleaned.get("email") and "email" not in self.errors:
            self.add_error("notify", _("Please enter your e-mail address to be notified."))
        return cleaned

    def clean_privacy_token(self):
        return verified_privacy_page_id(self.cleaned_data.get("privacy_token") or "")

    def posted_topic(self):
        """The chosen topic of a bound form (from the signed list), or ``None``; usable
        before ``is_valid()``: the start endpoint routes by it."""
        if not self.is_bound or not self.topic_list:
            return None
        try:
            index = int(self.data.get("topic", ""))
        except (TypeError, ValueError):
            return None
        return self.topic_list[index] if 0 <= index < len(self.topic_list) else None
    def clean_page(self):
        """A live, public page or nothing (an unknown id is ignored, not an error)."""
        page_id = self.cleaned_data.get("page")
        if not page_id:
            return None
        return Page.objects.live().public().filter(pk=page_id).first()

    def clean_widget_id(self):
        value = self.cleaned_data.get("widget_id") or ""
        return value if WIDGET_ID_RE.match(value) else "chat"


PRIVACY_TOKEN_SALT = "buergerchat.privacy-page"


def privacy_token(page_id):
    return signing.dumps(int(page_id), salt=PRIVACY_TOKEN_SALT)


def verified_privacy_page_id(token):
    """The page id in a token from :func:`privacy_token`, or ``None``."""
    if not token:
        return None
    try:
        value = signing.loads(token, salt=PRIVACY_TOKEN_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) and value > 0 else None
class JoinQueueForm(StartConversationForm):
    """The start form of a consultation session: the concern is the citizen's question."""

    publish = forms.BooleanField(required=False)

    def __init__(self, *args, public_qa=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = _("Your question")
        self.fields["text"].error_messages["required"] = _("Please enter your question.")
        if public_qa:
            self.fields["publish"].label = _(
                "My question and the answer may be published on this page after the consultation hour "
                "(without my name)."
            )
        else:
            del self.fields["publish"]
        del self.fields["notify"]  # a consultation hour is live: no notices
        self.helper.layout = Layout(*self.fields)
        self.helper.inputs = []
        self.helper.add_input(Submit("start", _("Join the queue"), css_class="bc-button"))


class ReplyForm(forms.Form):
    """The case worker's reply box; the client id makes a repeated POST harmless.
    ``kind`` "note" stores an internal note that only staff see."""

    KIND_REPLY = "reply"
    KIND_NOTE = "note"

    kind = forms.ChoiceField(
        label=_("Write"),
        choices=[(KIND_REPLY, _("Reply to the citizen")), (KIND_NOTE, _("Internal note (staff only)"))],
        widget=forms.RadioSelect,
        initial=KIND_REPLY,
        required=False,
    )
    body = BodyField(label=_("Reply"), error_messages={"required": _("Please enter a message.")})
    client_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("client_id", uuid.uuid4())
        super().__init__(*args, **kwargs)

    def clean_kind(self):
        return self.cleaned_data.get("kind") or self.KIND_REPLY

    @property
    def is_note(self):
        return self.cleaned_data.get("kind") == self.KIND_NOTE


class ConversationActionForm(forms.Form):
    """A staff action on one conversation (the no-JavaScript and HTTP fallback of the
    socket frames); ``conversation`` and ``user`` decide the choices."""

    id_prefix = "bc-action"

    def __init__(self, *args, conversation, user, **kwargs):
        self.conversation = conversation
        self.user = user
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


class TakeForm(ConversationActionForm):
    id_prefix = "bc-take"


class AssignForm(ConversationActionForm):
    id_prefix = "bc-assign"
    assignee = forms.ModelChoiceField(
        label=_("Assigned to"), queryset=None, required=False, empty_label=_("Nobody")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        field.queryset = conversation_permission_policy.assignable_users(self.conversation, self.user)
        field.label_from_instance = lambda user: user.get_full_name() or user.get_username()
        field.initial = self.conversation.assignee_id


class TransferForm(ConversationActionForm):
    id_prefix = "bc-transfer"
    department = forms.ModelChoiceField(label=_("New department"), queryset=None, empty_label=None)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For your colleagues. The citizen is only told which department takes over."),
        error_messages={"required": _("Please give a reason for the transfer.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.active().exclude(pk=self.conversation.department_id)

    def clean_reason(self):
        try:
            return clean_reason(self.cleaned_data["reason"])
        except ProtocolError as exc:
            raise forms.ValidationError(exc.detail, code=exc.code) from None


class TagsForm(ConversationActionForm):
    """The conversation's tags: ticked are kept or added, unticked removed."""

    id_prefix = "bc-tags"
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["tags"]
        field.queryset = ConversationTag.objects.filter(department_id=self.conversation.department_id)
        field.initial = list(self.conversation.tags.values_list("pk", flat=True))


class StatusForm(ConversationActionForm):
    id_prefix = "bc-status"
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(s.value, s.label) for s in ConversationStatus if s != ConversationStatus.NEW],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        if self.conversation.status == ConversationStatus.NEW:
            # "new" cannot be set; show it without preselecting another status.
            field.choices = [("", ConversationStatus.NEW.label)] + list(field.choices)
        field.initial = self.conversation.status
