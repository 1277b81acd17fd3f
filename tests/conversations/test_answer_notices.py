"""Opt-in e-mail notices of answers (issue 16.1): consent, coalescing, presence, the
one-time resume link in the URL fragment and the stop link."""

import datetime
import re
import uuid

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from wagtail.models import PageLogEntry  # noqa: F401  (Wagtail's log models are loaded)

from buergerchat_wagtail.availability import presence
from buergerchat_wagtail.conversations import audit, notifications, receipts, services
from buergerchat_wagtail.models import CitizenNotice, Conversation, ResumeToken, SenderType

pytestmark = pytest.mark.django_db

API = "/buergerchat/api/v1"
SECRET_HEADER = "HTTP_X_BUERGERCHAT_SECRET"
CONCERN = "Mein Flurstück 4711 an der Lindenallee"
LATER = datetime.timedelta(seconds=121)  # NOTICE_DELAY is 120 seconds


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def started(dept_a, chat_page, act):
    """A conversation started through the start form with the notice box ticked."""
    response = act(
        Client().post,
        f"/buergerchat/start/{dept_a.pk}/",
        {
            "text": CONCERN,
            "name": "Erika Mustermann",
            "email": "erika@example.org",
            "notify": "on",
            "privacy": "on",
            "page": str(chat_page.pk),
        },
    )
    assert response.status_code == 201, response.content
    mail.outbox.clear()
    conversation = Conversation.objects.get(reference=response.json()["conversation"]["reference"])
    return conversation, response.json()["secret"]


def staff_reply(conversation, user, body="Ihr Flurstück ist bebaubar", internal=False):
    return services.post_message(
        conversation=conversation, sender=SenderType.STAFF, body=body, client_id=uuid.uuid4(), author=user,
        internal=internal,
    )


def due_now(act):
    return act(notifications.send_due_notices, timezone.now() + LATER)


def resume_token(message):
    match = re.search(r"#resume=([A-Za-z0-9_-]+)", message.body)
    assert match, message.body
    return match.group(1)


def audit_actions(conversation):
    from wagtail.models import ModelLogEntry

    return list(
        ModelLogEntry.objects.filter(object_id=str(conversation.pk)).order_by("pk").values_list("action", flat=True)
    )


# --------------------------------------------------------------------------- consent


def test_the_box_needs_an_address(dept_a, act):
    response = Client().post(
        f"/buergerchat/start/{dept_a.pk}/", {"text": CONCERN, "notify": "on", "privacy": "on"}
    )
    assert response.status_code == 400
    assert "notify" in response.json()["fields"]
    assert not Conversation.objects.exists()


def test_consent_is_stored_and_audited_without_content(started):
    conversation, _secret = started
    notice = CitizenNotice.objects.get(conversation=conversation)
    assert notice.wanted and notice.opted_in_at is not None
    assert audit.NOTICE_REQUESTED in audit_actions(conversation)


def test_an_address_alone_is_no_consent(dept_a, worker_a, chat_page, act):
    response = act(
        Client().post,
        f"/buergerchat/start/{dept_a.pk}/",
        {"text": CONCERN, "email": "erika@example.org", "privacy": "on", "page": str(chat_page.pk)},
    )
    conversation = Conversation.objects.get(reference=response.json()["conversation"]["reference"])
    act(staff_reply, conversation, worker_a)
    due_now(act)
    assert mail.outbox == []


def test_the_form_offers_the_box_next_to_the_address(dept_a):
    from buergerchat_wagtail.editor.forms import JoinQueueForm, StartConversationForm

    from django.template.loader import render_to_string

    html = render_to_string("buergerchat_wagtail/widget/start_form.html", {"form": StartConversationForm()})
    assert "data-bc-notify" in html and "data-bc-email" in html
    assert "notify" not in JoinQueueForm().fields


# --------------------------------------------------------------------------- coalescing


def test_a_burst_of_answers_makes_one_notice(started, worker_a, act):
    conversation, _secret = started
    for body in ("Erste Antwort", "Nachtrag", "Noch ein Nachtrag"):
        act(staff_reply, conversation, worker_a, body=body)
    assert mail.outbox == []  # not before NOTICE_DELAY
    assert act(notifications.send_due_notices, timezone.now()) == 0
    assert due_now(act) == 1
    assert len(mail.outbox) == 1
    assert due_now(act) == 0

    # More answers while the last notice's are still unread: the same burst.
    act(staff_reply, conversation, worker_a, body="Und noch etwas")
    assert due_now(act) == 0
    assert len(mail.outbox) == 1

    # The citizen came back and read; the next answer starts a new burst.
    conversation.refresh_from_db()
    latest = conversation.messages.order_by("-pk").first().pk
    receipts.mark_read_by_citizen(conversation, latest)
    act(staff_reply, conversation, worker_a, body="Neue Antwort")
    assert due_now(act) == 1
    assert len(mail.outbox) == 2
    assert audit_actions(conversation).count(audit.NOTICE_SENT) == 2


def test_no_notice_when_the_answers_were_read_in_time(started, worker_a, act):
    conversation, _secret = started
    message, _created = act(staff_reply, conversation, worker_a)
    receipts.mark_read_by_citizen(Conversation.objects.get(pk=conversation.pk), message.pk)
    assert due_now(act) == 0
    assert mail.outbox == []


def test_internal_notes_send_nothing(started, worker_a, act):
    conversation, _secret = started
    act(staff_reply, conversation, worker_a, body="nur intern", internal=True)
    assert CitizenNotice.objects.get(conversation=conversation).due_at is None
    assert due_now(act) == 0


def test_a_queue_that_can_defer_gets_one_deferred_job_per_burst(started, worker_a, act, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    conversation, _secret = started
    before = timezone.now()
    act(staff_reply, conversation, worker_a)
    act(staff_reply, conversation, worker_a, body="Nachtrag")
    jobs = DBTaskResult.objects.filter(task_path__endswith="notifications.send_notice")
    assert jobs.count() == 1
    assert jobs.get().run_after >= before + datetime.timedelta(seconds=119)


def pinged_until_due():
    """The open sockets kept pinging until the notice is due."""
    from buergerchat_wagtail.models import CitizenPresence

    CitizenPresence.objects.update(last_seen=timezone.now() + LATER)


def test_no_notice_while_the_citizen_is_connected(started, worker_a, act):
    conversation, _secret = started
    presence.citizen_seen("specific.citizen-socket", conversation.pk)
    act(staff_reply, conversation, worker_a)
    pinged_until_due()
    assert due_now(act) == 0
    assert mail.outbox == []

    # The socket closed without the citizen reading: the next answer is announced.
    presence.citizen_left("specific.citizen-socket")
    act(staff_reply, conversation, worker_a, body="Nachtrag")
    assert due_now(act) == 1


def test_a_silent_socket_stops_counting_as_connected(started, worker_a, act):
    from buergerchat_wagtail.models import CitizenPresence

    conversation, _secret = started
    presence.citizen_seen("specific.lost", conversation.pk)
    CitizenPresence.objects.update(last_seen=timezone.now() - datetime.timedelta(minutes=5))
    act(staff_reply, conversation, worker_a)
    assert due_now(act) == 1


def test_a_polling_widget_counts_as_connected(started, worker_a, act):
    conversation, secret = started
    assert Client().get(f"{API}/messages", **{SECRET_HEADER: secret}).status_code == 200
    act(staff_reply, conversation, worker_a)
    pinged_until_due()
    assert due_now(act) == 0


# --------------------------------------------------------------------------- the link


def test_the_link_is_one_time_and_gives_a_working_code(started, worker_a, act, chat_page):
    conversation, secret = started
    act(staff_reply, conversation, worker_a)
    due_now(act)
    body = mail.outbox[0].body
    token = resume_token(mail.outbox[0])
    assert f"{chat_page.full_url}#resume={token}" in body
    assert ResumeToken.objects.get().token_hash != token  # hashed at rest
    assert token not in str(list(ResumeToken.objects.values()))

    client = Client(enforce_csrf_checks=True)
    answer = client.post(f"{API}/resume-link", {"token": token}, content_type="application/json")
    assert answer.status_code == 200
    assert answer["Cache-Control"].startswith("max-age=0") or "no-store" in answer["Cache-Control"]
    code = answer.json()["secret"]
    assert code != secret
    ready = client.get(f"{API}/conversation", **{SECRET_HEADER: code})
    assert ready.status_code == 200
    assert ready.json()["conversation"]["reference"] == conversation.reference
    # The citizen's own code stays valid.
    assert client.get(f"{API}/conversation", **{SECRET_HEADER: secret}).status_code == 200
    assert audit.RESUME_LINK_USED in audit_actions(conversation)

    again = client.post(f"{API}/resume-link", {"token": token}, content_type="application/json")
    assert again.status_code == 410
    assert again.json()["code"] == "resume_link_invalid"


def test_an_expired_link_is_refused(started, worker_a, act, settings):
    conversation, _secret = started
    act(staff_reply, conversation, worker_a)
    due_now(act)
    token = resume_token(mail.outbox[0])
    ResumeToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    answer = Client().post(f"{API}/resume-link", {"token": token}, content_type="application/json")
    assert answer.status_code == 410
    assert answer.json()["code"] == "resume_link_invalid"


def test_the_link_lifetime_is_a_setting(started, worker_a, act, settings):
    settings.BUERGERCHAT = {**getattr(settings, "BUERGERCHAT", {}), "RESUME_LINK_LIFETIME": 600}
    conversation, _secret = started
    act(staff_reply, conversation, worker_a)
    now = timezone.now() + LATER
    act(notifications.send_due_notices, now)
    token = ResumeToken.objects.get()
    assert token.expires_at - token.created_at == datetime.timedelta(seconds=600)


def test_unknown_tokens_do_not_lock_out_the_address(started):
    """Wrong tokens are not counted as wrong codes: that budget is per address, and a
    shared address (a town hall's network) would lock out every citizen behind it."""
    conversation, secret = started
    client = Client()
    for _ in range(8):
        answer = client.post(f"{API}/resume-link", {"token": "nope"}, content_type="application/json")
        assert answer.status_code == 410


# --------------------------------------------------------------------------- stopping


def test_the_stop_link_asks_then_stops(started, worker_a, act):
    conversation, _secret = started
    act(staff_reply, conversation, worker_a)
    due_now(act)
    stop_url = re.search(r"https?://\S+/buergerchat/notices/stop/\S+/", mail.outbox[0].body).group(0)
    path = stop_url.split("://", 1)[1].split("/", 1)[1]
    client = Client(enforce_csrf_checks=True)
    page = client.get("/" + path)
    assert page.status_code == 200 and b"<form" in page.content
    assert CitizenNotice.objects.get(conversation=conversation).wanted  # GET changes nothing
    stopped = client.post("/" + path)
    assert stopped.status_code == 200
    assert not stopped.cookies
    notice = CitizenNotice.objects.get(conversation=conversation)
    assert not notice.wanted and notice.opted_out_at is not None
    assert audit.NOTICE_STOPPED in audit_actions(conversation)
    assert not ResumeToken.objects.filter(used_at__isnull=True).exists()  # sent links die too

    conversation.refresh_from_db()
    receipts.mark_read_by_citizen(conversation, conversation.messages.order_by("-pk").first().pk)
    act(staff_reply, conversation, worker_a, body="Nachtrag")
    assert due_now(act) == 0
    assert len(mail.outbox) == 1


def test_a_forged_stop_link_is_refused(started):
    assert Client().post("/buergerchat/notices/stop/forged:token/").status_code == 404


def test_the_widget_can_stop_notices(started):
    conversation, secret = started
    answer = Client().post(f"{API}/notices/stop", **{SECRET_HEADER: secret})
    assert answer.status_code == 200 and answer.json() == {"v": 1, "type": "notices", "enabled": False}
    assert not CitizenNotice.objects.get(conversation=conversation).wanted


def test_notices_go_with_the_conversation(started, worker_a, act):
    conversation, _secret = started
    act(staff_reply, conversation, worker_a)
    due_now(act)
    Conversation.objects.filter(pk=conversation.pk).delete()
    assert not CitizenNotice.objects.exists() and not ResumeToken.objects.exists()


def test_the_command_sends_due_notices(started, worker_a, act):
    import io

    from django.core.management import call_command

    conversation, _secret = started
    act(staff_reply, conversation, worker_a)
    CitizenNotice.objects.update(due_at=timezone.now())
    out = io.StringIO()
    call_command("buergerchat_send_notices", stdout=out)
    assert out.getvalue().strip() == "1 notice(s) sent."
    assert len(mail.outbox) == 1
