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
from pydantic import ValidationError as PydanticValidationError
from wagtail.admin import messages as admin_messages

from buergerchat_wagtail.commands import staff as commands
from buergerchat_wagtail.editor.forms import AssignForm, StatusForm, TagsForm, TakeForm, TransferForm
from buergerchat_wagtail.protocol.frames import PROTOCOL_VERSION, STAFF_FRAMES, ProtocolError, http_status, reply
from buergerchat_wagtail.views.admin.access import conversation_for, forbidden
from buergerchat_wagtail.views.admin.conversation import ConversationView


def error_status(exc):
    return 403 if exc.code == "forbidden" else http_status(exc)


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
    """Subclasses set ``form_class``, ``form_name``, ``action`` and ``command`` (the
    staff command the socket calls for the same frame) and turn the form into the
    frame's fields in ``frame_data(form)``."""

    http_method_names = ["post"]
    success_message = ""
    permission = None  # the policy's action, if it is not named like the frame

    def post(self, request, *args, **kwargs):
        if not self.may(self.permission or self.action):
            return forbidden(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        frame = STAFF_FRAMES[self.action](
            v=PROTOCOL_VERSION, type=self.action, conversation=self.conversation.pk, **self.frame_data(form)
        )
        try:
            answer = self.command(self.request.user, frame)
        except ProtocolError as exc:
            if exc.code == "forbidden":
                return forbidden(self.request)
            if self.wants_json():
                return JsonResponse(exc.as_frame(), status=error_status(exc))
            form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
            return self.form_invalid(form)
        if self.wants_json():
            return JsonResponse(answer)
        admin_messages.success(self.request, self.success_message)
        if not answer["access"]:
            return redirect(self.index_url_name)
        return redirect(self.url_names["conversation"], self.conversation.pk)

    def form_invalid(self, form):
        if self.wants_json():
            field, errors = next(iter(form.errors.as_data().items()))
            error = errors[0]
            code = json_error_code(field, error.code)
            return JsonResponse(
                reply("error", code=code, detail=" ".join(error.messages), field=None if field == "__all__" else field),
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

    command = staticmethod(commands.take)

    def frame_data(self, form):
        return {}


class AssignView(ActionView):
    form_class = AssignForm
    form_name = "assign_form"
    action = "assign"

    @property
    def success_message(self):
        return _("The assignment has been saved.")

    command = staticmethod(commands.assign)

    def frame_data(self, form):
        assignee = form.cleaned_data["assignee"]
        return {"assignee": assignee.pk if assignee else None}


class TransferView(ActionView):
    form_class = TransferForm
    form_name = "transfer_form"
    action = "transfer"

    @property
    def success_message(self):
        return _("The conversation has been passed on.")

    command = staticmethod(commands.transfer)

    def frame_data(self, form):
        return {"department": form.cleaned_data["department"].pk, "reason": form.cleaned_data["reason"]}


class StatusView(ActionView):
    form_class = StatusForm
    form_name = "status_form"
    action = "status"

    @property
    def success_message(self):
        return _("The status has been changed.")

    command = staticmethod(commands.set_status)

    def frame_data(self, form):
        return {"status": form.cleaned_data["status"]}


class TagsView(ActionView):
    form_class = TagsForm
    form_name = "tags_form"
    action = "tags"
    permission = "tag"

    @property
    def success_message(self):
        return _("The tags have been saved.")

    command = staticmethod(commands.change_tags)

    def frame_data(self, form):
        current = set(self.conversation.tags.values_list("pk", flat=True))
        chosen = {tag.pk for tag in form.cleaned_data["tags"]}
        return {"add": sorted(chosen - current), "remove": sorted(current - chosen)}


@require_POST
def mark_read(request, pk):
    """HTTP fallback of the staff ``read`` frame: POST ``up_to`` (a message id)."""
    if conversation_for(request.user, pk, "view") is None:
        return forbidden(request)
    try:
        up_to = int(request.POST.get("up_to", ""))
        frame = STAFF_FRAMES["read"](v=PROTOCOL_VERSION, type="read", conversation=pk, up_to=up_to)
    except (ValueError, PydanticValidationError):
        return JsonResponse(reply("error", code="invalid_request", detail=_("Invalid parameter: up_to.")), status=400)
    return JsonResponse(commands.read(request.user, frame))
