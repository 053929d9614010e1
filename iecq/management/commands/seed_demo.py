"""Load demo data that reads like the real world: accreditation bodies, CBs, manufacturers, a user per role."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from bodies import services
from bodies.choices import REQUIREMENT_TABLE
from bodies.models import (
    AccreditationBody,
    Auditor,
    CertificationBody,
    ProficiencyRound,
    Scheme,
    SupervisoryBody,
    Technology,
)
from certification import services as application_services
from certification.models import Application
from iecq.models import Membership, Organisation, User
from iecq.principals import Principal, principal_from_membership, system_principal
from iecq.roles import OrganisationKind as K
from iecq.roles import Role
from iecq.services import api_token_create
from iecq.tenancy import scope
from manufacturers.models import Manufacturer
from manufacturers.services import engagement_open, manufacturer_create, site_create

DEMO_PASSWORD = "iecq-demo-2026"

TECHNOLOGIES = [
    ("capacitors", "Capacitors"),
    ("resistors", "Resistors"),
    ("inductors-magnetics", "Inductors and magnetic components"),
    ("discrete-semiconductors", "Discrete semiconductors"),
    ("integrated-circuits", "Integrated circuits"),
    ("optoelectronics", "Optoelectronic components"),
    ("electromechanical", "Connectors and electromechanical components"),
    ("printed-boards", "Printed boards"),
    ("sensors", "Sensors"),
]
# The schemes the operator lists; document references and editions as the operator records them
# (check them against the current IECQ publications before relying on them).
SCHEMES = [
    ("ac", "IECQ Approved Component (IECQ AC)", "IECQ OD 3002", "3.0"),
    ("ac-aqp", "IECQ Approved Component – Automotive Qualification Programme (IECQ AC-AQP)", "IECQ OD 3301", "2.0"),
    ("ap", "IECQ Approved Process (IECQ AP)", "IECQ OD 3003", "2.0"),
    ("hspm", "IECQ Hazardous Substance Process Management (IECQ HSPM)", "IECQ QC 080000", "4.0"),
    ("itl", "IECQ Independent Testing Laboratory (IECQ ITL)", "IECQ OD 3005", "2.0"),
]
CB_SCOPES = {
    "Albion Component Certification": ["capacitors", "resistors", "discrete-semiconductors", "printed-boards"],
    "Rheinland Bauelemente Zertifizierung": ["capacitors", "sensors", "electromechanical"],
    "Pacific Quality Assessment": ["integrated-circuits", "discrete-semiconductors", "optoelectronics"],
    "Certélec France": ["capacitors", "resistors"],
    "Kanto Electronic Certification": ["resistors", "inductors-magnetics"],
    "Pearl River Component Assurance": ["printed-boards"],
}

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
            self.today = timezone.now().date()
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
        operator_org = Organisation.objects.create(kind=K.OPERATOR, name="IECQ Secretariat", country="CH")
        operator = principal_from_membership(self._user("operator", "Irène", "Favre", operator_org, Role.OP_ADMIN))
        technologies = self._reference_data(operator)
        supervisors = self._supervisory_bodies(operator)

        cbs: dict[str, CertificationBody] = {}
        for name, legal, country, _steps in CBS:
            cbs[name] = services.certification_body_create(
                actor=operator,
                name=name,
                legal_name=legal,
                country=country,
                email=f"certification@{slugify(name.split()[0])}.example",
                technologies=[technologies[c] for c in CB_SCOPES[name]],
                schemes=list(Scheme.objects.filter(code__in=["ac", "ac-aqp"])),
            )
            Organisation.objects.create(
                kind=K.CERTIFICATION_BODY, name=name, country=country, certification_body=cbs[name]
            )
        manufacturers = self._manufacturers(operator, cbs)
        for name, _legal, country, steps in CBS:
            self._qualify(operator, cbs[name], country, complete="approve" in steps)
            for step in steps:
                reason = {
                    "start_assessment": "Application file complete; assessment team appointed.",
                    "approve": "All five requirement categories verified; accreditation in force.",
                    "suspend": "Annual surveillance visit refused twice; suspended until it takes place.",
                }[step]
                cbs[name] = services.certification_body_transition(
                    actor=operator, pk=cbs[name].pk, name=step, reason=reason
                )
        self._staff(cbs)
        self._albion_auditors_and_lab(cbs["Albion Component Certification"], manufacturers, technologies)
        self._oversight(operator, cbs, manufacturers, supervisors)
        certificates = self._certification(cbs, manufacturers, technologies)
        self._surveillance(certificates)

        admin = Membership.objects.get(user__username="albion-admin")
        _token, secret = api_token_create(
            actor=principal_from_membership(admin),
            name="Demo integrator",
            role=Role.CB_ADMIN,
            scopes=["bodies:read", "manufacturers:read"],
            expires_in_days=365,
        )
        self._demo_token = secret

    def _reference_data(self, operator) -> dict[str, Technology]:
        for name, acronym, country, website in ACCREDITATION_BODIES:
            services.accreditation_body_create(
                actor=operator,
                name=name,
                acronym=acronym,
                country=country,
                website=website,
                iaf_mla_signatory=True,
                iaf_mla_product_certification=True,
                iaf_mla_scope="Product certification (ISO/IEC 17065)",
            )
        for code, name, reference, edition in SCHEMES:
            services.scheme_create(actor=operator, code=code, name=name, document_reference=reference, edition=edition)
        technologies = {
            code: services.technology_create(actor=operator, code=code, name=name) for code, name in TECHNOLOGIES
        }
        services.proficiency_round_create(
            actor=operator,
            provider="IECQ inter-laboratory comparison programme",
            code="ILC-2026-CAP",
            title="Capacitance and dissipation factor at 1 kHz",
            held_on=self.today - timedelta(days=60),
            technology=technologies["capacitors"],
        )
        return technologies

    def _supervisory_bodies(self, operator) -> dict[str, SupervisoryBody]:
        bodies = {}
        for (name, country), username in zip(
            SUPERVISORY_BODIES, ["supervisor-gb", "supervisor-de", "supervisor-fr"], strict=True
        ):
            bodies[country] = services.supervisory_body_create(actor=operator, name=name, country=country)
            org = Organisation.objects.create(
                kind=K.SUPERVISORY_BODY, name=name, country=country, supervisory_body=bodies[country]
            )
            self._user(username, "Demo", f"Supervisor {country}", org, Role.SB_VIEWER)
        return bodies

    def _manufacturers(self, operator, cbs) -> dict[str, Manufacturer]:
        made = {}
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
            made[name] = manufacturer
        return made

    def _qualify(self, operator, cb: CertificationBody, country: str, *, complete: bool) -> None:
        """An accreditation from the national body, and the requirement categories assessed (all five if complete)."""
        body = AccreditationBody.objects.get(country=country)
        services.accreditation_record(
            actor=operator,
            certification_body=cb,
            accreditation_body=body,
            certificate_number=f"{body.acronym}-{cb.pk:04d}-PC",
            scope="Product certification of electronic components under the IECQ schemes (ISO/IEC 17065)",
            valid_from=self.today - timedelta(days=400),
            valid_until=self.today + timedelta(days=1060),
        )
        categories = list(REQUIREMENT_TABLE.items())
        for category, (criteria, methods) in categories if complete else categories[:2]:
            services.requirement_assessment_record(
                actor=operator,
                certification_body=cb,
                category=category,
                method=methods[0],
                result="verified",
                evidence=f"{criteria}: examined on site, no nonconformity.",
                assessed_on=self.today - timedelta(days=30),
            )

    def _staff(self, cbs) -> None:
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

    def _albion_auditors_and_lab(self, cb, manufacturers, technologies) -> None:
        manager = principal_from_membership(Membership.objects.get(user__username="albion-manager"))
        today = self.today
        siobhan_user = User.objects.get(username="albion-auditor")
        auditors = [
            ("Siobhan Byrne", "siobhan.byrne@albion.example", 730, 42, siobhan_user, ["capacitors", "resistors"], []),
            (
                "David Okafor",
                "david.okafor@albion.example",
                400,
                118,
                None,
                ["discrete-semiconductors"],
                ["Northgate Microsystems"],
            ),
            ("Helen Price", "helen.price@albion.example", -20, 75, None, ["capacitors"], []),
        ]
        for name, email, qualified_days, audits, user, techs, conflicts in auditors:
            auditor = services.auditor_create(
                actor=manager,
                name=name,
                email=email,
                qualified_until=today + timedelta(days=qualified_days),
                audits_performed=audits,
                experience=f"{audits} audits of component manufacturers.",
                user=user,
            )
            services.training_record(
                actor=manager,
                auditor=auditor,
                course="IECQ auditor course (QC 001003)",
                provider="IEC Academy",
                completed_on=today - timedelta(days=500),
                hours=24,
            )
            for code in techs:
                services.competence_grant(
                    actor=manager, auditor=auditor, technology=technologies[code], since=today - timedelta(days=300)
                )
            services.declaration_sign(
                actor=manager,
                auditor=auditor,
                signed_on=today - timedelta(days=10),
                interests="Former process engineer at Northgate Microsystems (2019-2024)." if conflicts else "",
                conflicted_manufacturers=[manufacturers[m] for m in conflicts],
                no_conflicts=not conflicts,
            )
        lab = services.laboratory_create(
            actor=manager,
            name="Albion Component Test Laboratory",
            country="GB",
            accreditation_reference="UKAS 4471 (ISO/IEC 17025)",
        )
        services.equipment_create(
            actor=manager,
            laboratory=lab,
            name="Precision LCR meter",
            asset_number="ALB-LCR-01",
            calibrated_on=today - timedelta(days=200),
            certificate_reference="CAL-25-1187",
        )
        services.equipment_create(
            actor=manager,
            laboratory=lab,
            name="Climatic test chamber",
            asset_number="ALB-CLIM-02",
            calibrated_on=today - timedelta(days=380),
            certificate_reference="CAL-24-0935",
        )
        round_ = ProficiencyRound.objects.get(code="ILC-2026-CAP")
        services.proficiency_result_record(
            actor=manager, round=round_, laboratory=lab, measurand="Capacitance 1 kHz", z_score=Decimal("0.84")
        )
        services.proficiency_result_record(
            actor=manager, round=round_, laboratory=lab, measurand="Dissipation factor", z_score=Decimal("3.27")
        )

    def _oversight(self, operator, cbs, manufacturers, supervisors) -> None:
        albion = cbs["Albion Component Certification"]
        visit = services.cb_assessment_plan(
            actor=operator,
            certification_body=albion,
            kind="annual_surveillance",
            planned_on=self.today + timedelta(days=21),
            lead_assessor="Irène Favre",
        )
        services.cb_assessment_plan(
            actor=operator,
            certification_body=albion,
            kind="witness_audit",
            planned_on=self.today + timedelta(days=45),
            lead_assessor="Irène Favre",
            witnessed_manufacturer=manufacturers["Thamesfield Passives"],
        )
        sb_gb = principal_from_membership(Membership.objects.get(user__username="supervisor-gb"))
        services.cb_assessment_join(actor=sb_gb, pk=visit.pk)
        services.finding_record(
            actor=sb_gb,
            certification_body=albion,
            severity="observation",
            description="Calibration status of the climatic chamber not visible at the bench.",
        )

    def _applicant(self, manufacturer: Manufacturer) -> Principal:
        """The manufacturer's administrator as a principal, even where the demo gives it no login."""
        org = Organisation.objects.get(manufacturer=manufacturer)
        return Principal(
            kind=K.MANUFACTURER,
            label=f"{manufacturer.name} (applicant)",
            organisation_id=org.pk,
            role=Role.MF_ADMIN,
            manufacturer_id=manufacturer.pk,
            country=manufacturer.country.code,
        )

    def _cb_person(self, username: str):
        return principal_from_membership(Membership.objects.get(user__username=username))

    def _take_to(
        self,
        *,
        cb,
        manufacturer,
        techs,
        component_types,
        last_stage: str,
        decider,
        auditor,
        scheme: str = "ac",
        reason: str = "",
    ) -> Application:
        """An application by the manufacturer, walked through the stages up to `last_stage`."""
        applicant = self._applicant(manufacturer)
        app = application_services.application_create(
            actor=applicant,
            certification_body=cb,
            scheme=Scheme.objects.get(code=scheme),
            technologies=techs,
            component_types=component_types,
            sites=list(manufacturer.sites.all()),
            specifications="IEC 60384-1; IEC 60384-21" if "apacitor" in component_types else "",
        )
        steps = [
            ("submit", applicant),
            ("start_review", decider),
            ("team", None),
            ("start_qms_assessment", decider),
            ("accept_qms", decider),
            ("start_qualification", decider),
            ("start_product_certification", decider),
            ("certify", decider),
        ]
        for name, actor in steps:
            if app.state == last_stage:
                break
            if name == "team":
                application_services.evaluation_auditor_assign(
                    actor=decider, application=app, auditor=auditor, role="lead"
                )
                continue
            app = application_services.application_transition(
                actor=actor, pk=app.pk, name=name, reason=reason if name == "certify" else ""
            )
        return app

    def _certification(self, cbs, manufacturers, technologies) -> None:
        albion, rheinland = cbs["Albion Component Certification"], cbs["Rheinland Bauelemente Zertifizierung"]
        albion_manager = self._cb_person("albion-manager")
        rheinland_admin = self._cb_person("rheinland-admin")
        siobhan = Auditor.objects.get(email="siobhan.byrne@albion.example")
        rheinland_auditor = services.auditor_create(
            actor=rheinland_admin,
            name="Lukas Brandt",
            email="lukas.brandt@rheinland.example",
            qualified_until=self.today + timedelta(days=500),
            audits_performed=64,
        )
        services.training_record(
            actor=rheinland_admin,
            auditor=rheinland_auditor,
            course="IECQ auditor course",
            completed_on=self.today - timedelta(days=700),
            hours=24,
        )
        services.competence_grant(
            actor=rheinland_admin,
            auditor=rheinland_auditor,
            technology=technologies["capacitors"],
            since=self.today - timedelta(days=600),
        )
        services.declaration_sign(
            actor=rheinland_admin, auditor=rheinland_auditor, signed_on=self.today, no_conflicts=True
        )
        caps = [technologies["capacitors"]]
        certified = {}
        for name, cb, decider, auditor, types in [
            ("Northgate Microsystems", albion, albion_manager, siobhan, "Tantalum capacitors, case sizes A–D"),
            ("Thamesfield Passives", albion, albion_manager, siobhan, "Film capacitors for power electronics"),
            ("Lumière Composants", albion, albion_manager, siobhan, "Aluminium electrolytic capacitors"),
            (
                "Elbtal Kondensatoren",
                rheinland,
                rheinland_admin,
                rheinland_auditor,
                "Multilayer ceramic capacitors, sizes 0201 to 1210",
            ),
        ]:
            app = self._take_to(
                cb=cb,
                manufacturer=manufacturers[name],
                techs=caps,
                component_types=types,
                last_stage="certified",
                decider=decider,
                auditor=auditor,
                reason="All stages completed without open nonconformity.",
            )
            certified[name] = app.certificates.get()
        application_services.certificate_transition(
            actor=albion_manager,
            pk=certified["Thamesfield Passives"].pk,
            name="suspend",
            reason="Major nonconformity at the surveillance audit: incoming inspection records missing.",
        )
        application_services.certificate_transition(
            actor=albion_manager,
            pk=certified["Lumière Composants"].pk,
            name="withdraw",
            reason="The manufacturer stopped production of the certified range.",
        )
        self._take_to(
            cb=rheinland,
            manufacturer=manufacturers["Northgate Microsystems"],
            techs=caps,
            component_types="Ceramic capacitors for automotive use",
            last_stage="qms_assessment",
            decider=rheinland_admin,
            auditor=rheinland_auditor,
            scheme="ac-aqp",
        )
        refused = self._take_to(
            cb=rheinland,
            manufacturer=manufacturers["Schwarzwald Sensorik"],
            techs=caps,
            component_types="Capacitive sensors",
            last_stage="under_review",
            decider=rheinland_admin,
            auditor=rheinland_auditor,
        )
        application_services.application_transition(
            actor=rheinland_admin,
            pk=refused.pk,
            name="reject",
            reason="Capacitive sensors are outside the scope of the requested scheme.",
        )
        self._take_to(
            cb=albion,
            manufacturer=manufacturers["Northgate Microsystems"],
            techs=[technologies["discrete-semiconductors"]],
            component_types="Power MOSFETs in TO-247",
            last_stage="inquiry",
            decider=albion_manager,
            auditor=siobhan,
        )
        return certified

    def _surveillance(self, certificates) -> None:
        """An audit in progress with an open nonconformity, a complaint, a PCN, and the sweep's reminders."""
        from iecq.scheduler import sweep
        from surveillance import services as sv

        manager = self._cb_person("albion-manager")
        northgate = certificates["Northgate Microsystems"]
        siobhan = Auditor.objects.get(email="siobhan.byrne@albion.example")
        sv.complaint_record(
            actor=manager,
            certificate=northgate,
            kind="field_failure",
            received_on=self.today - timedelta(days=12),
            source="Automotive tier-1 customer",
            description="Three short circuits after 500 thermal cycles, lot 24-118.",
        )
        audit = sv.audit_plan(
            actor=manager,
            certificate=northgate,
            kind="special",
            trigger="complaint",
            trigger_reference="Field failures lot 24-118",
            due_on=self.today + timedelta(days=20),
            plan="Failure analysis records, incoming inspection of tantalum powder, line 2.",
        )
        sv.audit_team_assign(actor=manager, audit=audit, auditor=siobhan, role="lead")
        sv.audit_update(actor=manager, pk=audit.pk, scheduled_for=self.today)
        sv.audit_transition(actor=manager, pk=audit.pk, name="schedule")
        sv.audit_transition(actor=manager, pk=audit.pk, name="start")
        sv.nonconformity_record(
            actor=manager,
            audit=audit,
            grade="minor",
            requirement="ISO 9001 clause 8.7",
            description="Nonconforming lot 24-118 released without a documented concession.",
        )
        sv.pcn_submit(
            actor=self._applicant(northgate.manufacturer),
            certificate=northgate,
            title="Second source for tantalum powder",
            planned_on=self.today + timedelta(days=60),
            description="Qualification of a second supplier of tantalum powder for case sizes C and D.",
        )
        sweep()

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
