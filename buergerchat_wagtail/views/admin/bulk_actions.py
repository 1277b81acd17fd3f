"""Bulk actions on the inbox's selected conversations (Wagtail's bulk action framework):
assign, transfer, close, tag.

Each conversation is checked on its own: the permission policy sorts out those the
user may not change (they are counted, never named, and left as they are), and the
domain command checks again on the locked row and records the audit entry, exactly
as for one conversation (casework/workflow.py).
"""

import logging

from django import forms
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy
from wagtail.admin import messages
from wagtail.admin.views.bulk_action import BulkAction

from buergerchat_wagtail.casework import workflow
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy
from buergerchat_wagtail.models import Conversation, ConversationStatus, ConversationTag, Department
from buergerchat_wagtail.protocol.frames import REASON_MAX_LENGTH, ProtocolError, clean_reason
from buergerchat_wagtail.views.admin.access import forbidden
from buergerchat_wagtail.views.admin.inbox import ASSIGNEE_ME, ASSIGNEE_NOBODY, colleague_choices

logger = logging.getLogger(__name__)

#: At most this many conversations in one bulk action.
MAX_SELECTION = 200


class TagChoiceField(forms.ModelMultipleChoiceField):
    """Tags with their department, when the user works for several."""

    def __init__(self, *args, show_department=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.show_department = show_department

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.department.name})" if self.show_department else obj.name


def tag_choice_field(user, label, **kwargs):
    department_ids = conversation_permission_policy.department_ids_for_user(user)
    return TagChoiceField(
        label=label,
        queryset=ConversationTag.objects.for_departments(department_ids).select_related("department"),
        widget=forms.CheckboxSelectMultiple,
        show_department=len(department_ids) > 1,
        **kwargs,
    )


class ConversationBulkAction(BulkAction):
    """Subclasses set ``action_type``, ``permission_action`` (the policy's action),
    the texts, and ``apply(conversation, user, data)`` (one domain command)."""

    models = [Conversation]
    template_name = "buergerchat_wagtail/admin/bulk_action.html"
    permission_action = None
    action_button_text = ""
    question = ""
    done_message = ""  # ngettext_lazy(..., "count")

    class Inapplicable(Exception):
        """The action does not apply to this conversation (e.g. no tag of its department)."""

    def __init__(self, request, model):
        super().__init__(request, model)
        self.refused = 0

    def dispatch(self, request, *args, **kwargs):
        if not conversation_permission_policy.user_has_permission(request.user, self.permission_action):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    @classmethod
    def get_queryset(cls, model, object_ids):
        ids = sorted({int(value) for value in map(str, object_ids) if value.isascii() and value.isdigit() and len(value) < 19})
        return list(model.objects.filter(pk__in=ids[:MAX_SELECTION]).select_related("department", "assignee"))

    def get_all_objects_in_listing_query(self, parent_id):
        # The inbox offers no "select all in listing"; if asked, only what the user may see.
        return conversation_permission_policy.instances_user_has_permission_for(self.request.user, "view").values_list(
            "pk", flat=True
        )

    def check_perm(self, obj):
        return conversation_permission_policy.user_has_permission_for_instance(
            self.request.user, self.permission_action, obj
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def object_context(self, obj):
        return {"item": obj, "url": reverse("buergerchat_inbox:conversation", args=[obj.pk])}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            header_title=self.display_name,
            question=self.question,
            action_button_text=self.action_button_text,
            action_button_class="serious" if "serious" in self.classes else "",
            refused_count=len(context.get("items_with_no_access", [])),
        )
        context.pop("items_with_no_access", None)  # counted, never named
        return context

    def prepare_action(self, objects, objects_without_access):
        self.refused = len(objects_without_access["items_with_no_access"])

    def get_execution_context(self):
        return {"action": self, "user": self.request.user, "data": self.cleaned_form.cleaned_data}

    @classmethod
    def execute_action(cls, objects, action=None, user=None, data=None, **kwargs):
        done = not_changed = 0
        for conversation in objects:
            try:
                action.apply(conversation, user, data)
            except (ProtocolError, cls.Inapplicable) as exc:
                not_changed += 1
                logger.info(
                    "bulk %s refused for conversation %s (user %s): %s",
                    action.action_type,
                    conversation.pk,
                    user.pk,
                    getattr(exc, "code", "inapplicable"),
                )
            else:
                done += 1
        return done, not_changed

    def get_success_message(self, num_parent_objects, num_child_objects):
        not_changed = num_child_objects + self.refused
        if not_changed:
            messages.warning(
                self.request,
                ngettext(
                    "%(count)d selected conversation was not changed: you may not change it, or the action does not apply to it.",
                    "%(count)d selected conversations were not changed: you may not change them, or the action does not apply to them.",
                    not_changed,
                )
                % {"count": not_changed},
            )
        return self.done_message % {"count": num_parent_objects}


class CloseForm(forms.Form):
    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=gettext_lazy("Assign to"))

    def __init__(self, *args, user=None, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = colleague_choices(request)


class TransferForm(forms.Form):
    department = forms.ModelChoiceField(label=gettext_lazy("New department"), queryset=Department.objects.none())
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("For your colleagues. The citizen is only told which department takes over."),
        error_messages={"required": gettext_lazy("Please give a reason for the transfer.")},
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.active().order_by("name")

    def clean_reason(self):
        try:
            return clean_reason(self.cleaned_data["reason"])
        except ProtocolError as exc:
            raise forms.ValidationError(exc.detail, code=exc.code) from None


class TagForm(forms.Form):
    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["add"] = tag_choice_field(user, _("Add tags"), required=False)
        self.fields["remove"] = tag_choice_field(user, _("Remove tags"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("add") and not data.get("remove"):
            raise forms.ValidationError(_("Please choose tags to add or to remove."))
        return data


class CloseBulkAction(ConversationBulkAction):
    display_name = gettext_lazy("Close")
    action_type = "close"
    aria_label = gettext_lazy("Close the selected conversations")
    action_priority = 30
    permission_action = "status"
    form_class = CloseForm
    action_button_text = gettext_lazy("Yes, close")
    question = gettext_lazy("Close these conversations? Each citizen is told in the chat.")
    done_message = ngettext_lazy("%(count)d conversation closed.", "%(count)d conversations closed.", "count")

    def apply(self, conversation, user, data):
        workflow.set_status(conversation, user, ConversationStatus.CLOSED)


class AssignBulkAction(ConversationBulkAction):
    display_name = gettext_lazy("Assign")
    action_type = "assign"
    aria_label = gettext_lazy("Assign the selected conversations")
    action_priority = 10
    permission_action = "assign"
    form_class = AssignForm
    action_button_text = gettext_lazy("Assign")
    question = gettext_lazy("Who should take care of these conversations?")
    done_message = ngettext_lazy("%(count)d conversation assigned.", "%(count)d conversations assigned.", "count")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def apply(self, conversation, user, data):
        choice = data["assignee"]
        assignee_id = user.pk if choice == ASSIGNEE_ME else None if choice == ASSIGNEE_NOBODY else int(choice)
        workflow.assign(conversation, user, assignee_id)


class TransferBulkAction(ConversationBulkAction):
    display_name = gettext_lazy("Transfer")
    action_type = "transfer"
    aria_label = gettext_lazy("Transfer the selected conversations to another department")
    action_priority = 20
    permission_action = "transfer"
    form_class = TransferForm
    action_button_text = gettext_lazy("Transfer")
    question = gettext_lazy("Pass these conversations on to another department? Each citizen is told which department takes over.")
    done_message = ngettext_lazy("%(count)d conversation transferred.", "%(count)d conversations transferred.", "count")

    def apply(self, conversation, user, data):
        workflow.transfer(conversation, user, data["department"].pk, data["reason"])


class TagBulkAction(ConversationBulkAction):
    display_name = gettext_lazy("Change tags")
    action_type = "tag"
    aria_label = gettext_lazy("Add or remove tags on the selected conversations")
    action_priority = 40
    permission_action = "tag"
    form_class = TagForm
    action_button_text = gettext_lazy("Save tags")
    question = gettext_lazy("Tags are added to or removed from each conversation of the tag's department.")
    done_message = ngettext_lazy("Tags changed on %(count)d conversation.", "Tags changed on %(count)d conversations.", "count")

    def apply(self, conversation, user, data):
        add = [tag.pk for tag in data["add"] if tag.department_id == conversation.department_id]
        remove = [tag.pk for tag in data["remove"] if tag.department_id == conversation.department_id]
        if not add and not remove:
            raise self.Inapplicable()
        workflow.change_tags(conversation, user, add=add, remove=remove)


BULK_ACTIONS = [AssignBulkAction, TransferBulkAction, CloseBulkAction, TagBulkAction]
