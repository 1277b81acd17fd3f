""""Abteilung einrichten": the one-step form, its rights, its transaction, its hours rows."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import checks
from django.test import Client, override_settings
from django.urls import reverse
from wagtail.models import GroupPagePermission, Page

from buergerchat_wagtail.editor import setup
from buergerchat_wagtail.models import Department, OfficeHours, OfficeHoursRange
from demo_site.home.models import ContentPage

pytestmark = pytest.mark.django_db

T = datetime.time
URL = "/admin/buergerchat/setup/"


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def hours_data(rows, extra_blank=0):
    data = {
        "hours-TOTAL_FORMS": str(len(rows) + extra_blank),
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "30",
    }
    for i, row in enumerate(rows):
        first, last, opens, closes, *delete = row
        data |= {
            f"hours-{i}-first_day": str(first),
            f"hours-{i}-last_day": "" if last is None else str(last),
            f"hours-{i}-opens": opens,
            f"hours-{i}-closes": closes,
        }
        if delete:
            data[f"hours-{i}-DELETE"] = "on"
    for i in range(len(rows), len(rows) + extra_blank):
        data |= {f"hours-{i}-first_day": "0", f"hours-{i}-last_day": "", f"hours-{i}-opens": "", f"hours-{i}-closes": ""}
    return data


def form_data(name="Ordnungsamt", rows=((0, 4, "08:30", "12:00"), (3, None, "14:00", "18:00")), **extra):
    data = {
        "name": name,
        "slug": "",
        "description": "Fragen zu Gewerbe und Veranstaltungen.",
        "greeting": "Guten Tag!",
        "email": "",
        "group_name": "",
        "hours_name": "",
        "holiday_state": "BW",
        "page": "",
        "page_title": "",
        "page_parent": "",
    }
    data |= hours_data(rows, extra_blank=1)
    data |= extra
    return data


def error_texts(response):
    return re.findall(r'class="error-message"[^>]*>\s*(?:<span>)?([^<]+)', response.content.decode())


@pytest.fixture
def editor(db):
    """May add departments, office hours and groups, change users, and add and
    publish pages below the site's root page (not a superuser)."""
    group = Group.objects.create(name="Redaktion")
    for codename in ("access_admin", "add_department", "change_department", "add_officehours", "change_officehours",
                     "add_group", "change_group", "change_user"):
        group.permissions.add(Permission.objects.get(codename=codename))
    home = Page.objects.get(depth=2)
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.create(group=group, page=home, permission=Permission.objects.get(codename=codename))
    user = get_user_model().objects.create_user(username="redaktion", password="pw-redaktion")
    user.groups.add(group)
    return user


# --------------------------------------------------------------------------- rights


def test_case_workers_get_exactly_admin_access(db):
    group = Group.objects.create(name="Neu")
    setup.grant_case_worker_permissions(group)
    assert [f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()] == [
        "wagtailadmin.access_admin"
    ]
    assert list(setup.CASE_WORKER_PERMISSIONS) == ["wagtailadmin.access_admin"]


def test_demo_groups_get_their_rights_from_the_same_function():
    source = open("demo_site/home/management/commands/load_demo.py", encoding="utf-8").read()
    assert "grant_case_worker_permissions(group" in source
    assert "access_admin" not in source


@pytest.mark.parametrize(
    "codenames, allowed",
    [
        (("add_department", "add_officehours", "add_group"), True),
        (("add_department", "add_officehours"), False),
        (("add_department", "add_group"), False),
        (("add_officehours", "add_group"), False),
        (("change_department", "change_group", "change_officehours"), False),
        ((), False),
    ],
)
def test_only_users_who_may_add_departments_office_hours_and_groups_may_set_up(codenames, allowed):
    group = Group.objects.create(name="Rechte")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    for codename in codenames:
        group.permissions.add(Permission.objects.get(codename=codename))
    user = get_user_model().objects.create_user(username="u", password="pw")
    user.groups.add(group)
    client = client_for(user)
    response = client.get(URL)
    assert response.status_code == (200 if allowed else 403)
    assert client.post(URL, form_data()).status_code in ((302,) if allowed else (403,))
    assert Department.objects.exists() is allowed
    # The menu item is shown exactly to them.
    home = client.get("/admin/").content.decode()
    assert (URL in home) is allowed


def test_case_workers_field_only_for_users_who_may_change_users(editor, worker_a):
    editor.groups.first().permissions.remove(Permission.objects.get(codename="change_user"))
    client = client_for(editor)
    assert 'name="case_workers"' not in client.get(URL).content.decode()
    # A forged field is ignored.
    response = client.post(URL, form_data(case_workers=[worker_a.pk]))
    assert response.status_code == 302
    assert not Department.objects.get(slug="ordnungsamt").group.user_set.exists()


# --------------------------------------------------------------------------- the form


def test_the_form_starts_with_the_hours_template(editor):
    html = client_for(editor).get(URL).content.decode()
    assert 'data-controller="bc-hours"' in html
    assert "<script>" not in html.split('id="w-editor-form"')[1].split("</form>")[0]
    assert 'name="hours-0-opens" value="08:30"' in html
    assert re.search(r'name="hours-0-last_day"[^>]*>.*?<option value="4" selected', html, re.S)
    assert 'name="hours-1-opens" value="14:00"' in html
    assert 'name="hours-TOTAL_FORMS" value="3"' in html  # two rows and an empty one
    assert "__prefix__" in html  # the <template> row for "Zeile hinzufügen"


def test_setting_up_creates_everything(editor, worker_a):
    response = client_for(editor).post(URL, form_data(case_workers=[worker_a.pk], email="ordnung@example.org"))
    department = Department.objects.get(slug="ordnungsamt")
    assert response.status_code == 302
    assert response["Location"] == reverse("buergerchat_setup:done", args=[department.pk])
    assert department.name == "Ordnungsamt" and department.email == "ordnung@example.org"
    assert department.group.name == "Ordnungsamt"
    assert [p.codename for p in department.group.permissions.all()] == ["access_admin"]
    assert list(department.group.user_set.all()) == [worker_a]
    hours = department.office_hours
    assert hours.name == "Ordnungsamt" and hours.holiday_state == "BW"
    assert [(r.weekday, r.opens, r.closes) for r in hours.ranges.order_by("weekday", "opens")] == [
        (0, T(8, 30), T(12)),
        (1, T(8, 30), T(12)),
        (2, T(8, 30), T(12)),
        (3, T(8, 30), T(12)),
        (3, T(14), T(18)),
        (4, T(8, 30), T(12)),
    ]
    assert not Page.objects.filter(title="Ordnungsamt").exists()


def test_summary_links_to_the_normal_screens(editor):
    client = client_for(editor)
    response = client.post(URL, form_data())
    department = Department.objects.get(slug="ordnungsamt")
    html = client.get(response["Location"]).content.decode()
    assert reverse("wagtailsnippets_buergerchat_department:edit", args=[department.pk]) in html
    assert reverse("wagtailsnippets_buergerchat_officehours:edit", args=[department.office_hours_id]) in html
    assert reverse("wagtailusers_groups:edit", args=[department.group_id]) in html
    assert 'data-bc-missing="no_case_workers"' in html
    assert 'data-bc-missing="no_page"' in html


@pytest.mark.parametrize("choice, live", [("draft", False), ("publish", True)])
def test_page_with_the_chat_block_as_draft_or_published(editor, site_root, choice, live):
    response = client_for(editor).post(
        URL, form_data(page=choice, page_title="Chat mit dem Ordnungsamt", page_parent=site_root.pk)
    )
    assert response.status_code == 302
    department = Department.objects.get(slug="ordnungsamt")
    page = ContentPage.objects.get(title="Chat mit dem Ordnungsamt")
    assert page.get_parent().pk == site_root.pk
    assert page.slug == "chat-mit-dem-ordnungsamt"
    assert page.live is live
    assert page.owner == editor
    revision = page.latest_revision
    body = revision.as_object().body if not live else page.body
    assert [(block.block_type, block.value["department"]) for block in body] == [("chat", department)]
    assert page.has_unpublished_changes is not live


def test_page_slug_does_not_clash_with_a_sibling(editor, site_root):
    site_root.add_child(instance=ContentPage(title="Ordnungsamt", slug="ordnungsamt"))
    client_for(editor).post(URL, form_data(page="draft", page_parent=site_root.pk))
    assert ContentPage.objects.filter(slug="ordnungsamt-2").exists()


def test_publishing_needs_the_publish_right(editor, site_root):
    GroupPagePermission.objects.filter(permission__codename="publish_page").delete()
    response = client_for(editor).post(URL, form_data(page="publish", page_parent=site_root.pk))
    assert response.status_code == 400
    assert "Sie dürfen unterhalb von" in response.content.decode() or "You may not publish" in response.content.decode()
    assert not Department.objects.exists()


def test_parent_pages_are_only_those_the_user_may_add_to(editor, site_root):
    other_root = Page.get_first_root_node().add_child(instance=Page(title="Andere Website", slug="andere"))
    html = client_for(editor).get(URL).content.decode()
    select = re.search(r'<select name="page_parent".*?</select>', html, re.S).group(0)
    assert f'<option value="{site_root.pk}"' in select
    assert f'<option value="{other_root.pk}"' not in select
    response = client_for(editor).post(URL, form_data(page="draft", page_parent=other_root.pk))
    assert response.status_code == 400
    assert not Department.objects.exists()


@override_settings(BUERGERCHAT={"SETUP_PAGE_MODEL": "home.ContentPage", "SETUP_PAGE_FIELD": "body"})
def test_page_type_and_field_from_the_settings():
    page_type = setup.chat_page_type()
    assert (page_type.model, page_type.field_name, page_type.block_name) == (ContentPage, "body", "chat")


@pytest.mark.parametrize(
    "value",
    [
        {"SETUP_PAGE_MODEL": "home.NoSuchPage"},
        {"SETUP_PAGE_MODEL": "buergerchat.Department"},
        {"SETUP_PAGE_MODEL": "home.ContentPage", "SETUP_PAGE_FIELD": "title"},
        {"SETUP_PAGE_MODEL": "home.ContentPage", "SETUP_PAGE_FIELD": "nothing"},
    ],
)
def test_system_check_reports_an_unusable_page_type(value):
    from buergerchat_wagtail.checks import check_setup_page

    with override_settings(BUERGERCHAT=value):
        errors = check_setup_page(None)
    assert [error.id for error in errors] == ["buergerchat.E005"]
    assert isinstance(errors[0], checks.Error)


def test_system_check_accepts_the_demo_settings():
    from buergerchat_wagtail.checks import check_setup_page

    assert check_setup_page(None) == []


@override_settings(BUERGERCHAT={"SETUP_PAGE_MODEL": None, "SETUP_PAGE_FIELD": None})
def test_without_settings_two_candidate_page_types_offer_no_page(editor):
    # The demo has two page types with the chat block: the form cannot guess.
    assert setup.chat_page_type() is None
    assert 'name="page_parent"' not in client_for(editor).get(URL).content.decode()


# --------------------------------------------------------------------------- validation


def test_errors_are_shown_and_nothing_is_created(editor, dept_a):
    response = client_for(editor).post(
        URL,
        form_data(
            name="Bauverwaltung",  # the slug and the group exist
            rows=((0, 4, "12:00", "08:30"),),
            page="publish",  # without a parent page
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    errors = " ".join(error_texts(response))
    assert "bauverwaltung" in errors  # slug taken
    assert "Bauverwaltung" in errors  # group name taken
    assert re.search(r"(closing time must be after|Ende muss nach dem Beginn)", errors)
    assert 'name="name"' in html and 'value="Bauverwaltung"' in html  # the input is kept
    assert Department.objects.count() == 1
    assert not OfficeHours.objects.exists()


def test_parent_page_required_for_a_page(editor):
    response = client_for(editor).post(URL, form_data(page="draft"))
    assert response.status_code == 400
    assert not Department.objects.exists()


def test_overlapping_rows_are_refused(editor):
    response = client_for(editor).post(URL, form_data(rows=((0, 4, "08:00", "12:00"), (3, None, "11:00", "13:00"))))
    assert response.status_code == 400
    assert re.search("(Thursday|Donnerstag)", response.content.decode())
    assert not Department.objects.exists()


def test_half_filled_row_is_an_error(editor):
    response = client_for(editor).post(URL, form_data(rows=((0, None, "08:00", ""),)))
    assert response.status_code == 400
    assert not Department.objects.exists()


def test_removed_and_blank_rows_are_skipped_and_no_rows_means_no_office_hours(editor):
    client = client_for(editor)
    client.post(URL, form_data(name="Ohne Zeiten", rows=((0, 4, "08:30", "12:00", "delete"),)))
    department = Department.objects.get(slug="ohne-zeiten")
    assert department.office_hours is None
    assert not OfficeHours.objects.exists()


# --------------------------------------------------------------------------- hours rows


def test_expand_hours():
    assert setup.expand_hours([(0, 4, T(8), T(12))]) == [(d, T(8), T(12)) for d in range(5)]
    assert setup.expand_hours([(3, None, T(14), T(18))]) == [(3, T(14), T(18))]
    assert setup.expand_hours([(3, 3, T(14), T(18))]) == [(3, T(14), T(18))]
    # Saturday to Monday wraps over the weekend.
    assert setup.expand_hours([(5, 0, T(10), T(12))]) == [(0, T(10), T(12)), (5, T(10), T(12)), (6, T(10), T(12))]
    assert setup.expand_hours([(0, 6, T(0), T(23, 59))]) == [(d, T(0), T(23, 59)) for d in range(7)]


def test_overlapping_days():
    assert setup.overlapping_days([(3, T(8), T(12)), (3, T(12), T(14))]) == []  # touching is fine
    assert setup.overlapping_days([(3, T(8), T(12)), (3, T(11), T(14)), (1, T(8), T(9))]) == [3]


def test_default_template_is_the_documented_one():
    assert setup.expand_hours(setup.DEFAULT_HOURS) == sorted(
        [(d, T(8, 30), T(12)) for d in range(5)] + [(3, T(14), T(18))]
    )


# --------------------------------------------------------------------------- one transaction


def test_an_error_late_in_the_setup_leaves_nothing_behind(editor, worker_a, site_root, monkeypatch):
    def broken(*args, **kwargs):
        raise setup.ValidationError("Die Seite konnte nicht gespeichert werden.")

    monkeypatch.setattr(setup, "create_chat_page", broken)
    groups = Group.objects.count()
    response = client_for(editor).post(
        URL, form_data(case_workers=[worker_a.pk], page="publish", page_parent=site_root.pk)
    )
    assert response.status_code == 400
    assert "Die Seite konnte nicht gespeichert werden." in response.content.decode()
    assert list(Department.objects.values_list("slug", flat=True)) == ["bauverwaltung"]
    assert not OfficeHours.objects.exists() and not OfficeHoursRange.objects.exists()
    assert Group.objects.count() == groups
    assert list(worker_a.groups.values_list("name", flat=True)) == ["Bauverwaltung"]
    assert not ContentPage.objects.filter(title="Ordnungsamt").exists()
