"""The readiness panel on the Wagtail dashboard: what each department still misses."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from wagtail.models import Site

from buergerchat_wagtail.editor import readiness
from buergerchat_wagtail.models import BuergerchatSiteSettings, OfficeHours, OfficeHoursRange
from tests.conftest import add_content_page

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def missing(department):
    return readiness.readiness()[[s.department for s in readiness.readiness()].index(department)].missing


@pytest.fixture
def hours():
    hours = OfficeHours.objects.create(name="Vormittags")
    OfficeHoursRange.objects.create(office_hours=hours, weekday=0, opens=datetime.time(8), closes=datetime.time(12))
    return hours


def test_a_new_department_misses_everything(dept_a):
    assert missing(dept_a) == [
        readiness.NO_OFFICE_HOURS,
        readiness.NO_CASE_WORKERS,
        readiness.NO_PAGE,
        readiness.NO_PRIVACY_PAGE,
    ]


def test_a_complete_department_is_ready(dept_a, worker_a, chat_page, hours):
    dept_a.office_hours = hours
    dept_a.save()
    state = readiness.readiness()[0]
    assert state.missing == [] and state.ready
    assert [page.pk for page in state.pages] == [chat_page.pk]


def test_office_hours_without_times(dept_a, worker_a, chat_page):
    dept_a.office_hours = OfficeHours.objects.create(name="Leer")
    dept_a.save()
    assert missing(dept_a) == [readiness.EMPTY_OFFICE_HOURS]


def test_inactive_users_do_not_count(dept_a, worker_a, chat_page, hours):
    dept_a.office_hours = hours
    dept_a.save()
    worker_a.is_active = False
    worker_a.save()
    assert missing(dept_a) == [readiness.NO_CASE_WORKERS]


def test_unpublished_page_and_topics(dept_a, dept_b, worker_a, chat_page, hours, site_root, privacy_page):
    dept_a.office_hours = hours
    dept_a.save()
    chat_page.unpublish()
    assert missing(dept_a) == [readiness.PAGE_NOT_PUBLISHED, readiness.NO_PRIVACY_PAGE]
    # A chat with topics counts for the topics' departments.
    add_content_page(
        site_root,
        "themen",
        "Themen",
        [("chat", {"topics": [{"label": "Bauantrag", "department": dept_a, "subject": ""}], "privacy_page": privacy_page})],
    )
    assert missing(dept_a) == []
    assert readiness.NO_PAGE in missing(dept_b)


def test_privacy_page_from_the_site_settings_or_missing(dept_a, worker_a, hours, site_root, privacy_page):
    dept_a.office_hours = hours
    dept_a.save()
    add_content_page(site_root, "ohne", "Ohne Datenschutz", [("chat", {"department": dept_a})])
    assert missing(dept_a) == [readiness.NO_PRIVACY_PAGE]
    settings = BuergerchatSiteSettings.for_site(Site.objects.get(is_default_site=True))
    settings.privacy_page = privacy_page
    settings.save()
    assert missing(dept_a) == []
    privacy_page.unpublish()
    assert missing(dept_a) == [readiness.NO_PRIVACY_PAGE]


# --------------------------------------------------------------------------- the panel


def test_panel_lists_what_is_missing_with_links(superuser, dept_a):
    html = client_for(superuser).get("/admin/").content.decode()
    assert 'id="buergerchat-readiness-section"' in html
    assert f'data-bc-readiness="{dept_a.pk}"' in html
    for code in ("no_office_hours", "no_case_workers", "no_page", "no_privacy_page"):
        assert f'data-bc-missing="{code}"' in html
    assert reverse("wagtailsnippets_buergerchat_department:edit", args=[dept_a.pk]) in html
    assert reverse("wagtailusers_users:index") in html
    site = Site.objects.get(is_default_site=True)
    assert reverse("wagtailsettings:edit", args=["buergerchat", "buergerchatsitesettings", site.pk]) in html
    assert reverse("buergerchat_setup:index") in html


def test_empty_state_leads_to_the_setup(superuser):
    html = client_for(superuser).get("/admin/").content.decode()
    assert "data-bc-no-departments" in html
    assert reverse("buergerchat_setup:index") in html


def test_links_only_to_screens_the_user_may_open(dept_a):
    group = Group.objects.create(name="Abteilungspflege")
    for codename in ("access_admin", "change_department"):
        group.permissions.add(Permission.objects.get(codename=codename))
    user = get_user_model().objects.create_user(username="pflege", password="pw")
    user.groups.add(group)
    html = client_for(user).get("/admin/").content.decode()
    assert 'data-bc-missing="no_case_workers"' in html
    assert reverse("wagtailusers_users:index") not in html.split('id="buergerchat-readiness-section"')[1]
    assert reverse("buergerchat_setup:index") not in html


def test_case_workers_do_not_see_the_panel(worker_a):
    html = client_for(worker_a).get("/admin/").content.decode()
    assert "buergerchat-readiness" not in html
    assert "buergerchat-waiting" in html
