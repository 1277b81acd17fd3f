"""Setting up a department in one step ("Abteilung einrichten"): its answering group
with the case workers' permissions, its office hours, its case workers and a page
with the chat block, created together or not at all.

The one source of truth for what a case worker needs (:func:`grant_case_worker_permissions`),
used by the setup form and by the demo's ``load_demo``.
"""

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.permission_policies.pages import PagePermissionPolicy

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.editor.blocks import ChatBlock
from buergerchat_wagtail.models import Department, OfficeHours, OfficeHoursRange

#: What a case worker needs besides membership of the answering group (which gives
#: them the department's conversations, see conversations/permissions.py): access to
#: the Wagtail admin, where the inbox is. Nothing else -- no snippet or page rights.
CASE_WORKER_PERMISSIONS = ("wagtailadmin.access_admin",)

#: The Django permissions a user needs to set up a department in one step.
SETUP_PERMISSIONS = ("buergerchat.add_department", "buergerchat.add_officehours", "auth.add_group")

T = datetime.time
#: The office hours the setup form starts with: (first weekday, last weekday, opens, closes),
#: Monday = 0. Mo–Fr 8:30–12:00 and Thursday afternoons 14:00–18:00.
DEFAULT_HOURS = ((0, 4, T(8, 30), T(12)), (3, 3, T(14), T(18)))

page_permission_policy = PagePermissionPolicy()


def case_worker_permissions():
    codenames = [name.split(".", 1) for name in CASE_WORKER_PERMISSIONS]
    permissions = list(
        Permission.objects.filter(
            content_type__app_label__in={app for app, _ in codenames}, codename__in={code for _, code in codenames}
        )
    )
    found = {(p.content_type.app_label, p.codename) for p in permissions}
    missing = [f"{app}.{code}" for app, code in codenames if (app, code) not in found]
    if missing:
        raise ImproperlyConfigured("Missing permissions (run migrate): " + ", ".join(missing))
    return [p for p in permissions if [p.content_type.app_label, p.codename] in codenames]


def grant_case_worker_permissions(group, department=None):
    """Give ``group`` exactly what the case workers of ``department`` need.

    Their access to the department's conversations follows from the department's
    ``group``; ``department`` is accepted so that per-department rights can be added
    here later without changing the callers.
    """
    group.permissions.add(*case_worker_permissions())
    return group


def may_set_up(user):
    return user.is_active and all(user.has_perm(permission) for permission in SETUP_PERMISSIONS)


def may_add_case_workers(user):
    """Adding users to a group is user management (Wagtail's user form needs the same)."""
    return user.is_active and user.has_perm("auth.change_user")


def expand_hours(rows):
    """Form rows (first weekday, last weekday, opens, closes) as weekly ranges
    (weekday, opens, closes), sorted; a last weekday before the first wraps over
    the weekend (Sa–Mo)."""
    ranges = []
    for first, last, opens, closes in rows:
        days = [first] if last is None else [(first + i) % 7 for i in range((last - first) % 7 + 1)]
        ranges += [(day, opens, closes) for day in days]
    return sorted(ranges)


def overlapping_days(ranges):
    """The weekdays on which two of the ``ranges`` overlap."""
    days = set()
    by_day = {}
    for day, opens, closes in ranges:
        by_day.setdefault(day, []).append((opens, closes))
    for day, spans in by_day.items():
        spans.sort()
        if any(spans[i + 1][0] < spans[i][1] for i in range(len(spans) - 1)):
            days.add(day)
    return sorted(days)


# --------------------------------------------------------------------------- the page


@dataclass(frozen=True)
class ChatPageType:
    """The page type and StreamField that receive the chat block of a new department."""

    model: type
    field_name: str
    block_name: str


def chat_block_names(model, field_name):
    """Names of the children of ``model.field_name``'s stream block that are chat blocks."""
    try:
        model_field = model._meta.get_field(field_name)
    except Exception:  # noqa: BLE001  (FieldDoesNotExist and friends)
        return []
    if not isinstance(model_field, StreamField):
        return []
    return [name for name, block in model_field.stream_block.child_blocks.items() if isinstance(block, ChatBlock)]


def chat_page_candidates():
    """(model, field name, block name) for every page type with a StreamField that offers the chat block."""
    found = []
    for model in apps.get_models():
        if not issubclass(model, Page) or model is Page:
            continue
        for model_field in model._meta.get_fields():
            if isinstance(model_field, StreamField) and model_field.model is model:
                for name in chat_block_names(model, model_field.name):
                    found.append(ChatPageType(model, model_field.name, name))
    return found


def chat_page_type():
    """The configured (or, without configuration, the only possible) page type for
    the setup form's new page; ``None`` when there is none. Raises ImproperlyConfigured
    when the settings name something unusable (reported by the system check
    buergerchat.E005)."""
    model_label = buergerchat_settings.SETUP_PAGE_MODEL
    field_name = buergerchat_settings.SETUP_PAGE_FIELD
    if model_label is None:
        candidates = [c for c in chat_page_candidates() if field_name in (None, c.field_name)]
        return candidates[0] if len(candidates) == 1 else None
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        raise ImproperlyConfigured(f"BUERGERCHAT['SETUP_PAGE_MODEL']: there is no model {model_label!r}") from None
    if not issubclass(model, Page):
        raise ImproperlyConfigured(f"BUERGERCHAT['SETUP_PAGE_MODEL']: {model_label!r} is not a page type")
    fields = [field_name] if field_name else [
        f.name for f in model._meta.get_fields() if isinstance(f, StreamField)
    ]
    offered = [(name, block) for name in fields for block in chat_block_names(model, name)]
    if len(offered) != 1:
        raise ImproperlyConfigured(
            f"BUERGERCHAT['SETUP_PAGE_FIELD']: {model_label}.{field_name or '…'} must be one StreamField "
            "that offers the chat block (buergerchat_wagtail.blocks.ChatBlock)"
        )
    return ChatPageType(model, *offered[0])


def possible_parents(user, page_type):
    """Pages (not the tree's root) under which ``user`` may add a page of ``page_type``."""
    if page_type is None:
        return Page.objects.none()
    pages = page_permission_policy.instances_user_has_permission_for(user, "add")
    parent_types = page_type.model.allowed_parent_page_models()
    if not parent_types:
        return Page.objects.none()
    return pages.type(*parent_types).filter(depth__gt=1).order_by("path")


def unique_slug(parent, title):
    base = slugify(title)[:240] or "chat"
    slug, number = base, 1
    siblings = set(parent.get_children().values_list("slug", flat=True))
    while slug in siblings:
        number += 1
        slug = f"{base}-{number}"
    return slug


# --------------------------------------------------------------------------- one transaction


@dataclass
class Setup:
    """What the form asks for; :func:`set_up_department` creates it."""

    name: str
    slug: str
    group_name: str
    description: str = ""
    greeting: str = ""
    email: str = ""
    hours_name: str = ""
    holiday_state: str = ""
    hours: list = field(default_factory=list)  # (weekday, opens, closes)
    case_workers: list = field(default_factory=list)
    page_parent: Page | None = None
    page_title: str = ""
    publish: bool = False


@dataclass
class Result:
    department: Department
    group: object
    office_hours: OfficeHours | None
    page: Page | None


class SetupError(Exception):
    """Setting up failed; nothing was created."""


def set_up_department(setup, user):
    """Create everything in one transaction: on any error nothing is left behind
    (raises :class:`SetupError`)."""
    try:
        return _set_up(setup, user)
    except (IntegrityError, ValidationError, PermissionDenied) as exc:
        raise SetupError("; ".join(getattr(exc, "messages", None) or [str(exc)])) from exc


def _set_up(setup, user):
    with transaction.atomic():
        group = Group.objects.create(name=setup.group_name)
        office_hours = None
        if setup.hours:
            office_hours = OfficeHours.objects.create(
                name=setup.hours_name or setup.name, holiday_state=setup.holiday_state
            )
            OfficeHoursRange.objects.bulk_create(
                OfficeHoursRange(office_hours=office_hours, weekday=day, opens=opens, closes=closes, sort_order=i)
                for i, (day, opens, closes) in enumerate(setup.hours)
            )
        department = Department.objects.create(
            name=setup.name,
            slug=setup.slug,
            group=group,
            description=setup.description,
            greeting=setup.greeting,
            email=setup.email,
            office_hours=office_hours,
        )
        grant_case_worker_permissions(group, department)
        for case_worker in setup.case_workers:
            case_worker.groups.add(group)
        page = None
        if setup.page_parent is not None:
            page = create_chat_page(setup, department, user)
    return Result(department, group, office_hours, page)


def create_chat_page(setup, department, user):
    """A page of the configured type with the chat block, as a draft or published
    (publishing checks the user's rights on the new page, as Wagtail's editor does)."""
    page_type = chat_page_type()
    parent = setup.page_parent.specific
    page = page_type.model(
        title=setup.page_title or setup.name,
        slug=unique_slug(parent, setup.page_title or setup.name),
        live=False,
        owner=user,
    )
    setattr(page, page_type.field_name, [(page_type.block_name, {"department": department})])
    parent.add_child(instance=page)
    revision = page.save_revision(user=user, log_action="wagtail.create")
    if setup.publish:
        revision.publish(user=user)
        page.refresh_from_db()
    return page
