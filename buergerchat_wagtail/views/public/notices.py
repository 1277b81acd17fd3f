"""The "stop notices" link of an answer notice: a page that asks, and a POST that stops.

GET only shows the question (mail scanners open links); the POST stops the notices.
The link's token is signed by the server and can do nothing but this; it carries no
authority over the conversation, so the form needs no CSRF cookie (none is set on
the public site before consent, see views/citizen.py).
"""

from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from buergerchat_wagtail.conversations import notifications
from buergerchat_wagtail.views.private import private


@csrf_exempt
@private
@require_http_methods(["GET", "POST"])
def stop_notices(request, token):
    conversation = notifications.conversation_for_stop_token(token)
    if conversation is None:
        return render(request, "buergerchat_wagtail/notices/stop.html", {"invalid": True}, status=404)
    stopped = False
    if request.method == "POST":
        notifications.opt_out(conversation)
        stopped = True
    return render(
        request,
        "buergerchat_wagtail/notices/stop.html",
        {"stopped": stopped, "department": conversation.department.name},
    )
