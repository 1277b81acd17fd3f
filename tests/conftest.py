"""Shared fixtures: departments with their answering groups, the four kinds of
users, conversations, a chat page, and WebSocket helpers for consumer tests."""

import contextlib
import os

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.layers import channel_layers
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.models import Department
from buergerchat_wagtail.routing import OriginValidator, websocket_urlpatterns

ORIGIN = (b"origin", b"http://testserver")
CITIZEN_PATH = "/" + buergerchat_settings.WEBSOCKET_PATH + "citizen/"
STAFF_PATH = "/" + buergerchat_settings.WEBSOCKET_PATH + "staff/"


# --------------------------------------------------------------------------- order


def pytest_collection_modifyitems(session, config, items):
    """Browser tests run last. Playwright's sync API keeps an event loop marked as
    running in the main thread while its browser is open (session fixture), and an
    asyncio test after it could not start its own loop."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()) and item.get_closest_marker("browser") is None:
            item.add_marker(pytest.mark.browser)  # a test that opens Chromium is a browser test
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


# --------------------------------------------------------------------------- state


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """A new in-memory layer per test: its queues belong to one event loop."""
    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


@pytest.fixture(autouse=True, scope="session")
def static_root():
    """WhiteNoise warns on every request when STATIC_ROOT does not exist."""
    from django.conf import settings

    os.makedirs(settings.STATIC_ROOT, exist_ok=True)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Wagtail caches the site root paths; a rolled-back test must not leave them behind."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_buergerchat_settings():
    buergerchat_settings.reload()
    yield
    buergerchat_settings.reload()


# --------------------------------------------------------------------------- departments and users


def _admin_group(name):
    group = Group.objects.create(name=name)
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return group


@pytest.fixture
def group_a(db):
    return _admin_group("Bauverwaltung")


@pytest.fixture
def group_b(db):
    return _admin_group("Bürgerbüro")


@pytest.fixture
def dept_a(group_a):
    return Department.objects.create(
        name="Bauverwaltung",
        slug="bauverwaltung",
        description="Fragen zu Bauanträgen.",
        greeting="Guten Tag! Die Bauverwaltung ist für Sie da.",
        group=group_a,
    )


@pytest.fixture
def dept_b(group_b):
    return Department.objects.create(
        name="Bürgerbüro",
        slug="buergerbuero",
        description="Ausweise und Meldewesen.",
        greeting="Willkommen beim Bürgerbüro!",
        group=group_b,
    )


@pytest.fixture
def departments(dept_a, dept_b):
    return dept_a, dept_b


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(
        username="admin", password="pw-admin", email="admin@example.org", first_name="Ada", last_name="Admin"
    )


@pytest.fixture
def worker_a(group_a, dept_a):
    user = get_user_model().objects.create_user(
        username="bauamt", password="pw-bauamt", first_name="Berta", last_name="Baumann"
    )
    user.groups.add(group_a)
    return user


@pytest.fixture
def worker_b(group_b, dept_b):
    user = get_user_model().objects.create_user(
        username="buergerbuero", password="pw-bb", first_name="Bernd", last_name="Bürger"
    )
    user.groups.add(group_b)
    return user


@pytest.fixture
def plain_user(db):
    """Logged in, but no groups and no admin access."""
    return get_user_model().objects.create_user(username="citizen-user", password="pw-plain")


# --------------------------------------------------------------------------- conversations


@pytest.fixture
def start_conversation():
    """``start_conversation(department, text=..., name=..., email=...) -> (conversation, secret)``
    through the real service (sync; wrap it in ``sync_to_async`` inside async tests)."""

    def start(department, text="Ich habe eine Frage zu meinem Bauantrag.", name="", email=""):
        return services.start_conversation(department=department, text=text, name=name, email=email)

    return start


def unchanged(conversation_id, messages_before):
    """Conversation ``conversation_id`` (started in the Bauverwaltung) is as it was
    started: no transfer, assignee, status change, read mark or further message."""
    from buergerchat_wagtail.models import Conversation, ConversationStatus, Message, ReadMarker

    conversation = Conversation.objects.get(pk=conversation_id)
    assert conversation.department.slug == "bauverwaltung"
    assert conversation.assignee_id is None
    assert conversation.status == ConversationStatus.NEW
    assert conversation.staff_read_up_to == 0
    assert Message.objects.filter(conversation_id=conversation_id).count() == messages_before
    assert not ReadMarker.objects.filter(conversation_id=conversation_id).exists()


# --------------------------------------------------------------------------- pages


@pytest.fixture
def site_root(db):
    from wagtail.models import Site

    return Site.objects.get(is_default_site=True).root_page


def add_content_page(parent, slug, title, body):
    from demo_site.home.models import ContentPage

    return parent.add_child(instance=ContentPage(title=title, slug=slug, body=body))


@pytest.fixture
def privacy_page(site_root):
    from wagtail.rich_text import RichText

    return add_content_page(
        site_root, "datenschutz", "Datenschutz", [("paragraph", RichText("<p>Datenschutzhinweise.</p>"))]
    )


@pytest.fixture
def chat_page_factory(site_root, privacy_page):
    def make(department, slug="chat", heading="Chat mit der Verwaltung", intro="Stellen Sie Ihre Frage."):
        body = [
            (
                "chat",
                {"department": department, "heading": heading, "intro": intro, "privacy_page": privacy_page},
            )
        ]
        return add_content_page(site_root, slug, "Chatseite " + slug, body)

    return make


@pytest.fixture
def chat_page(chat_page_factory, dept_a):
    return chat_page_factory(dept_a)


# --------------------------------------------------------------------------- WebSockets


@pytest.fixture
def asgi_app():
    """The websocket side of demo_site/asgi.py, reached as ``http://testserver`` (a
    real server always passes the Host header, which the Origin check compares)."""
    app = OriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))

    async def with_host(scope, receive, send):
        if not any(name == b"host" for name, _value in scope.get("headers", [])):
            scope = {**scope, "headers": [*scope.get("headers", []), (b"host", b"testserver")]}
        return await app(scope, receive, send)

    return with_host


def _session_cookie(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@contextlib.asynccontextmanager
async def socket_opener(asgi_app):
    """``async with socket_opener(app) as open_socket`` gives the ``open_socket``
    function below; every communicator it opened is disconnected on leaving, in the
    event loop that opened it. For tests that run their own loops (hypothesis)."""
    opened = []

    async def open_(path, user=None, origin=ORIGIN, headers=(), timeout=3):
        all_headers = [origin] if origin else []
        all_headers += list(headers)
        if user is not None:
            sessionid = await sync_to_async(_session_cookie)(user)
            all_headers.append((b"cookie", f"sessionid={sessionid}".encode()))
        communicator = WebsocketCommunicator(asgi_app, path, headers=all_headers)
        opened.append(communicator)
        connected, code = await communicator.connect(timeout=timeout)
        return communicator, connected, code

    try:
        yield open_
    finally:
        await disconnect_all(opened)


async def disconnect_all(communicators):
    """Disconnect every communicator, then raise the first exception one of their
    applications ended with: a consumer that crashed fails the test even when the
    test itself never disconnected it (a second disconnect is harmless)."""
    errors = []
    for communicator in communicators:
        try:
            await communicator.disconnect()
        except BaseException as error:  # noqa: BLE001  (collected, raised below)
            errors.append(error)
    if errors:
        raise errors[0]


@pytest.fixture
async def open_socket(asgi_app):
    """``await open_socket(path, user=None, origin=ORIGIN, headers=()) -> (communicator, connected, code)``.

    Every communicator opened here is disconnected at teardown (tests do not
    disconnect themselves); an exception a consumer ended with fails the test there."""
    async with socket_opener(asgi_app) as open_:
        yield open_


async def receive(communicator, timeout=3):
    return await communicator.receive_json_from(timeout=timeout)


async def receive_type(communicator, frame_type, timeout=3, skip=("message",)):
    """The next frame of ``frame_type``; frames whose type is in ``skip`` (e.g. the
    echo of one's own message from the conversation group) are passed over, anything
    else is a failure."""
    while True:
        frame = await receive(communicator, timeout)
        if frame.get("type") == frame_type:
            return frame
        assert frame.get("type") in skip, f"expected a {frame_type!r} frame, got {frame!r}"


async def ping_pong(communicator, skip=("message",)):
    """The socket is still open and answering."""
    await communicator.send_json_to({"v": 1, "type": "ping"})
    frame = await receive_type(communicator, "pong", skip=skip)
    assert frame == {"v": 1, "type": "pong"}


async def send_raw(communicator, text):
    await communicator.send_to(text_data=text)


async def citizen_socket(open_socket, secret, after=0):
    """An authenticated citizen socket and its ``ready`` frame."""
    communicator, connected, _ = await open_socket(CITIZEN_PATH)
    assert connected
    await communicator.send_json_to({"v": 1, "type": "auth", "secret": secret, "after": after})
    ready = await receive(communicator)
    assert ready["type"] == "ready", ready
    return communicator, ready


async def staff_socket(open_socket, user):
    """A connected staff socket after its ``hello`` frame."""
    communicator, connected, code = await open_socket(STAFF_PATH, user=user)
    assert connected, code
    hello = await receive(communicator)
    assert hello["type"] == "hello", hello
    return communicator, hello
