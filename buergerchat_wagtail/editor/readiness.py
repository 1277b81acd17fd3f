"""Is a department ready for citizens? What is missing, per department:
office hours, somebody in the answering group, a published page with a chat block,
a published privacy notice page for that chat.

Pages are found through Wagtail's reference index (the chat block's department
chooser, also inside topics), so nothing is loaded page by page.
"""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from wagtail.models import Page, ReferenceIndex

from buergerchat_wagtail.editor.setup import chat_page_candidates
from buergerchat_wagtail.models import BuergerchatSiteSettings, Department

NO_OFFICE_HOURS = "no_office_hours"
EMPTY_OFFICE_HOURS = "empty_office_hours"
NO_CASE_WORKERS = "no_case_workers"
NO_PAGE = "no_page"
PAGE_NOT_PUBLISHED = "page_not_published"
NO_PRIVACY_PAGE = "no_privacy_page"


@dataclass
class Readiness:
    department: Department
    missing: list = field(default_factory=list)
    #: Published pages with a chat block of the department.
    pages: list = field(default_factory=list)
    #: Pages with such a block that are not published.
    drafts: list = field(default_factory=list)

    @property
    def ready(self):
        return not self.missing


def chat_paths():
    """Reference-index model paths of a chat block's department (directly and in topics)
    and of its privacy page, per StreamField and block name."""
    department_paths, privacy_paths = set(), set()
    for candidate in chat_page_candidates():
        prefix = f"{candidate.field_name}.{candidate.block_name}"
        department_paths |= {f"{prefix}.department", f"{prefix}.topics.item.department"}
        privacy_paths.add(f"{prefix}.privacy_page")
    return department_paths, privacy_paths


def _block_key(content_path):
    """``body.<block uuid>.…`` -> ``body.<block uuid>``: the block a reference sits in."""
    return ".".join(content_path.split(".")[:2])


def readiness(departments=None):
    """A :class:`Readiness` for each department (all of them by default), in name order."""
    departments = list(
        (departments if departments is not None else Department.objects.all())
        .select_related("group", "office_hours")
        .order_by("name")
    )
    if not departments:
        return []
    department_paths, privacy_paths = chat_paths()
    page_type = ContentType.objects.get_for_model(Page)
    references = ReferenceIndex.objects.filter(
        base_content_type=page_type,
        to_content_type=ContentType.objects.get_for_model(Department),
        to_object_id__in=[str(d.pk) for d in departments],
        model_path__in=department_paths,
    ).values_list("object_id", "to_object_id", "content_path")
    blocks = {}  # department id -> {(page id, block key)}
    for page_id, department_id, content_path in references:
        blocks.setdefault(int(department_id), set()).add((int(page_id), _block_key(content_path)))
    page_ids = {page_id for keys in blocks.values() for page_id, _ in keys}
    pages = Page.objects.in_bulk(page_ids)
    privacy = {}  # (page id, block key) -> privacy page id
    for page_id, to_id, content_path in ReferenceIndex.objects.filter(
        base_content_type=page_type,
        object_id__in=[str(pk) for pk in page_ids],
        model_path__in=privacy_paths,
    ).values_list("object_id", "to_object_id", "content_path"):
        privacy[(int(page_id), _block_key(content_path))] = int(to_id)
    privacy_pages = Page.objects.in_bulk(set(privacy.values()))
    default_privacy = BuergerchatSiteSettings.for_request_or_default().privacy_page
    ranges = set(
        Department.objects.filter(pk__in=[d.pk for d in departments], office_hours__ranges__isnull=False).values_list(
            "pk", flat=True
        )
    ) | set(
        Department.objects.filter(
            pk__in=[d.pk for d in departments], office_hours__exceptions__opens__isnull=False
        ).values_list("pk", flat=True)
    )
    staffed = set(
        Department.objects.filter(pk__in=[d.pk for d in departments], group__user__is_active=True).values_list(
            "pk", flat=True
        )
    )

    result = []
    for department in departments:
        state = Readiness(department)
        if department.office_hours_id is None:
            state.missing.append(NO_OFFICE_HOURS)
        elif department.pk not in ranges:
            state.missing.append(EMPTY_OFFICE_HOURS)
        if department.pk not in staffed:
            state.missing.append(NO_CASE_WORKERS)
        live_blocks = []
        for page_id, key in sorted(blocks.get(department.pk, ())):
            page = pages.get(page_id)
            if page is None:
                continue
            if page.live:
                live_blocks.append((page_id, key))
                if page not in state.pages:
                    state.pages.append(page)
            elif page not in state.drafts:
                state.drafts.append(page)
        if not state.pages:
            state.missing.append(PAGE_NOT_PUBLISHED if state.drafts else NO_PAGE)
        # Each published chat needs a published privacy page: its own, or the site's.
        def privacy_page(block):
            own = privacy_pages.get(privacy.get(block))
            return own or default_privacy

        checked = [privacy_page(block) for block in live_blocks] or [default_privacy]
        if any(page is None or not page.live for page in checked):
            state.missing.append(NO_PRIVACY_PAGE)
        result.append(state)
    return result
