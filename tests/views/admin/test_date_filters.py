"""The archive's and the history's date filters are labelled inputs: each date field
has its own <label>, not only a placeholder (issue 12.4)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def page(user, url):
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def label_for(html, input_id):
    match = re.search(rf'<label[^>]*for="{input_id}"[^>]*>(.*?)</label>', html, re.S)
    return re.sub(r"<[^>]+>", "", match[1]).strip() if match else None


@pytest.mark.parametrize(
    "name, legend", [("created_at", "Archiviert"), ("conversation_started_at", "Gespräch begonnen")]
)
def test_archive_date_filters_have_labels(superuser, name, legend):
    html = page(superuser, "/admin/buergerchat-archive/")
    for index, suffix, word in ((0, "from", "von"), (1, "to", "bis")):
        input_id = f"id_{name}_{index}"
        tag = re.search(rf'<input[^>]*id="{input_id}"[^>]*>', html)
        assert tag, input_id
        assert f'name="{name}_{suffix}"' in tag[0]
        assert 'type="date"' in tag[0] and "placeholder" not in tag[0]
        assert label_for(html, input_id) == f"{legend} {word}"


def test_archive_date_filter_still_filters(superuser):
    html = page(superuser, "/admin/buergerchat-archive/?created_at_from=2000-01-01&created_at_to=2000-01-02")
    assert 'value="2000-01-01"' in html and 'value="2000-01-02"' in html


def test_history_date_filter_has_labels(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    html = page(worker_a, reverse("buergerchat_inbox:history", args=[conversation.pk]))
    assert label_for(html, "id_timestamp_0") == "Datum von"
    assert label_for(html, "id_timestamp_1") == "Datum bis"
