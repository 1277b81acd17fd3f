"""Load the demo content. Idempotent: running it again changes nothing that exists
(it only adds a new Bürgersprechstunde session when none is planned any more)."""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, Site
from wagtail.rich_text import RichText

from buergerchat_wagtail.availability.schedule import BERLIN
from buergerchat_wagtail.editor.setup import grant_case_worker_permissions
from buergerchat_wagtail.models import (
    AvailabilityMode,
    BuergerchatSiteSettings,
    CannedAnswer,
    ChatLauncher,
    ConsultationSession,
    ConversationTag,
    Department,
    OfficeHours,
    OfficeHoursException,
    OfficeHoursRange,
)
from demo_site.home.models import ContentPage, HomePage

DEPARTMENTS = [
    {
        "slug": "bauverwaltung",
        "name": "Bauverwaltung",
        "sentence_name": "die Bauverwaltung",
        "group": "Bauverwaltung",
        "description": "Fragen zu Bauanträgen, Bebauungsplänen und Ihrem Bauvorhaben.",
        "greeting": "Guten Tag! Die Bauverwaltung ist für Sie da. Wie können wir helfen?",
        "email": "bauverwaltung@musterstadt.example",
    },
    {
        "slug": "buergerbuero",
        "name": "Bürgerbüro",
        "sentence_name": "das Bürgerbüro",
        "group": "Bürgerbüro",
        "description": "Ausweise, Meldewesen, Führungszeugnisse und Bescheinigungen.",
        "greeting": "Willkommen beim Bürgerbüro! Worum geht es?",
        "email": "buergerbuero@musterstadt.example",
    },
    {
        "slug": "buergermeisteramt",
        "name": "Bürgermeisteramt",
        "sentence_name": "das Bürgermeisteramt",
        "group": "Bürgermeisteramt",
        "description": "Die digitale Bürgersprechstunde des Oberbürgermeisters.",
        "greeting": "Guten Tag! Schön, dass Sie an der Bürgersprechstunde teilnehmen.",
        "email": "buergermeisteramt@musterstadt.example",
    },
]

CANNED_ANSWERS = [
    # (department slug or None for every department, title, text)
    (None, "Begrüßung", "Guten Tag {name}, vielen Dank für Ihre Nachricht an {department}. Ich kümmere mich darum."),
    (None, "Abschluss", "Gern geschehen! Ihre Vorgangsnummer lautet {reference}. Bei Fragen schreiben Sie einfach wieder."),
    ("bauverwaltung", "Bauantrag: Unterlagen", "Für einen Bauantrag benötigen wir den Lageplan, die Bauzeichnungen und die Baubeschreibung."),
    ("buergerbuero", "Personalausweis: Termin", "Einen neuen Personalausweis beantragen Sie persönlich im Bürgerbüro. Bitte bringen Sie ein biometrisches Passbild mit."),
]

T = datetime.time
# Office hours like the article's: live chat on Wednesday and Thursday mornings.
OFFICE_HOURS = {
    "bauverwaltung": {
        "name": "Live-Chat Bauverwaltung (Mi und Do vormittags)",
        "ranges": [(2, T(8, 30), T(12)), (3, T(8, 30), T(12))],
        "mode": AvailabilityMode.HOURS,
        "answer_days": 2,
    },
    "buergerbuero": {
        # Split shift on Thursdays, and a presence check: staffed only while someone is online.
        "name": "Live-Chat Bürgerbüro (Mo–Fr vormittags, Do auch nachmittags)",
        "ranges": [(d, T(8), T(12)) for d in range(5)] + [(3, T(14), T(18))],
        "mode": AvailabilityMode.PRESENCE,
        "answer_days": 1,
    },
}

# Tags case workers put on conversations: (department slug, name, colour).
TAGS = [
    ("bauverwaltung", "Bauantrag", "blue"),
    ("bauverwaltung", "Unterlagen fehlen", "orange"),
    ("bauverwaltung", "Rückruf nötig", "red"),
    ("buergerbuero", "Meldewesen", "green"),
    ("buergerbuero", "Ausweise", "purple"),
]

USERS = [
    # (username, password, superuser, group, first name, last name) -- demo-only passwords
    ("admin", "admin", True, None, "Ada", "Admin"),
    ("bauamt", "bauamt", False, "Bauverwaltung", "Berta", "Baumann"),
    ("buergerbuero", "buergerbuero", False, "Bürgerbüro", "Bernd", "Bürger"),
    ("sprechstunde", "sprechstunde", False, "Bürgermeisteramt", "Max", "Mustermann"),
    ("leitung", "leitung", False, "Bauverwaltung", "Lena", "Leitner"),
]
#: Supervisors ("Leitung"): a group with the supervise permission, on top of the
#: answering group of the department they lead (the team board needs both).
SUPERVISOR_GROUP = "Leitung"
SUPERVISORS = ["leitung"]


# The city's colour for the chat (contrast with the white button text: 9.35:1).
BRAND_COLOUR = "#8a1538"


def chat_block(department, privacy_page, heading, intro, topics=()):
    """A chat block; with ``topics`` ((label, department, subject), ...) instead of a department."""
    return (
        "chat",
        {
            "department": None if topics else department,
            "topics": [{"label": label, "department": dept, "subject": subject} for label, dept, subject in topics],
            "heading": heading,
            "intro": intro,
            "privacy_page": privacy_page,
        },
    )


class Command(BaseCommand):
    help = "Load the Bürgerchat demo content (pages, departments, groups, demo users)."

    @transaction.atomic
    def handle(self, *args, **options):
        departments = {}
        for spec in DEPARTMENTS:
            group, _ = Group.objects.get_or_create(name=spec["group"])
            department, _ = Department.objects.get_or_create(
                slug=spec["slug"],
                defaults={k: spec[k] for k in ("name", "sentence_name", "description", "greeting", "email")}
                | {"group": group},
            )
            if not department.sentence_name:  # a demo database from before the field
                department.sentence_name = spec["sentence_name"]
                department.save(update_fields=["sentence_name"])
            departments[spec["slug"]] = department
            # The same rights "Abteilung einrichten" gives a new department's group.
            grant_case_worker_permissions(group, department)

        for slug, title, text in CANNED_ANSWERS:
            CannedAnswer.objects.get_or_create(
                department=departments[slug] if slug else None, title=title, defaults={"text": text}
            )

        for slug, name, colour in TAGS:
            ConversationTag.objects.get_or_create(department=departments[slug], name=name, defaults={"colour": colour})

        for slug, spec in OFFICE_HOURS.items():
            hours, created = OfficeHours.objects.get_or_create(name=spec["name"], defaults={"holiday_state": "BW"})
            if created:
                for weekday, opens, closes in spec["ranges"]:
                    OfficeHoursRange.objects.create(office_hours=hours, weekday=weekday, opens=opens, closes=closes)
                year = timezone.localdate().year
                OfficeHoursException.objects.create(
                    office_hours=hours,
                    start_date=datetime.date(year, 12, 24),
                    end_date=datetime.date(year, 12, 31),
                    note="Weihnachten",
                )
            department = departments[slug]
            if department.office_hours_id is None:
                department.office_hours = hours
                department.availability_mode = spec["mode"]
                department.answer_days = spec["answer_days"]
                department.save()

        User = get_user_model()
        for username, password, superuser, group_name, first, last in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"is_superuser": superuser, "is_staff": superuser, "first_name": first, "last_name": last},
            )
            if created:
                user.set_password(password)
                user.save()
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
        supervisors, _ = Group.objects.get_or_create(name=SUPERVISOR_GROUP)
        # Admin access as for case workers, and the "Leitung" permission on top.
        grant_case_worker_permissions(supervisors, departments["bauverwaltung"])
        supervisors.permissions.add(
            Permission.objects.get(content_type__app_label="buergerchat", codename="supervise_department")
        )
        for user in User.objects.filter(username__in=SUPERVISORS):
            user.groups.add(supervisors)

        home = self.home_page()
        privacy = self.child(
            home,
            "datenschutz",
            "Datenschutz",
            [("paragraph", RichText("<p>Hier stehen die Datenschutzhinweise der Stadt Musterstadt zum Bürgerchat.</p>"))],
        )
        self.child(
            home,
            "bauverwaltung",
            "Bauverwaltung",
            [
                ("paragraph", RichText("<p>Sie planen ein Bauvorhaben? Schreiben Sie uns direkt.</p>")),
                chat_block(
                    departments["bauverwaltung"],
                    privacy,
                    "Chat mit der Bauverwaltung",
                    "Stellen Sie Ihre Frage – eine Sachbearbeiterin antwortet Ihnen hier.",
                ),
            ],
        )
        buergerbuero = self.child(
            home,
            "buergerbuero",
            "Bürgerbüro",
            [
                chat_block(
                    departments["buergerbuero"],
                    privacy,
                    "Chat mit dem Bürgerbüro",
                    "Fragen zu Ausweis, Anmeldung und Bescheinigungen.",
                    topics=[
                        ("Personalausweis", departments["buergerbuero"], "Personalausweis"),
                        ("Meldebescheinigung", departments["buergerbuero"], "Meldebescheinigung"),
                    ],
                )
            ],
        )
        self.launcher_section(buergerbuero, departments, privacy)
        self.site_settings(departments["buergerbuero"], privacy)
        self.consultation_session(departments["buergermeisteramt"])
        self.child(
            home,
            "buergersprechstunde",
            "Bürgersprechstunde",
            [
                (
                    "paragraph",
                    RichText(
                        "<p>In der digitalen Bürgersprechstunde beantwortet der Oberbürgermeister Ihre Fragen "
                        "live im Chat – ohne Termin und ohne Weg ins Rathaus.</p>"
                    ),
                ),
                (
                    "consultations",
                    {
                        "heading": "Nächste Termine",
                        "intro": "Stellen Sie sich während der Sprechstunde in die Warteschlange. "
                        "Wenn Sie an der Reihe sind, antwortet Ihnen der Oberbürgermeister direkt hier.",
                        "department": departments["buergermeisteramt"],
                        "privacy_page": privacy,
                        "limit": 5,
                    },
                ),
            ],
        )
        self.stdout.write(self.style.SUCCESS("Demo content is ready."))

    def launcher_section(self, buergerbuero, departments, privacy):
        """Service pages below the Bürgerbüro page with a chat button for the whole section
        (the Bürgerbüro page itself has its own chat, so it shows no chat button)."""
        for slug, title, text in [
            ("personalausweis", "Personalausweis", "Den Personalausweis beantragen Sie persönlich im Bürgerbüro."),
            ("ummelden", "Umzug und Anmeldung", "Nach einem Umzug melden Sie sich innerhalb von zwei Wochen an."),
        ]:
            self.child(buergerbuero, slug, title, [("paragraph", RichText(f"<p>{text}</p>"))])
        if not ChatLauncher.objects.filter(root_page=buergerbuero).exists():
            ChatLauncher.objects.create(
                label="Fragen? Zum Chat",
                root_page=buergerbuero,
                include_descendants=True,
                heading="Chat mit dem Bürgerbüro",
                topics=[
                    ("topic", {"label": "Personalausweis", "department": departments["buergerbuero"], "subject": "Personalausweis"}),
                    ("topic", {"label": "Reisepass", "department": departments["buergerbuero"], "subject": "Reisepass"}),
                    ("topic", {"label": "Anmeldung nach Umzug", "department": departments["buergerbuero"], "subject": "Anmeldung"}),
                ],
            )

    def site_settings(self, default_department, privacy):
        """Brand colour, default department and privacy page, where still empty."""
        site = Site.objects.filter(is_default_site=True).first()
        settings = BuergerchatSiteSettings.for_site(site)
        settings.brand_colour = settings.brand_colour or BRAND_COLOUR
        settings.default_department = settings.default_department or default_department
        settings.privacy_page = settings.privacy_page or privacy
        settings.save()

    def consultation_session(self, department):
        """A session in the coming days: next Wednesday (at least tomorrow), 17:00–18:00."""
        if ConsultationSession.objects.filter(department=department).upcoming().exists():
            return
        today = timezone.localdate()
        day = today + datetime.timedelta(days=(2 - today.weekday()) % 7 or 7)
        start = datetime.datetime.combine(day, T(17), tzinfo=BERLIN)
        ConsultationSession.objects.create(
            title="Live-Chat mit dem Oberbürgermeister",
            host="Oberbürgermeister Max Mustermann",
            department=department,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=1),
            capacity=1,
            public_qa=True,
            description="Fragen Sie den Oberbürgermeister, was Sie bewegt: Verkehr, Bauprojekte, "
            "Kinderbetreuung oder Ihr Anliegen vor Ort.",
        )

    def home_page(self):
        home = HomePage.objects.first()
        if home is not None:
            return home
        root = Page.get_first_root_node()
        home = root.add_child(
            instance=HomePage(
                title="Stadt Musterstadt",
                slug="musterstadt",
                body=[("paragraph", RichText("<p>Willkommen! Sprechen Sie mit Ihrer Stadtverwaltung im Bürgerchat.</p>"))],
            )
        )
        site = Site.objects.filter(is_default_site=True).first()
        old_root = site.root_page if site else None
        if site:
            site.root_page = home
            site.site_name = "Musterstadt"
            site.save()
        else:
            Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="Musterstadt")
        if old_root is not None and old_root.specific_class is Page and not old_root.get_children().exists():
            old_root.delete()
        return home

    def child(self, parent, slug, title, body):
        page = ContentPage.objects.child_of(parent).filter(slug=slug).first()
        if page is None:
            page = parent.add_child(instance=ContentPage(title=title, slug=slug, body=body))
        return page
