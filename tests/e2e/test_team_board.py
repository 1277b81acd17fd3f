"""Fair assignment end to end, in Chromium, with the supervisor, the case worker and the
citizen in separate browser contexts: a citizen starts a chat, it is assigned to the
present case worker automatically, the supervisor's team board shows it live (staff
socket ``presence`` and ``conversation`` frames), and the supervisor reassigns it.

The test sets up a department of its own ("Teamtest", automatic assignment) on the
shared demo server, so the demo's departments stay as the other browser tests expect,
and removes it afterwards.
"""

import re

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = pytest.mark.browser

SETUP = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from buergerchat_wagtail.models import AssignmentMode, Department, StaffStatus
from demo_site.home.models import ContentPage, HomePage

access = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
group, _ = Group.objects.get_or_create(name="Team Test")
group.permissions.add(access)
department, _ = Department.objects.get_or_create(
    slug="teamtest",
    defaults=dict(name="Teamtest", group=group, assignment_mode=AssignmentMode.AUTOMATIC, assignment_capacity=5),
)
User = get_user_model()
for username, first, last, groups in (
    ("teamworker", "Tilo", "Team", [group]),
    ("teamzweit", "Zoe", "Zweit", [group]),
    ("teamboss", "Tamara", "Chefin", [group, Group.objects.get(name="Leitung")]),
):
    user, _ = User.objects.get_or_create(username=username, defaults=dict(first_name=first, last_name=last))
    user.set_password(username)
    user.save()
    user.groups.add(*groups)
# The supervisor only watches: "away", so the automatic assignment passes her over.
StaffStatus.objects.update_or_create(user=User.objects.get(username="teamboss"), defaults={"away": True, "changed_at": timezone.now()})
if not ContentPage.objects.filter(slug="teamtest").exists():
    HomePage.objects.first().add_child(instance=ContentPage(title="Teamtest", slug="teamtest", body=[(
        "chat",
        {"department": department, "topics": [], "heading": "Chat mit dem Teamtest", "intro": "Fragen Sie uns.",
         "privacy_page": ContentPage.objects.get(slug="datenschutz")},
    )]))
"""

CLEANUP = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from buergerchat_wagtail.models import Conversation, Department
from demo_site.home.models import ContentPage

ContentPage.objects.filter(slug="teamtest").delete()
Conversation.objects.filter(department__slug="teamtest").delete()
Department.objects.filter(slug="teamtest").delete()
get_user_model().objects.filter(username__in=["teamworker", "teamzweit", "teamboss"]).delete()
Group.objects.filter(name="Team Test").delete()
"""


@pytest.fixture
def team_department(demo_server):
    demo_server.site.manage("shell", "-c", SETUP)
    yield
    demo_server.site.manage("shell", "-c", CLEANUP)


def test_auto_assignment_shows_live_on_the_board_and_the_supervisor_reassigns(new_context, team_department):
    question = "Wer ist für meine Anfrage im Teamtest zuständig?"

    # The supervisor opens the team board (she leads one department: straight to it).
    boss = new_context().new_page()
    login(boss, "teamboss", "teamboss")
    boss.goto("/admin/buergerchat/team/")
    expect(boss.get_by_role("heading", name=re.compile("Team-Übersicht"))).to_be_visible()
    worker_row = boss.locator("tr", has=boss.get_by_role("rowheader", name="Tilo Team"))
    expect(worker_row).to_contain_text("offline")

    # The case worker opens the admin: the board shows her present without a reload.
    worker = new_context().new_page()
    login(worker, "teamworker", "teamworker")
    worker.goto("/admin/buergerchat/")
    expect(worker_row).to_contain_text("anwesend")
    expect(worker_row).to_contain_text("0 von 5")

    # A citizen starts a chat: it goes to the present case worker at once.
    citizen = new_context().new_page()
    citizen.goto("/teamtest/")
    citizen.get_by_label("Anliegen").fill(question)
    citizen.get_by_role("checkbox", name=re.compile("Datenschutzhinweise")).check()
    citizen.get_by_role("button", name="Chat starten").click()
    expect(citizen.get_by_label("Nachricht", exact=True)).to_be_visible()

    conversation_row = boss.locator("tr[data-bc-board-conversation]").first
    expect(conversation_row).to_contain_text("Tilo Team")
    expect(conversation_row).to_contain_text("automatisch")
    expect(worker_row).to_contain_text("1 von 5")
    expect(boss.locator("[data-bc-board-longest]")).to_contain_text("Tilo Team")

    # The case worker sees it in the inbox, and the automatic assignment in the conversation.
    worker.get_by_role("link", name=question).first.click()
    expect(worker.get_by_role("log")).to_contain_text("Automatisch an Tilo Team zugewiesen")
    expect(worker.locator("[data-bc-field=assignee]")).to_have_text("Tilo Team")
    # The citizen never learns of it.
    expect(citizen.get_by_role("log")).to_contain_text(question)
    expect(citizen.get_by_role("log")).not_to_contain_text("zugewiesen")

    # The supervisor reassigns it to a colleague (this very row: found by its id).
    conversation_id = conversation_row.get_attribute("data-bc-board-conversation")
    held = int(re.search(r"(\d+) von 5", worker_row.inner_text()).group(1))
    row = boss.locator(f'tr[data-bc-board-conversation="{conversation_id}"]')
    row.get_by_role("combobox").select_option(label="Zoe Zweit")
    # The board reloads while the choice waits for its click (the case worker answers,
    # so the citizen no longer waits): the choice survives the reload.
    worker.get_by_label("Antwort").fill("Ich kümmere mich darum.")
    worker.get_by_role("button", name="Senden", exact=True).click()
    expect(row.locator("time")).to_have_count(0)  # no longer waiting: the board reloaded
    expect(row.get_by_role("combobox")).to_have_value(row.get_by_role("option", name="Zoe Zweit").get_attribute("value"))
    row.get_by_role("button", name="Neu zuweisen").click()
    expect(boss.get_by_text(re.compile(r"Das Gespräch BC-.* wurde neu zugewiesen"))).to_be_visible()
    expect(row.locator("[data-bc-board-assignee]")).to_have_text("Zoe Zweit")  # a person's choice: not "automatisch"
    expect(worker_row).to_contain_text(f"{held - 1} von 5")
    # The case worker's open conversation follows live.
    expect(worker.locator("[data-bc-field=assignee]")).to_have_text("Zoe Zweit")
    expect(worker.get_by_role("log")).to_contain_text("Tamara Chefin hat das Gespräch Zoe Zweit zugewiesen")
