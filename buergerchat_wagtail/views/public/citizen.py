"""Citizen HTTP endpoints that are not part of the JSON API: the start form."""

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from wagtail.models import Page

from buergerchat_wagtail.availability import state as availability
from buergerchat_wagtail.commands import citizen as commands
from buergerchat_wagtail.conversations import notifications, payloads, services
from buergerchat_wagtail.conversations.ratelimit import RateLimited, check_start, request_address
from buergerchat_wagtail.editor.forms import StartConversationForm
from buergerchat_wagtail.models import Department
from buergerchat_wagtail.protocol.frames import reply
from buergerchat_wagtail.views.private import private


def _privacy_url(request, raw_page_id):
    try:
        page_id = int(raw_page_id)
    except (TypeError, ValueError):
        return None
    page = Page.objects.live().public().filter(pk=page_id).first()
    return page.get_url(request) if page else None


# The start form carries no ambient authority (no cookie, no session): it creates a
# new conversation and hands its secret to whoever posted it. A CSRF token would
# force a cookie on every visitor before consent (TTDSG §25), so it is exempt.
@csrf_exempt
@private
@require_POST
@sensitive_post_parameters("text", "name", "email")
def start_conversation(request, department_id):
    departments = Department.objects.active().select_related("office_hours")
    department = get_object_or_404(departments, pk=department_id)
    form = StartConversationForm(
        request.POST,
        widget_id=request.POST.get("widget_id", ""),
        privacy_url=_privacy_url(request, request.POST.get("privacy_page")),
        action=request.path,
    )
    # A chosen topic (signed by the server) routes the chat to the topic's department.
    topic = form.posted_topic()
    if topic is not None:
        department = get_object_or_404(departments, pk=topic["department_id"])
    state = availability.department_state(department)
    if not state.accepts_messages:
        return JsonResponse(
            reply("error", code="closed", detail=f"{state.label} {state.detail}".strip(), availability=state.as_payload()),
            status=409,
        )
    refusal, privacy_page = check_start_form(request, form)
    if refusal is not None:
        return refusal
    conversation, secret = commands.start(
        department=department,
        text=form.cleaned_data["text"],
        name=form.cleaned_data["name"].strip(),
        email=form.cleaned_data["email"],
        privacy_page=privacy_page,
        subject_prefix=topic["subject"] if topic is not None else "",
        page=form.cleaned_data["page"],
        notify=form.cleaned_data.get("notify", False),
    )
    return started_response(conversation, secret, state)


def check_start_form(request, form):
    """``(refusal, privacy page)`` for a posted start form (a chat or a consultation
    queue): the form's errors with the re-rendered form, or the start rate limit."""
    if not form.is_valid():
        return JsonResponse(
            reply(
                "error",
                code="invalid_form",
                detail=_("Please correct the marked fields."),
                fields={name: [str(e) for e in errors] for name, errors in form.errors.items()},
                form_html=render_to_string("buergerchat_wagtail/widget/start_form.html", {"form": form}, request=request),
            ),
            status=400,
        ), None
    try:
        check_start(request_address(request))
    except RateLimited as exc:
        return rate_limited_response(exc), None
    page_id = form.cleaned_data["privacy_token"]
    return None, Page.objects.live().public().filter(pk=page_id).first() if page_id else None


def rate_limited_response(exc):
    response = JsonResponse(exc.as_frame(), status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def started_response(conversation, secret, state, **extra):
    """The ``started`` answer: the only time the secret is sent, and, outside office
    hours, the confirmation with the usual answer time."""
    messages = services.messages_after(conversation)
    data = reply(
        "started",
        secret=secret,
        conversation=payloads.conversation_payload(conversation, payloads.CITIZEN),
        messages=payloads.messages_payload(messages, payloads.CITIZEN, conversation),
        availability=state.as_payload() if state is not None else None,
        notice=None,
        **extra,
    )
    if state is not None and not state.available:
        parts = [_("Thank you, we have received your message."), availability.answer_time_text(state.answer_days)]
        if notifications.wants_notices(conversation):
            parts.append(_("We will let you know by e-mail when the answer is there."))
        data["notice"] = " ".join(str(p) for p in parts)
    return JsonResponse(data, status=201)
