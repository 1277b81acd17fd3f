"""The staff conversation header names the privacy notice the citizen confirmed by
its title and the date of that version, not as "page 4, revision 7"."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.models import Conversation

pytestmark = pytest.mark.django_db


def header_of(user, conversation):
    client = Client()
    client.force_login(user)
    text = client.get(reverse("buergerchat_inbox:conversation", args=[conversation.pk])).content.decode()
    match = re.search(r"<dd data-bc-privacy-notice>(.*?)</dd>", text, re.S)
    return match[1] if match else None


def with_notice(conversation, page):
    Conversation.objects.filter(pk=conversation.pk).update(**services.privacy_fields(page))
    conversation.refresh_from_db()
    return conversation


def test_header_shows_the_title_and_date_of_the_confirmed_version(dept_a, worker_a, start_conversation, privacy_page):
    revision = privacy_page.save_revision()
    revision.publish()
    privacy_page.refresh_from_db()
    conversation = with_notice(start_conversation(dept_a)[0], privacy_page)

    # The page is renamed later: the header keeps the title the citizen saw.
    privacy_page.title = "Datenschutzerklärung (neu)"
    privacy_page.save_revision().publish()

    header = header_of(worker_a, conversation)
    assert header is not None
    assert f'<a href="{privacy_page.url}">Datenschutz</a>' in header
    assert timezone.localtime(revision.created_at).strftime("%d.%m.%Y %H:%M") in header
    assert "Fassung vom" in header
    assert "page " not in header and "revision" not in header


def test_header_without_a_privacy_notice_has_no_entry(dept_a, worker_a, start_conversation):
    conversation = start_conversation(dept_a)[0]
    assert header_of(worker_a, conversation) is None


def test_header_keeps_the_stored_version_when_page_and_revision_are_gone(dept_a, worker_a, start_conversation):
    conversation = start_conversation(dept_a)[0]
    Conversation.objects.filter(pk=conversation.pk).update(privacy_version="page 4, revision 9, 2026-01-02 10:00")
    assert header_of(worker_a, conversation) == "page 4, revision 9, 2026-01-02 10:00"
