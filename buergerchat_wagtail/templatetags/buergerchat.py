"""``{% buergerchat_launcher %}``: the floating chat button of the page's section;
``{{ text|buergerchat_format }}``: a message text as safe HTML (links, line breaks,
lists; conversations/formatting.py).

Put it once into the site's base template, e.g. before ``</body>``::

    {% load buergerchat %}
    ...
    {% buergerchat_launcher %}
"""

from django import template
from django.utils.safestring import mark_safe
from wagtail.blocks import ListBlock, StreamBlock, StructBlock
from wagtail.fields import StreamField

from buergerchat_wagtail.conversations import formatting
from buergerchat_wagtail.editor.blocks import DISPLAY_LAUNCHER, ChatBlock, launcher_block
from buergerchat_wagtail.models import BuergerchatSiteSettings, ChatLauncher

register = template.Library()


@register.filter
def buergerchat_format(text):
    """A message text as safe HTML: escaped, with clickable links, line breaks and lists."""
    return formatting.format_text(text)


@register.simple_tag(takes_context=True)
def buergerchat_launcher(context):
    page = context.get("page") or context.get("self")
    if page is None or not hasattr(page, "get_ancestors"):
        return ""
    launcher = ChatLauncher.objects.for_page(page).first()
    if launcher is None:
        return ""
    block, value = launcher_block(launcher)
    wanted = {launcher.department_id} if launcher.department_id else set()
    wanted |= {t["department"].pk for t in launcher.topic_values() if t.get("department")}
    if not wanted:
        wanted = {getattr(value.get("department"), "pk", None)}
    if wanted & chat_departments_on_page(page) or has_launcher_block(page):
        # The page has its own chat with that department, or its own chat button in the
        # corner: no second one.
        return ""
    return mark_safe(block.render(value, context=context.flatten()))  # noqa: S308 - rendered template


def has_launcher_block(page):
    """Whether a chat block on the page is itself a chat button (display "launcher")."""
    return any(value.get("display") == DISPLAY_LAUNCHER for value in chat_blocks_on_page(page))


def chat_departments_on_page(page):
    """Ids of the departments of all chat blocks in the page's StreamFields (a block
    without a department counts as the default department)."""
    found = set()
    for value in chat_blocks_on_page(page):
        department = value.get("department")
        topics = value.get("topics") or []
        if department is not None:
            found.add(department.pk)
        for topic in topics:
            if topic.get("department") is not None:
                found.add(topic["department"].pk)
        if department is None and not topics:
            fallback = BuergerchatSiteSettings.active_default_department()
            if fallback is not None:
                found.add(fallback.pk)
    return found


def chat_blocks_on_page(page):
    """The values of all chat blocks in the page's StreamFields, nested ones included."""
    page = page.specific_deferred if hasattr(page, "specific_deferred") else page
    found = []

    def walk(block, value):
        if value is None:
            return
        if isinstance(block, ChatBlock):
            found.append(value)
        elif isinstance(block, StreamBlock):
            for child in value:
                walk(child.block, child.value)
        elif isinstance(block, ListBlock):
            for item in value:
                walk(block.child_block, item)
        elif isinstance(block, StructBlock):
            for name, child_block in block.child_blocks.items():
                walk(child_block, value.get(name))

    for field in page._meta.get_fields():
        if isinstance(field, StreamField):
            stream = getattr(page, field.name, None)
            if stream is not None:
                walk(field.stream_block, stream)
    return found
