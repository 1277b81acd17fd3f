"""HTTP views for the case worker's actions on one conversation: take, assign,
transfer, status, mark read. The no-JavaScript path and the HTTP fallback of the
socket frames of the same names (docs/protocol.md): same services, same checks.

With ``Accept: application/json`` they answer like the socket (a ``done`` or an
``error`` frame); otherwise they redirect back to the conversation, or re-render it
with the errors next to the fields.
"""

from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.admin import messages as admin_messages

from buergerchat_wagtail.casework import workflow
from buergerchat_wagtail.conversations import payloads, receipts
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy
from buergerchat_wagtail.editor.forms import AssignForm, StatusForm, TakeForm, TransferForm
from buergerchat_wagtail.protocol.frames import PROTOCOL_VERSION, ProtocolError
from buergerchat_wagtail.views.admin.access import conversation_for, forbidden
from buergerchat_wagtail.views.admin.conversation import ConversationView
from buergerchat_wagtail.views.public.api import CONFLICT_CODES


def error_status(exc):
    if exc.code == "forbidden":
        return 403
    return 409 if exc.code in CONFLICT_CODES else 400


def json_error_code(field, form_code):
    """The protocol's code for a form error, as the socket would answer the same frame."""
    if field == "assignee":
        return "invalid_assignee"
    if field == "department":
        return "invalid_department"
    if field == "reason" and form_code in ("required", "reason_required"):
        return "reason_required"
    return "invalid_frame"


class ActionView(ConversationView):
    """Subclasses set ``form_class``, ``form_name``, ``action`` and define ``run(form)``."""

    http_method_names = ["post"]
    success_message = ""

    def post(self, request, *args, **kwargs):
        if not self.may(self.action):
            return forbidden(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            conversation = self.run(form)
        except ProtocolError as exc:
            if exc.code == "forbidden":
                return forbidden(self.request)
            if self.wants_json():
                return JsonResponse(exc.as_frame(), status=error_status(exc))
            form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
            return self.form_invalid(form)
        access = conversation_permission_policy.user_has_permission_for_instance(self.request.user, "view", conversation)
        if self.wants_json():
            return JsonResponse(
                {
                    "v": PROTOCOL_VERSION,
                    "type": "done",
                    "action": self.action,
                    "conversation": payloads.conversation_payload(conversation, payloads.STAFF),
                    "access": access,
                }
            )
        admin_messages.success(self.request, self.success_message)
        if not access:
            return redirect(self.index_url_name)
        return redirect(self.url_names["conversation"], conversation.pk)

    def form_invalid(self, form):
        if self.wants_json():
            field, errors = next(iter(form.errors.as_data().items()))
            error = errors[0]
            code = json_error_code(field, error.code)
            return JsonResponse(
                {
                    "v": PROTOCOL_VERSION,
                    "type": "error",
                    "code": code,
                    "detail": " ".join(error.messages),
                    "field": None if field == "__all__" else field,
                },
                status=400,
            )
        response = self.render_to_response(self.get_context_data(form=form))
        response.status_code = 400
        return response


class TakeView(ActionView):
    form_class = TakeForm
    form_name = "take_form"
    action = "take"

    @property
    def success_message(self):
        return _("You have taken this conversation.")

    def run(self, form):
        return workflow.take(self.conversation, self.request.user)


class AssignView(ActionView):
    form_class = AssignForm
    form_name = "assign_form"
    action = "assign"

    @property
    def success_message(self):
        return _("The assignment has been saved.")

    def run(self, form):
        assignee = form.cleaned_data["assignee"]
        return workflow.assign(self.conversation, self.request.user, assignee.pk if assignee else None)


class TransferView(ActionView):
    form_class = TransferForm
    form_name = "transfer_form"
    action = "transfer"

    @property
    def success_message(self):
        return _("The conversation has been passed on.")

    def run(self, form):
        return workflow.transfer(
            self.conversation, self.request.user, form.cleaned_data["department"].pk, form.cleaned_data["reason"]
        )


class StatusView(ActionView):
    form_class = StatusForm
    form_name = "status_form"
    action = "status"

    @property
    def success_message(self):
        return _("The status has been changed.")

    def run(self, form):
        return workflow.set_status(self.conversation, self.request.user, form.cleaned_data["status"])


@require_POST
def mark_read(request, pk):
    """HTTP fallback of the staff ``read`` frame: POST ``up_to`` (a message id)."""
    conversation = conversation_for(request.user, pk, "view")
    if conversation is None:
        return forbidden(request)
    try:
        up_to = int(request.POST.get("up_to", ""))
        if not 1 <= up_to < 2**63:
            raise ValueError
    except ValueError:
        return JsonResponse(
            {"v": PROTOCOL_VERSION, "type": "error", "code": "invalid_request", "detail": _("Invalid parameter: up_to.")},
            status=400,
        )
    stored = receipts.mark_read_by_staff(conversation, request.user, up_to)
    return JsonResponse(
        {"v": PROTOCOL_VERSION, "type": "read", "conversation": conversation.pk, "reader": "staff", "up_to": stored}
    )
