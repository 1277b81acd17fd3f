"""What editors set: site defaults (privacy page, brand colour, retention, department),
chat block options (display, topics, greeting, office hours), the chat button for a
page section and its template tag, block preview."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.models import Site

from buergerchat_wagtail.editor.blocks import ChatBlock
from buergerchat_wagtail.models import BuergerchatSiteSettings, ChatLauncher, Conversation, ConversationStatus
from buergerchat_wagtail.models.validators import contrast_ratio, format_ratio, validate_brand_colour
from buergerchat_wagtail.privacy import retention
from buergerchat_wagtail.templatetags.buergerchat import chat_departments_on_page
from tests.conftest import add_content_page

pytestmark = pytest.mark.django_db


def site_settings(**values):
    settings = BuergerchatSiteSettings.for_site(Site.objects.get(is_default_site=True))
    for name, value in values.items():
        setattr(settings, name, value)
    settings.save()
    return settings


def block_value(**data):
    block = ChatBlock()
    raw = {
        "department": None,
        "heading": "",
        "intro": "",
        "privacy_page": None,
    }
    raw.update(data)
    return block, block.to_python(raw)


def render(request=None, parent=None, **data):
    block, value = block_value(**data)
    context = dict(parent or {})
    context["request"] = request or RequestFactory().get("/", HTTP_HOST="localhost")
    return block.render(value, context=context)


def topic(label, department, subject=""):
    return {"label": label, "department": department.pk, "subject": subject}


def form_data(html, **overrides):
    """The hidden fields of the rendered start form plus a valid concern."""
    form = re.search(r"<form[^>]*data-bc-start-form.*?</form>", html, re.S).group(0)
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    data.update(text="Wann kann ich den Ausweis abholen?", privacy="on")
    data.update(overrides)
    action = re.search(r'action="([^"]+)"', form).group(1)
    return action, data


# --------------------------------------------------------------------------- brand colour


@pytest.mark.parametrize(
    "first, second, expected",
    [("#ffffff", "#767676", 4.54), ("#ffffff", "#777777", 4.47), ("#000000", "#ffffff", 21.0), ("#004b87", "#ffffff", 8.91)],
)
def test_contrast_ratio_of_known_pairs(first, second, expected):
    with translation.override("en"):
        assert format_ratio(contrast_ratio(first, second)) == f"{expected:.2f}"
    assert contrast_ratio(first, second) == contrast_ratio(second, first)


def test_brand_colour_with_enough_contrast_passes():
    validate_brand_colour("#767676")
    validate_brand_colour("#8A1538")
    validate_brand_colour("")


@pytest.mark.parametrize("language, ratio, minimum", [("en", "4.47:1", "4.5:1"), ("de", "4,47:1", "4,5:1")])
def test_brand_colour_below_4_5_is_refused_with_the_measured_ratio(language, ratio, minimum):
    with translation.override(language), pytest.raises(ValidationError) as error:
        validate_brand_colour("#777777")
    assert error.value.code == "low_contrast"
    with translation.override(language):
        message = str(error.value.messages[0])
    assert ratio in message and minimum in message and "#777777" in message, message


def test_brand_colour_must_be_hex():
    with pytest.raises(ValidationError) as error:
        validate_brand_colour("red")
    assert error.value.code == "invalid_colour"


def test_site_setting_refuses_low_contrast_colour():
    settings = site_settings()
    settings.brand_colour = "#ffcc00"
    with pytest.raises(ValidationError) as error:
        settings.full_clean()
    assert "brand_colour" in error.value.message_dict


def test_theme_stylesheet_applies_the_brand_colour(chat_page):
    site_settings(brand_colour="#8a1538")
    content = Client().get(chat_page.url).content.decode()
    assert 'href="/buergerchat/theme.css?c=8a1538"' in content
    response = Client().get("/buergerchat/theme.css?c=8a1538")
    assert response["Content-Type"].startswith("text/css")
    assert "--bc-accent: #8a1538" in response.content.decode()


def test_no_theme_stylesheet_without_brand_colour(chat_page):
    content = Client().get(chat_page.url).content.decode()
    assert "theme.css" not in content
    assert "--bc-accent" not in Client().get("/buergerchat/theme.css").content.decode()


# --------------------------------------------------------------------------- retention


def test_department_without_retention_uses_the_site_default(dept_a, dept_b):
    site_settings(default_retention_days=30)
    dept_b.retention_days = 10
    dept_b.save()
    assert dept_a.retention_days is None
    assert dept_a.retention_period_days == 30
    assert dept_b.retention_period_days == 10
    assert dept_a.retention_period_days == 30


def test_purge_uses_the_site_default_retention(dept_a, start_conversation):
    site_settings(default_retention_days=30)
    old, _ = start_conversation(dept_a, text="Alt")
    young, _ = start_conversation(dept_a, text="Jung")
    now = timezone.now()
    Conversation.objects.filter(pk=old.pk).update(status=ConversationStatus.CLOSED, closed_at=now - datetime.timedelta(days=31))
    Conversation.objects.filter(pk=young.pk).update(status=ConversationStatus.CLOSED, closed_at=now - datetime.timedelta(days=29))
    assert [c.pk for c in retention.expired_conversations()] == [old.pk]


def test_site_default_retention_is_90_days(dept_a):
    assert dept_a.retention_period_days == 90


# --------------------------------------------------------------------------- block: old data, clean


def test_existing_block_data_keeps_working(dept_a, privacy_page):
    block = ChatBlock()
    value = block.to_python({"department": dept_a.pk, "heading": "H", "intro": "", "privacy_page": privacy_page.pk})
    assert value["display"] == "inline"
    assert value["show_office_hours"] is True
    assert list(value["topics"]) == []
    assert not value["greeting"]
    block.clean(value)
    html = block.render(value, context={"request": RequestFactory().get("/", HTTP_HOST="localhost")})
    assert "data-bc-launcher" not in html
    assert f'action="/buergerchat/start/{dept_a.pk}/"' in html
    assert "data-bc-availability" in html


def test_clean_refuses_department_and_topics(dept_a, dept_b):
    block, value = block_value(department=dept_a.pk, topics=[topic("Ausweis", dept_b)])
    with pytest.raises(StructBlockValidationError) as error:
        block.clean(value)
    assert "department" in error.value.block_errors
    with translation.override("en"):
        assert "either one department or topics" in str(error.value.block_errors["department"].messages[0])


def test_clean_requires_a_department_without_topics_and_default(dept_a):
    block, value = block_value()
    with pytest.raises(StructBlockValidationError) as error:
        block.clean(value)
    with translation.override("en"):
        assert "no default department" in str(error.value.block_errors["department"].messages[0])


def test_clean_accepts_topics_only_or_the_default_department(dept_a, dept_b):
    block, value = block_value(topics=[topic("Ausweis", dept_b, "Personalausweis")])
    block.clean(value)
    site_settings(default_department=dept_a)
    block, value = block_value()
    block.clean(value)


# --------------------------------------------------------------------------- defaults


def test_block_without_department_and_privacy_page_uses_site_defaults(dept_b, privacy_page):
    site_settings(default_department=dept_b, privacy_page=privacy_page)
    html = render()
    assert f'action="/buergerchat/start/{dept_b.pk}/"' in html
    assert f'name="privacy_page" value="{privacy_page.pk}"' in html
    assert f'href="{privacy_page.url}"' in html


def test_block_privacy_page_wins_over_site_default(dept_a, privacy_page, site_root):
    other = add_content_page(site_root, "datenschutz-bau", "Datenschutz Bau", [])
    site_settings(privacy_page=other)
    html = render(department=dept_a.pk, privacy_page=privacy_page.pk)
    assert f'name="privacy_page" value="{privacy_page.pk}"' in html


# --------------------------------------------------------------------------- block options


def test_greeting_override_and_hidden_office_hours(dept_a):
    html = render(department=dept_a.pk, greeting="Hallo <Nachbar>!", show_office_hours=False)
    assert 'data-bc-greeting-override="Hallo &lt;Nachbar&gt;!"' in html
    assert "data-bc-availability" not in html
    assert "office-hours" not in html


def test_launcher_display_renders_a_disclosure_button(dept_a):
    html = render(department=dept_a.pk, display="launcher", launcher_label="Fragen?")
    button = re.search(r"<button[^>]*data-bc-launcher-button[^>]*>([^<]*)</button>", html)
    assert button and button.group(1) == "Fragen?"
    panel_id = re.search(r'aria-controls="([^"]+)"', button.group(0)).group(1)
    assert 'aria-expanded="false"' in button.group(0)
    assert re.search(rf'<div class="bc-launcher__panel" id="{panel_id}"[^>]*hidden', html)
    assert "data-bc-launcher-close" in html
    assert "js/launcher.js" in html


# --------------------------------------------------------------------------- topics


def test_topics_render_a_choice_and_route_the_start(dept_a, dept_b, privacy_page):
    html = render(
        topics=[topic("Bauantrag", dept_a, "Bauantrag"), topic("Personalausweis", dept_b, "Personalausweis")],
        privacy_page=privacy_page.pk,
    )
    assert '<option value="1">Personalausweis</option>' in html
    action, data = form_data(html, topic="1")
    # The form posts to the first topic's department; the chosen topic decides.
    assert action == f"/buergerchat/start/{dept_a.pk}/"
    response = Client(enforce_csrf_checks=True).post(action, data)
    assert response.status_code == 201, response.content
    conversation = Conversation.objects.get()
    assert conversation.department == dept_b
    assert conversation.subject == "Personalausweis: Wann kann ich den Ausweis abholen?"
    assert conversation.privacy_page_id == privacy_page.pk


def test_topic_is_required_when_topics_are_given(dept_a, dept_b):
    html = render(topics=[topic("Ausweis", dept_b)])
    action, data = form_data(html)
    response = Client().post(action, data)
    assert response.status_code == 400
    assert "topic" in response.json()["fields"]
    # The re-rendered form still offers the topics.
    assert '<option value="0">Ausweis</option>' in response.json()["form_html"]
    assert not Conversation.objects.exists()


def test_forged_topic_list_is_ignored(dept_a, dept_b):
    html = render(topics=[topic("Ausweis", dept_b)])
    action, data = form_data(html, topic="0")
    data["topics"] = data["topics"][:-3] + "xyz"
    response = Client().post(action, data)
    # Without a valid signed list there is no topic: the form's own department answers.
    assert response.status_code == 201
    assert Conversation.objects.get().department == dept_b
    assert Conversation.objects.get().subject == "Wann kann ich den Ausweis abholen?"


def test_topics_of_inactive_departments_are_not_offered(dept_a, dept_b):
    dept_b.is_active = False
    dept_b.save()
    html = render(topics=[topic("Ausweis", dept_b), topic("Bauantrag", dept_a)])
    assert "Ausweis" not in html
    assert '<option value="0">Bauantrag</option>' in html


# --------------------------------------------------------------------------- launcher tag


@pytest.fixture
def section(site_root, dept_a, dept_b):
    top = add_content_page(site_root, "service", "Service", [])
    sub = add_content_page(top, "ausweise", "Ausweise", [])
    leaf = add_content_page(sub, "reisepass", "Reisepass", [])
    other = add_content_page(site_root, "kultur", "Kultur", [])
    return {"top": top, "sub": sub, "leaf": leaf, "other": other}


def render_tag(page):
    request = RequestFactory().get(page.url, HTTP_HOST="localhost")
    return Template("{% load buergerchat %}{% buergerchat_launcher %}").render(Context({"page": page, "request": request}))


def test_launcher_tag_picks_the_most_specific_section(section, dept_a, dept_b):
    ChatLauncher.objects.create(label="Allgemein", root_page=section["top"], department=dept_a)
    ChatLauncher.objects.create(label="Ausweise", root_page=section["sub"], department=dept_b)
    assert "Allgemein" in render_tag(section["top"])
    leaf = render_tag(section["leaf"])
    assert "Ausweise" in leaf and "Allgemein" not in leaf
    assert f'data-bc-department="{dept_b.pk}"' in leaf


def test_launcher_tag_renders_nothing_outside_its_section(section, dept_a):
    ChatLauncher.objects.create(label="Allgemein", root_page=section["top"], department=dept_a)
    assert render_tag(section["other"]).strip() == ""
    assert render_tag(Site.objects.get(is_default_site=True).root_page).strip() == ""


def test_launcher_without_descendants_only_on_its_page(section, dept_a):
    ChatLauncher.objects.create(label="Nur hier", root_page=section["top"], department=dept_a, include_descendants=False)
    assert "Nur hier" in render_tag(section["top"])
    assert render_tag(section["sub"]).strip() == ""


def test_inactive_launcher_is_not_rendered(section, dept_a):
    ChatLauncher.objects.create(label="Aus", root_page=section["top"], department=dept_a, is_active=False)
    assert render_tag(section["top"]).strip() == ""


def test_no_second_chat_on_a_page_with_a_chat_block_for_that_department(site_root, dept_a, dept_b, privacy_page):
    page = add_content_page(site_root, "bau", "Bau", [("chat", {"department": dept_a, "privacy_page": privacy_page})])
    assert chat_departments_on_page(page) == {dept_a.pk}
    launcher = ChatLauncher.objects.create(label="Chat", root_page=site_root, department=dept_a)
    assert render_tag(page).strip() == ""
    # A chat button for another department is still shown there.
    launcher.department = dept_b
    launcher.save()
    assert "Chat" in render_tag(page)


def test_launcher_with_topics_and_default_department(section, dept_a, dept_b, privacy_page):
    site_settings(default_department=dept_a, privacy_page=privacy_page)
    ChatLauncher.objects.create(
        label="Themen",
        root_page=section["top"],
        topics=[("topic", {"label": "Reisepass", "department": dept_b, "subject": "Reisepass"})],
    )
    html = render_tag(section["leaf"])
    assert '<option value="0">Reisepass</option>' in html
    assert f'name="privacy_page" value="{privacy_page.pk}"' in html
    # The launcher's chat knows the page it is on (for the "answer waiting" e-mail).
    assert f'name="page" value="{section["leaf"].pk}"' in html


def test_launcher_clean(section, dept_a, dept_b):
    both = ChatLauncher(
        label="X",
        root_page=section["top"],
        department=dept_a,
        topics=[("topic", {"label": "Reisepass", "department": dept_b, "subject": ""})],
    )
    with pytest.raises(ValidationError) as error:
        both.full_clean()
    assert "department" in error.value.message_dict
    neither = ChatLauncher(label="X", root_page=section["top"])
    with pytest.raises(ValidationError):
        neither.full_clean()
    site_settings(default_department=dept_a)
    neither.full_clean()


def test_demo_base_template_renders_the_launcher(section, dept_a):
    ChatLauncher.objects.create(label="Fragen an die Stadt", root_page=section["top"], department=dept_a)
    content = Client().get(section["leaf"].url).content.decode()
    assert content.count("data-bc-launcher-button") == 1
    assert "Fragen an die Stadt" in content
    assert "data-bc-launcher-button" not in Client().get(section["other"].url).content.decode()


# --------------------------------------------------------------------------- previews


def test_block_preview_is_a_preview(dept_a, superuser):
    block = ChatBlock()
    assert block.is_previewable
    assert str(block.get_description())
    value = block.get_preview_value()
    assert value["department"] == dept_a  # the first active department
    request = RequestFactory().get("/admin/", HTTP_HOST="localhost")
    request.user = superuser
    context = block.get_preview_context(value, parent_context={"request": request})
    html = block.render(value, context=context)
    assert "data-bc-preview" in html
    assert "data-bc-start-form" in html


def test_block_preview_in_the_admin(dept_a, superuser):
    client = Client()
    client.force_login(superuser)
    from demo_site.home.models import ContentPage

    chat_block = ContentPage._meta.get_field("body").stream_block.child_blocks["chat"]
    response = client.get("/admin/block-preview/", {"id": chat_block.definition_prefix})
    assert response.status_code == 200, response.status_code
    content = response.content.decode()
    assert "data-bc-preview" in content
    assert "Bauverwaltung" in content


# --------------------------------------------------------------------------- admin


def test_admin_settings_refuse_a_low_contrast_colour_with_the_ratio(superuser):
    client = Client()
    client.force_login(superuser)
    site = Site.objects.get(is_default_site=True)
    url = f"/admin/settings/buergerchat/buergerchatsitesettings/{site.pk}/"
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"city_name": "", "brand_colour": "#777777", "default_retention_days": "90"}
    )
    assert response.status_code == 200
    assert "4,47:1" in response.content.decode()  # the admin speaks German here
    assert not BuergerchatSiteSettings.objects.filter(brand_colour="#777777").exists()
    response = client.post(url, {"city_name": "", "brand_colour": "#767676", "default_retention_days": "30"})
    assert response.status_code == 302
    assert BuergerchatSiteSettings.for_site(site).brand_colour == "#767676"


def test_admin_chat_button_snippet_and_page_editor(superuser, chat_page):
    client = Client()
    client.force_login(superuser)
    response = client.get("/admin/buergerchat/chat-buttons/add/")
    assert response.status_code == 200
    assert "Thema" in response.content.decode()
    assert client.get("/admin/buergerchat/chat-buttons/").status_code == 200
    # The page editor still opens the existing chat block with its new options.
    response = client.get(f"/admin/pages/{chat_page.pk}/edit/")
    assert response.status_code == 200
    assert "show_office_hours" in response.content.decode()


def test_launcher_in_page_preview_is_a_preview(section, dept_a):
    ChatLauncher.objects.create(label="Vorschau", root_page=section["top"], department=dept_a)
    request = RequestFactory().get(section["top"].url, HTTP_HOST="localhost")
    request.is_preview = True
    html = Template("{% load buergerchat %}{% buergerchat_launcher %}").render(
        Context({"page": section["top"], "request": request})
    )
    assert "data-bc-preview" in html
    assert "data-bc-launcher-button" in html


def test_no_section_chat_button_on_a_page_with_its_own_chat_button_block(site_root, dept_a, dept_b):
    page = add_content_page(site_root, "eigener-knopf", "Eigener Knopf", [("chat", {"department": dept_a, "display": "launcher"})])
    ChatLauncher.objects.create(label="Bereich", root_page=site_root, department=dept_b)
    assert render_tag(page).strip() == ""
    content = Client().get(page.url).content.decode()
    assert content.count("data-bc-launcher-button") == 1
