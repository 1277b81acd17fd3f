"""Safe message formatting (16.4): links, line breaks and simple lists, nothing else;
one parse on the server for the widget, the admin and the PDF."""

import re
import time

import pytest
from django.template import Context, Template

from buergerchat_wagtail.conversations import payloads
from buergerchat_wagtail.conversations.formatting import LINK_REL, MAX_URL_LENGTH, format_text, parse

LINK = re.compile(r"<a\b[^>]*>")


def links(html):
    return re.findall(r'<a href="([^"]*)" rel="noopener noreferrer nofollow" target="_blank">([^<]*)</a>', html)


def test_plain_text_is_escaped_and_keeps_its_line_breaks():
    html = format_text("Guten Tag,\nich habe <b>eine</b> Frage & \"mehr\".\n\nDanke")
    assert html == (
        "<p>Guten Tag,<br>ich habe &lt;b&gt;eine&lt;/b&gt; Frage &amp; &quot;mehr&quot;.<br><br>Danke</p>"
    )


def test_a_link_right_after_a_colon_or_a_bracket():
    for text in ("Link:https://stadt.de/a", "(https://stadt.de/a)", "»https://stadt.de/a«"):
        assert links(format_text(text)) == [("https://stadt.de/a", "https://stadt.de/a")], text


def test_a_link_is_clickable_with_the_full_address_as_its_text():
    html = format_text("Formular: https://www.musterstadt.de/bauen/antrag?typ=carport&seite=2#oben")
    url = "https://www.musterstadt.de/bauen/antrag?typ=carport&amp;seite=2#oben"
    assert links(html) == [(url, url)]
    assert f'rel="{LINK_REL}"' in html and LINK_REL == "noopener noreferrer nofollow"


@pytest.mark.parametrize(
    "text, url, after",
    [
        ("Siehe https://stadt.de/a.", "https://stadt.de/a", "."),
        ("Geht das: https://stadt.de/a?", "https://stadt.de/a", "?"),
        ("https://stadt.de/a, https://stadt.de/b!", "https://stadt.de/a", ", "),
        ("(siehe https://stadt.de/a)", "https://stadt.de/a", ")"),
        ("[https://stadt.de/a]", "https://stadt.de/a", "]"),
        ("Wiki: https://de.wikipedia.org/wiki/Carport_(Bau).", "https://de.wikipedia.org/wiki/Carport_(Bau)", "."),
        ("„https://stadt.de/a“ bitte", "https://stadt.de/a", "“ bitte"),
    ],
)
def test_trailing_punctuation_is_not_part_of_the_link(text, url, after):
    html = format_text(text)
    assert links(html)[0] == (url, url)
    assert html.split("</a>", 1)[1].startswith(after)


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "mailto:amt@stadt.de",
        "ftp://stadt.de/datei",
        "https://",
        "http:///nur-ein-pfad",
        "https://stadt.de:abc/",
        "https://[::1/",
        "xhttps://stadt.de/",
        "java\nscript:alert(1)",
    ],
)
def test_other_schemes_and_broken_addresses_stay_text(text):
    assert "<a " not in format_text(text)


def test_script_tags_and_html_never_come_through():
    attempts = [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "</p><script>alert(1)</script>",
        "https://stadt.de/<script>alert(1)</script>",
        "<a href='javascript:alert(1)'>klick</a>",
        "- <svg onload=alert(1)>",
        "1. <iframe src=//evil.example>",
    ]
    for text in attempts:
        html = format_text(text)
        assert "<script" not in html and "<img" not in html and "<svg" not in html and "<iframe" not in html
        assert "javascript:" not in "".join(LINK.findall(html))
        # The only tags are the formatter's own.
        assert set(re.findall(r"</?([a-z]+)", html)) <= {"p", "br", "a", "ul", "ol", "li"}


@pytest.mark.parametrize(
    "text, href",
    [
        ('https://stadt.de/"onmouseover="alert(1)', "https://stadt.de/"),
        ("https://stadt.de/'onmouseover='alert(1)", "https://stadt.de/"),
        ("https://stadt.de/a`b", "https://stadt.de/a"),
        ("https://stadt.de/a<b>", "https://stadt.de/a"),
    ],
)
def test_quotes_and_angle_brackets_end_an_address(text, href):
    html = format_text(text)
    assert links(html) == [(href, href)]
    # Whatever followed is escaped text after the link, never an attribute.
    assert html.count('"') == 2 * 3  # href, rel, target


def test_a_link_inside_the_attribute_cannot_break_out():
    html = format_text("https://stadt.de/?q=a&b=%22&c=&#34;")
    (href, text), = links(html)
    assert '"' not in href and "<" not in href
    assert href == "https://stadt.de/?q=a&amp;b=%22&amp;c=&amp;#34"  # the ";" ends a sentence


def test_very_long_addresses():
    long_url = "https://stadt.de/" + "a" * 3000
    started = time.perf_counter()
    html = format_text(f"Bitte {long_url} ansehen")
    assert time.perf_counter() - started < 0.5
    assert "<a " not in html and long_url in html  # over MAX_URL_LENGTH: shown in full, as text
    fits = "https://stadt.de/" + "b" * (MAX_URL_LENGTH - 20)
    assert links(format_text(fits)) == [(fits, fits)]
    # no quadratic behaviour on many almost-addresses
    started = time.perf_counter()
    format_text("https://. " * 400 + "(" * 4000)
    format_text("https://stadt.de/" + ")" * 4000)
    assert time.perf_counter() - started < 0.5


def test_international_domains_are_linked_with_punycode_and_shown_as_typed():
    (href, text), = links(format_text("https://münchen.de/bürgerbüro"))
    assert href == "https://xn--mnchen-3ya.de/b%C3%BCrgerb%C3%BCro"
    assert text == "https://münchen.de/bürgerbüro"


def test_lists_are_kept():
    text = "Ich brauche:\n- einen Lageplan\n* die Bauzeichnung mit https://stadt.de/plan\n\nSchritte:\n1. Antrag\n2. Gebühr\nDanke"
    html = format_text(text)
    assert html == (
        "<p>Ich brauche:</p>"
        "<ul><li>einen Lageplan</li><li>die Bauzeichnung mit "
        '<a href="https://stadt.de/plan" rel="noopener noreferrer nofollow" target="_blank">https://stadt.de/plan</a></li></ul>'
        "<p>Schritte:</p>"
        '<ol><li value="1">Antrag</li><li value="2">Gebühr</li></ol>'
        "<p>Danke</p>"
    )


def test_numbered_lists_keep_the_typed_numbers_and_only_look_like_lists():
    assert format_text("3. drei\n4) vier") == '<ol start="3"><li value="3">drei</li><li value="4">vier</li></ol>'
    # A year, a dash without a space, a lone marker and deep indentation are text.
    for text in ("2024. war ein gutes Jahr", "-kein Punkt", "- ", "*", "    - eingerückter Code"):
        assert "<li" not in format_text(text), text


@pytest.mark.django_db
def test_blocks_are_json_safe_and_carried_by_the_payload(dept_a, start_conversation):
    conversation, _secret = start_conversation(dept_a, text="Siehe https://stadt.de/a\n- eins")
    message = conversation.messages.get()
    for audience in (payloads.CITIZEN, payloads.STAFF):
        data = payloads.message_payload(message, audience)
        assert data["body"] == "Siehe https://stadt.de/a\n- eins"  # the raw text stays
        assert data["blocks"] == [
            {"type": "p", "lines": [["Siehe ", {"href": "https://stadt.de/a", "text": "https://stadt.de/a"}]]},
            {"type": "ul", "items": [["eins"]]},
        ]
    assert parse("") == []


def test_template_filter():
    html = Template("{% load buergerchat %}{{ text|buergerchat_format }}").render(
        Context({"text": "<b>https://stadt.de</b>"})
    )
    assert html == '<p>&lt;b&gt;<a href="https://stadt.de" rel="noopener noreferrer nofollow" target="_blank">https://stadt.de</a>&lt;/b&gt;</p>'
