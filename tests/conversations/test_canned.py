"""Canned answers: per department, placeholders filled for the conversation, offered
in the reply box's picker."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from wagtail import hooks

from buergerchat_wagtail.conversations import canned
from buergerchat_wagtail.models import CannedAnswer, StaffNameDisplay

pytestmark = pytest.mark.django_db


@pytest.fixture
def answers(dept_a, dept_b):
    return [
        CannedAnswer.objects.create(department=dept_a, title="Gruß Bau", text="Guten Tag {name}, hier ist {department}."),
        CannedAnswer.objects.create(department=dept_b, title="Gruß Bürgerbüro", text="Willkommen im {department}."),
        CannedAnswer.objects.create(department=None, title="Abschluss", text="Ihre Vorgangsnummer: {reference}. {office_hours}"),
    ]


def test_answers_per_department(answers, dept_a, dept_b):
    assert {a.title for a in CannedAnswer.objects.for_department(dept_a.pk)} == {"Gruß Bau", "Abschluss"}
    assert {a.title for a in CannedAnswer.objects.for_department(dept_b.pk)} == {"Gruß Bürgerbüro", "Abschluss"}


def test_placeholders_are_filled_and_unknown_ones_reported(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a, text="Carport", name="Erika Muster")
    text, missing = canned.fill(
        "{name} / {department} / {reference} / {subject} / {staff_name} / {office_hours} / {name} / {Name} / {}",
        conversation,
        worker_a,
    )
    assert text == (
        f"Erika Muster / Bauverwaltung / {conversation.reference} / Carport / Bauverwaltung / {{office_hours}} / "
        "Erika Muster / {Name} / {}"
    )
    assert missing == ["office_hours"]


def test_department_placeholder_reads_well_in_a_sentence(dept_a, worker_a, start_conversation):
    """``{department}`` is the department's sentence form ("an die Bauverwaltung",
    not "an Bauverwaltung"); without one, its name."""
    conversation, _ = start_conversation(dept_a)
    text = "Vielen Dank für Ihre Nachricht an {department}."
    assert canned.fill(text, conversation, worker_a)[0] == "Vielen Dank für Ihre Nachricht an Bauverwaltung."
    dept_a.sentence_name = "die Bauverwaltung"
    dept_a.save()
    conversation.department.refresh_from_db()
    assert canned.fill(text, conversation, worker_a)[0] == "Vielen Dank für Ihre Nachricht an die Bauverwaltung."


def test_demo_canned_answers_use_the_sentence_form(worker_a):
    from django.core.management import call_command

    from buergerchat_wagtail.models import Department

    call_command("load_demo")
    names = dict(Department.objects.values_list("slug", "sentence_name"))
    assert names["bauverwaltung"] == "die Bauverwaltung" and names["buergerbuero"] == "das Bürgerbüro"
    greeting = CannedAnswer.objects.get(title="Begrüßung", department=None)
    assert "an {department}" in greeting.text


def test_name_without_a_name_stays_a_placeholder(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    assert canned.fill("Guten Tag {name}", conversation, worker_a) == ("Guten Tag {name}", ["name"])


def test_staff_name_follows_the_department_setting(dept_a, worker_a, start_conversation):
    dept_a.staff_name_display = StaffNameDisplay.FIRST
    dept_a.save()
    conversation, _ = start_conversation(dept_a)
    conversation.refresh_from_db()
    assert canned.fill("{staff_name}", conversation, worker_a)[0] == "Berta"


def test_other_features_add_placeholders_through_the_hook(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)

    def office_hours():
        return {"office_hours": lambda conversation, user: f"{conversation.department.name}: Mi und Do 8–12 Uhr"}

    with hooks.register_temporarily(canned.HOOK_NAME, office_hours):
        assert canned.fill("Sprechzeiten: {office_hours}", conversation, worker_a) == (
            "Sprechzeiten: Bauverwaltung: Mi und Do 8–12 Uhr",
            [],
        )
    assert "office_hours" not in canned.placeholders()


def test_text_is_limited_like_a_message(dept_a, settings):
    settings.BUERGERCHAT = {"MAX_MESSAGE_LENGTH": 20}
    answer = CannedAnswer(department=dept_a, title="Lang", text="x" * 21)
    with pytest.raises(ValidationError):
        answer.full_clean()


def test_picker_in_the_reply_box_is_filled_and_escaped(answers, dept_a, worker_a, start_conversation):
    answers[0].text = "<b>Hallo</b> {name}"
    answers[0].save()
    conversation, _ = start_conversation(dept_a, name="<script>x</script>")
    client = Client()
    client.force_login(worker_a)
    content = client.get(reverse("buergerchat_inbox:conversation", args=[conversation.pk])).content.decode()
    assert 'id="bc-canned-dialog"' in content and 'role="listbox"' in content
    assert "Gruß Bau" in content and "Abschluss" in content and "Gruß Bürgerbüro" not in content
    assert "&lt;b&gt;Hallo&lt;/b&gt; &lt;script&gt;x&lt;/script&gt;" in content
    assert "<script>x</script>" not in content
    assert f"Ihre Vorgangsnummer: {conversation.reference}. {{office_hours}}" in content
    assert 'data-missing="office_hours"' in content


def test_snippet_admin_lists_canned_answers(answers, superuser):
    client = Client()
    client.force_login(superuser)
    response = client.get(reverse("wagtailsnippets_buergerchat_cannedanswer:list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Gruß Bau" in content and "Abschluss" in content
