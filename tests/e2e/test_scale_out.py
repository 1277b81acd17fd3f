"""Scale-out on real engines: two ASGI workers (daphne) share PostgreSQL and Redis.

A citizen connected to worker A and a case worker connected to worker B talk live;
then the faults: a worker killed in the middle of a burst, Redis restarted, the
database refusing connections. After each, every acknowledged message is stored
exactly once and shown once, in order, on both sides.
"""

import re
import time

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import expect

from tests.live_servers import (
    DemoSite,
    PostgresDatabase,
    RedisServer,
    TcpGate,
    postgres_available,
    redis_available,
)

from .conftest import login

pytestmark = pytest.mark.browser

PG_PORT = 5432
BURST = 200
#: The site's encryption key (subjects and texts are encrypted at rest), so the test
#: can read the stored rows; the bursts exceed the message rate limit on purpose.
KEY = Fernet.generate_key().decode()
SITE_ENV = {
    "BUERGERCHAT_RESYNC_INTERVAL": "2",
    "BUERGERCHAT_ENCRYPTION_KEYS": KEY,
    "BUERGERCHAT_JSON": '{"MESSAGES_PER_MINUTE": 0, "CONVERSATIONS_PER_HOUR": 0}',
}


@pytest.fixture(scope="module")
def scale_out():
    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (user postgres)")
    if not redis_available():
        pytest.skip("redis-server is not installed")
    database = PostgresDatabase()
    redis = RedisServer().start()
    gate = TcpGate(PG_PORT).open()
    site = DemoSite(
        database_url=database.url_via("127.0.0.1", gate.port),
        redis_url=redis.url,
        extra_env=SITE_ENV,
    )
    site.manage("migrate", "--noinput", "-v0", env={"DATABASE_URL": database.url})
    site.manage("load_demo", env={"DATABASE_URL": database.url})
    site.manage("collectstatic", "--noinput", "-v0")
    workers = [site.worker().start(), site.worker().start()]

    class Setup:
        pass

    setup = Setup()
    setup.database, setup.redis, setup.gate, setup.site, setup.workers = database, redis, gate, site, workers
    yield setup
    for worker in workers:
        worker.stop()
    gate.close()
    redis.cleanup()
    site.cleanup()
    database.drop()


@pytest.fixture
def contexts(browser):
    opened = []

    def make(base_url):
        context = browser.new_context(base_url=base_url, locale="de-DE")
        context.set_default_timeout(20_000)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


def start_chat(page, text):
    page.goto("/bauverwaltung/")
    page.get_by_label("Anliegen").fill(text)
    page.get_by_role("checkbox", name=re.compile("Datenschutzhinweise")).check()
    page.get_by_role("button", name="Chat starten").click()
    expect(page.get_by_label("Nachricht", exact=True)).to_be_visible()


def open_conversation_as_staff(page, subject):
    login(page, "bauamt", "bauamt")
    page.goto("/admin/buergerchat/")
    page.get_by_role("link", name=subject).click()
    expect(page.get_by_role("log")).to_contain_text(subject)


def stored_messages(database, subject):
    import psycopg

    fernet = Fernet(KEY)

    def plain(token):
        return fernet.decrypt(token.encode()).decode() if token else token

    with psycopg.connect(database.url) as conn:
        ids = [pk for pk, token in conn.execute("SELECT id, subject FROM buergerchat_conversation") if plain(token) == subject]
        rows = conn.execute(
            "SELECT id, client_id::text, body FROM buergerchat_message WHERE conversation_id = ANY(%s) ORDER BY id",
            [ids],
        ).fetchall()
    return [(pk, client_id, plain(body)) for pk, client_id, body in rows]


def shown_ids(page, selector):
    return page.eval_on_selector_all(selector, "nodes => nodes.map(n => parseInt(n.dataset.id || '0', 10))")


def start_burst(page, prefix, count=BURST, spacing_ms=10):
    page.evaluate(
        """([prefix, count, spacing]) => {
            const form = document.querySelector('[data-bc-send-form]');
            const input = document.querySelector('[data-bc-input]');
            window.burstSent = 0;
            (async () => {
                for (let i = 0; i < count; i++) {
                    input.value = prefix + ' ' + String(i).padStart(3, '0');
                    form.requestSubmit();
                    window.burstSent = i + 1;
                    await new Promise((resolve) => setTimeout(resolve, spacing));
                }
            })();
        }""",
        [prefix, count, spacing_ms],
    )


def wait_for_sent(page, at_least, timeout=30):
    deadline = time.monotonic() + timeout
    while page.evaluate("window.burstSent") < at_least:
        if time.monotonic() > deadline:
            raise AssertionError("the burst did not progress")
        time.sleep(0.05)


def assert_nothing_lost(citizen, staff, database, subject, prefix, timeout=60):
    """Every message is acked, stored once, and shown once in order on both sides."""
    expected_bodies = [f"{prefix} {i:03d}" for i in range(BURST)]
    deadline = time.monotonic() + timeout
    while True:
        citizen_ids = shown_ids(citizen, "[data-bc-messages] > li")
        staff_ids = shown_ids(staff, ".bc-thread > li")
        pending = citizen.locator("[data-bc-messages] > li:not([data-state=sent]).bc-message--citizen").count()
        rows = stored_messages(database, subject)
        done = pending == 0 and len(rows) == BURST + 1 and citizen_ids == staff_ids == [row[0] for row in rows]
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    bodies = [row[2] for row in rows]
    assert bodies[0] == subject
    assert sorted(bodies[1:]) == expected_bodies, "a message was lost or stored twice"
    client_ids = [row[1] for row in rows]
    assert len(client_ids) == len(set(client_ids)), "a client id was stored twice"
    assert pending == 0, "a message was never acknowledged"
    db_ids = [row[0] for row in rows]
    assert citizen_ids == db_ids, "the citizen does not show each stored message once, in order"
    assert staff_ids == db_ids, "the case worker does not show each stored message once, in order"


def test_citizen_on_worker_a_and_case_worker_on_worker_b_talk_live(scale_out, contexts):
    worker_a, worker_b = scale_out.workers
    staff = contexts(worker_b.url).new_page()
    login(staff, "bauamt", "bauamt")
    staff.goto("/admin/buergerchat/")

    citizen = contexts(worker_a.url).new_page()
    start_chat(citizen, "Zwei Worker: Frage zur Garage")
    # The inbox on worker B learns of a conversation started on worker A.
    staff.get_by_role("link", name="Zwei Worker: Frage zur Garage").click()

    staff.get_by_label("Antwort").fill("Antwort über Worker B")
    staff.get_by_role("button", name="Senden", exact=True).click()
    expect(citizen.get_by_role("log")).to_contain_text("Antwort über Worker B")

    citizen.get_by_label("Nachricht", exact=True).fill("Rückfrage über Worker A")
    citizen.get_by_role("button", name="Senden", exact=True).click()
    expect(staff.get_by_role("log")).to_contain_text("Rückfrage über Worker A")

    # The inbox on worker B shows the newest message of a conversation on worker A live.
    inbox = contexts(worker_b.url).new_page()
    login(inbox, "bauamt", "bauamt")
    inbox.goto("/admin/buergerchat/")
    citizen.get_by_label("Nachricht", exact=True).fill("Noch eine Frage zum Stellplatz")
    citizen.get_by_role("button", name="Senden", exact=True).click()
    expect(inbox.locator("#listing-results")).to_contain_text("Noch eine Frage zum Stellplatz")


def test_presence_is_shared_across_workers(scale_out, contexts):
    """A department staffed only while a case worker is online (presence mode): a
    case worker opening the admin on worker B makes the chat "available" for a
    citizen connected to worker A, live; leaving makes it "unstaffed" again."""
    presence_mode = (
        "from buergerchat_wagtail.models import AvailabilityMode, Department; "
        "Department.objects.filter(slug='bauverwaltung')"
        ".update(office_hours=None, availability_mode=AvailabilityMode.PRESENCE)"
    )
    back_to_hours = (
        "from buergerchat_wagtail.models import AvailabilityMode, Department, OfficeHours; "
        "Department.objects.filter(slug='bauverwaltung').update(availability_mode=AvailabilityMode.HOURS, "
        "office_hours=OfficeHours.objects.filter(name__contains='Bauverwaltung').first())"
    )
    direct = {"DATABASE_URL": scale_out.database.url}
    scale_out.site.manage("shell", "-c", presence_mode, env=direct)
    try:
        presence_across_workers(scale_out, contexts)
    finally:
        scale_out.site.manage("shell", "-c", back_to_hours, env=direct)


def presence_across_workers(scale_out, contexts):
    worker_a, worker_b = scale_out.workers
    citizen = contexts(worker_a.url).new_page()
    start_chat(citizen, "Anwesenheit über zwei Worker")
    availability = citizen.locator("[data-bc-availability]")
    expect(availability).to_have_attribute("data-state", "unstaffed")

    staff_context = contexts(worker_b.url)
    staff = staff_context.new_page()
    login(staff, "bauamt", "bauamt")
    staff.goto("/admin/buergerchat/")
    expect(availability).to_have_attribute("data-state", "available")
    # The inbox on worker B lists the conversation started on worker A.
    expect(staff.locator("#listing-results")).to_contain_text("Anwesenheit über zwei Worker")

    staff_context.close()
    expect(availability).to_have_attribute("data-state", "unstaffed", timeout=15_000)


def test_many_sockets_connecting_at_once(scale_out, tmp_path):
    """A reconnect storm (a worker restarted, 400 citizens come back at once): every
    socket joins its Redis groups. redis-py 8 caps a pool at 100 connections and
    raises instead of waiting; the settings raise the cap (REDIS_MAX_CONNECTIONS)."""
    import asyncio
    import json
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from websockets.asyncio.client import connect

    from tests.live_servers import ROOT

    count = 400
    setup = subprocess.run(
        [sys.executable, "-m", "bench.app_setup", str(count)],
        cwd=ROOT, env={**scale_out.site.env, "DATABASE_URL": scale_out.database.url},
        capture_output=True, text=True, check=True,
    )
    conversations = json.loads(setup.stdout.strip().splitlines()[-1])["conversations"]
    worker = scale_out.workers[0]
    url = f"ws://127.0.0.1:{worker.port}/ws/buergerchat/citizen/"

    async def auth(conversation):
        async with connect(url, origin=worker.url) as ws:
            await ws.send(json.dumps({"v": 1, "type": "auth", "secret": conversation["secret"], "after": 10**12}))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if frame["type"] in ("ready", "error"):
                    return frame["type"], frame.get("code")

    async def storm():
        return await asyncio.gather(*(auth(c) for c in conversations))

    # Playwright's sync API keeps a loop running in this thread: run ours in another.
    with ThreadPoolExecutor(1) as pool:
        answers = pool.submit(asyncio.run, storm()).result()
    refused = [answer for answer in answers if answer[0] != "ready"]
    assert not refused, f"{len(refused)} of {count} sockets were refused: {refused[:3]}\n{scale_out.site.log_text()[-3000:]}"
    assert "MaxConnectionsError" not in scale_out.site.log_text()


def burst_scenario(scale_out, contexts, subject, prefix, fault):
    worker_a, worker_b = scale_out.workers
    citizen = contexts(worker_a.url).new_page()
    start_chat(citizen, subject)
    staff = contexts(worker_b.url).new_page()
    open_conversation_as_staff(staff, subject)

    start_burst(citizen, prefix)
    wait_for_sent(citizen, BURST // 2)
    fault(citizen)
    wait_for_sent(citizen, BURST)
    assert_nothing_lost(citizen, staff, scale_out.database, subject, prefix)


def test_worker_killed_in_the_middle_of_a_burst(scale_out, contexts):
    worker_a = scale_out.workers[0]
    burst_scenario(
        scale_out, contexts, "Ausfall: Worker neu gestartet", "Worker", lambda citizen: worker_a.restart()
    )


def test_redis_restarted_in_the_middle_of_a_burst(scale_out, contexts):
    burst_scenario(
        scale_out,
        contexts,
        "Ausfall: Redis neu gestartet",
        "Redis",
        lambda citizen: scale_out.redis.restart(down_seconds=1.0),
    )


def test_database_refuses_connections_for_a_few_seconds(scale_out, contexts):
    def database_down(citizen):
        scale_out.gate.close()
        try:
            # The citizen is told: the message waits in the outbox, marked as queued.
            expect(citizen.locator("[data-bc-messages] > li[data-state=queued]").first).to_be_visible(timeout=15_000)
            time.sleep(3)
        finally:
            scale_out.gate.open()

    burst_scenario(scale_out, contexts, "Ausfall: Datenbank weg", "Datenbank", database_down)
