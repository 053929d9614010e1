"""Load demo data that reads like the real world: accreditation bodies, CBs, manufacturers, a user per role."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from bodies.models import AccreditationBody, CertificationBody
from bodies.services import certification_body_create, certification_body_transition
from iecq.models import Membership, Organisation, User
from iecq.principals import principal_from_membership, system_principal
from iecq.roles import OrganisationKind as K
from iecq.roles import Role
from iecq.services import api_token_create
from iecq.tenancy import scope
from manufacturers.services import engagement_open, manufacturer_create, site_create

DEMO_PASSWORD = "iecq-demo-2026"

# Real national accreditation bodies that sign the IAF MLA for product certification (ISO/IEC 17065).
ACCREDITATION_BODIES = [
    ("United Kingdom Accreditation Service", "UKAS", "GB", "https://www.ukas.com"),
    ("Deutsche Akkreditierungsstelle", "DAkkS", "DE", "https://www.dakks.de"),
    ("Comité français d'accréditation", "COFRAC", "FR", "https://www.cofrac.fr"),
    ("ANSI National Accreditation Board", "ANAB", "US", "https://anab.ansi.org"),
    ("Japan Accreditation Board", "JAB", "JP", "https://www.jab.or.jp"),
    ("China National Accreditation Service for Conformity Assessment", "CNAS", "CN", "https://www.cnas.org.cn"),
]

# Fictional certification bodies; (name, legal name, country, transitions to reach their demo state).
CBS = [
    ("Albion Component Certification", "Albion Component Certification Ltd", "GB", ["start_assessment", "approve"]),
    (
        "Rheinland Bauelemente Zertifizierung",
        "Rheinland Bauelemente Zertifizierung GmbH",
        "DE",
        ["start_assessment", "approve"],
    ),
    ("Pacific Quality Assessment", "Pacific Quality Assessment Inc.", "US", ["start_assessment", "approve"]),
    ("Certélec France", "Certélec France SAS", "FR", ["start_assessment"]),
    (
        "Kanto Electronic Certification",
        "Kanto Electronic Certification K.K.",
        "JP",
        ["start_assessment", "approve", "suspend"],
    ),
    ("Pearl River Component Assurance", "Pearl River Component Assurance Co., Ltd.", "CN", []),
]

# Fictional manufacturers: (name, country, [(site, address, city, country)], [CB names]).
MANUFACTURERS = [
    (
        "Thamesfield Passives",
        "GB",
        [("Swindon works", "Unit 4, Kembrey Park", "Swindon", "GB")],
        ["Albion Component Certification"],
    ),
    (
        "Northgate Microsystems",
        "GB",
        [
            ("Livingston fab", "1 Alba Campus", "Livingston", "GB"),
            ("Penang assembly", "Bayan Lepas FIZ Phase 4", "Penang", "MY"),
        ],
        ["Albion Component Certification", "Rheinland Bauelemente Zertifizierung"],
    ),
    (
        "Elbtal Kondensatoren",
        "DE",
        [("Dresden", "Königsbrücker Straße 96", "Dresden", "DE")],
        ["Rheinland Bauelemente Zertifizierung"],
    ),
    (
        "Schwarzwald Sensorik",
        "DE",
        [("Villingen", "Hans-Kohler-Straße 12", "Villingen-Schwenningen", "DE")],
        ["Rheinland Bauelemente Zertifizierung"],
    ),
    (
        "Cascade Power Semiconductors",
        "US",
        [("Hillsboro", "2200 NE Brookwood Pkwy", "Hillsboro", "US")],
        ["Pacific Quality Assessment"],
    ),
    (
        "Lumière Composants",
        "FR",
        [("Grenoble", "17 rue des Martyrs", "Grenoble", "FR")],
        ["Albion Component Certification"],
    ),
    (
        "Osaka Precision Resistors",
        "JP",
        [("Sakai plant", "2-1 Chikko-Shinmachi", "Sakai", "JP")],
        ["Kanto Electronic Certification"],
    ),
]

SUPERVISORY_BODIES = [
    ("UK IECQ National Supervising Inspectorate", "GB"),
    ("IECQ-Aufsichtsstelle Deutschland", "DE"),
    ("Autorité nationale de surveillance IECQ", "FR"),
]


class Command(BaseCommand):
    help = "Load demo data (idempotent). Refuses to run with DEBUG off unless --force."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never in production).")

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo data is for development: DEBUG is off. Use --force if you really mean it.")
        if Organisation.objects_unscoped.filter(kind=K.OPERATOR).exists():
            self.stdout.write("Demo data already loaded.")
        else:
            with scope(system_principal("demo data")), transaction.atomic():
                self._load()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._print_logins()

    def _user(self, username: str, first: str, last: str, org: Organisation, role: str) -> Membership:
        user = User.objects.create_user(
            username=username,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            email=f"{username}@example.org",
        )
        return Membership.objects.create(user=user, organisation=org, role=role)

    def _load(self) -> None:
        for name, acronym, country, website in ACCREDITATION_BODIES:
            AccreditationBody.objects.create(
                name=name,
                acronym=acronym,
                country=country,
                website=website,
                iaf_mla_signatory=True,
                iaf_mla_scope="Product certification (ISO/IEC 17065)",
            )
        operator_org = Organisation.objects.create(kind=K.OPERATOR, name="IECQ Secretariat", country="CH")
        operator = principal_from_membership(self._user("operator", "Irène", "Favre", operator_org, Role.OP_ADMIN))

        cbs: dict[str, CertificationBody] = {}
        for name, legal, country, steps in CBS:
            cb = certification_body_create(
                actor=operator,
                name=name,
                legal_name=legal,
                country=country,
                email=f"certification@{slugify(name.split()[0])}.example",
            )
            for step in steps:
                reason = "Demo: assessment findings closed" if step != "suspend" else "Demo: accreditation lapsed"
                cb = certification_body_transition(actor=operator, pk=cb.pk, name=step, reason=reason)
            cbs[name] = cb
            Organisation.objects.create(kind=K.CERTIFICATION_BODY, name=name, country=country, certification_body=cb)

        albion = Organisation.objects.get(certification_body=cbs["Albion Component Certification"])
        for username, first, last, role in [
            ("albion-admin", "Margaret", "Holloway", Role.CB_ADMIN),
            ("albion-manager", "Rajesh", "Patel", Role.CB_CERTIFICATION_MANAGER),
            ("albion-auditor", "Siobhan", "Byrne", Role.CB_AUDITOR),
            ("albion-reviewer", "Tomasz", "Nowak", Role.CB_TECHNICAL_REVIEWER),
            ("albion-clerk", "Emma", "Clarke", Role.CB_CLERK),
        ]:
            self._user(username, first, last, albion, role)
        rheinland = Organisation.objects.get(certification_body=cbs["Rheinland Bauelemente Zertifizierung"])
        self._user("rheinland-admin", "Jürgen", "Weber", rheinland, Role.CB_ADMIN)

        for name, country, sites, cb_names in MANUFACTURERS:
            manufacturer = manufacturer_create(
                actor=operator,
                name=name,
                country=country,
                legal_name=f"{name} Ltd",
                email=f"quality@{slugify(name.split()[0])}.example",
            )
            org = Organisation.objects.create(
                kind=K.MANUFACTURER, name=name, country=country, manufacturer=manufacturer
            )
            for cb_name in cb_names:
                engagement_open(actor=operator, manufacturer=manufacturer, certification_body_id=cbs[cb_name].pk)
            for site_name, address, city, site_country in sites:
                site_create(
                    actor=operator,
                    manufacturer=manufacturer,
                    name=site_name,
                    address=address,
                    city=city,
                    country=site_country,
                )
            if name == "Northgate Microsystems":
                self._user("northgate-admin", "Fiona", "MacLeod", org, Role.MF_ADMIN)
                self._user("northgate-quality", "Alasdair", "Grant", org, Role.MF_QUALITY_MANAGER)
                self._user("northgate-submitter", "Priya", "Sharma", org, Role.MF_SUBMITTER)
            if name == "Elbtal Kondensatoren":
                self._user("elbtal-admin", "Katrin", "Vogel", org, Role.MF_ADMIN)

        for (name, country), username in zip(
            SUPERVISORY_BODIES, ["supervisor-gb", "supervisor-de", "supervisor-fr"], strict=True
        ):
            org = Organisation.objects.create(kind=K.SUPERVISORY_BODY, name=name, country=country)
            self._user(username, "Demo", f"Supervisor {country}", org, Role.SB_VIEWER)

        admin = Membership.objects.get(user__username="albion-admin")
        _token, secret = api_token_create(
            actor=principal_from_membership(admin),
            name="Demo integrator",
            role=Role.CB_ADMIN,
            scopes=["bodies:read", "manufacturers:read"],
            expires_in_days=365,
        )
        self._demo_token = secret

    def _print_logins(self) -> None:
        rows = [
            ("operator", "system operator (IECQ secretariat)"),
            ("albion-admin", "CB administrator, Albion Component Certification (GB)"),
            ("albion-manager", "certification manager"),
            ("albion-auditor", "auditor"),
            ("albion-reviewer", "technical reviewer"),
            ("albion-clerk", "clerk"),
            ("rheinland-admin", "CB administrator, Rheinland (DE)"),
            ("northgate-admin", "manufacturer administrator, Northgate Microsystems (GB)"),
            ("northgate-quality", "manufacturer quality manager"),
            ("northgate-submitter", "manufacturer submitter"),
            ("elbtal-admin", "manufacturer administrator, Elbtal Kondensatoren (DE)"),
            ("supervisor-gb", "supervisory body viewer, United Kingdom"),
            ("supervisor-fr", "supervisory body viewer, France"),
        ]
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for username, what in rows:
            self.stdout.write(f"  {username:<22} {what}")
        secret = getattr(self, "_demo_token", None)
        if secret:
            self.stdout.write(f"\nDemo API token (Albion admin, read-only, shown once): {secret}")
