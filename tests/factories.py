"""Test data builders. They write across tenants, so each opens the system scope itself."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from bodies.models import (
    Accreditation,
    AccreditationBody,
    Auditor,
    AuditorCompetence,
    AuditorTraining,
    CalibrationRecord,
    CBAssessment,
    CBSuspensionRequest,
    CertificationBody,
    Equipment,
    IndependenceDeclaration,
    LabAction,
    OversightFinding,
    ProficiencyResult,
    ProficiencyRound,
    RequirementAssessment,
    Scheme,
    SupervisoryBody,
    Technology,
    TestLaboratory,
)
from iecq.models import ApiToken, Membership, Organisation, User
from iecq.models.tokens import API_SCOPES, hash_secret
from iecq.principals import Principal, principal_from_membership, principal_from_token, system_principal
from iecq.roles import OrganisationKind as K
from iecq.tenancy import scope
from iecq.transitions import transition
from manufacturers.models import Contact, Engagement, Manufacturer, Site

SYSTEM = system_principal("test data")
PASSWORD = "correct horse battery staple"


def make_cb(name: str, country: str, *, steps: tuple[str, ...] = ()) -> tuple[CertificationBody, Organisation]:
    from django.db import transaction

    with scope(SYSTEM), transaction.atomic():
        cb = CertificationBody.objects.create(name=name, legal_name=f"{name} Ltd", country=country)
        if "approve" in steps:
            qualify_for_approval(cb)
        for step in steps:
            cb = CertificationBody.objects.select_for_update().get(pk=cb.pk)
            transition(cb, step, actor=OPERATOR_FOR_FIXTURES, reason=f"fixture: {step}")
        org = Organisation.objects.create(kind=K.CERTIFICATION_BODY, name=name, country=country, certification_body=cb)
    return cb, org


def qualify_for_approval(cb: CertificationBody, *, marker: str = "") -> None:
    """What CB-01, CB-02 and CB-06 ask before approval: an MLA accreditation in force, a scope, five verified
    requirement categories."""
    from bodies.choices import REQUIREMENT_TABLE

    today = timezone.now().date()
    with scope(SYSTEM):
        tech, _c = Technology.objects.get_or_create(code="capacitors", defaults={"name": "Capacitors"})
        ab, _c = AccreditationBody.objects.get_or_create(
            acronym="UKAS",
            defaults={
                "name": "United Kingdom Accreditation Service",
                "country": "GB",
                "iaf_mla_signatory": True,
                "iaf_mla_product_certification": True,
            },
        )
        cb.technologies.add(tech)
        Accreditation.objects.create(
            certification_body=cb,
            accreditation_body=ab,
            certificate_number=f"{cb.pk}-{marker}QUAL",
            scope="Product certification of electronic components",
            valid_from=today - timedelta(days=30),
            valid_until=today + timedelta(days=700),
        )
        for category, (_criteria, methods) in REQUIREMENT_TABLE.items():
            RequirementAssessment.objects.create(
                certification_body=cb,
                category=category,
                method=methods[0],
                result="verified",
                evidence="fixture evidence",
                assessed_on=today,
                assessed_by_label="fixture",
            )


def add_certification_records(cb, manufacturer, marker: str, *, tech, auditor) -> dict:
    """An application with its team and evidence, and a certificate with its first revision."""
    from django.core.files.base import ContentFile

    from certification.models import Application, Certificate, CertificateRevision, EvaluationAuditor, Evidence

    today = timezone.now().date()
    with scope(SYSTEM):
        scheme, _c = Scheme.objects.get_or_create(
            code="ac",
            defaults={"name": "IECQ Approved Component", "document_reference": "IECQ OD 3002", "edition": "3"},
        )
        site = Site.objects.filter(manufacturer=manufacturer).first()
        application = Application.objects.create(
            reference=f"APP-{marker}",
            manufacturer=manufacturer,
            certification_body=cb,
            scheme=scheme,
            component_types=f"{marker} MLCC",
        )
        application.technologies.add(tech)
        application.sites.add(site)
        team = EvaluationAuditor.objects.create(
            application=application, auditor=auditor, role="lead", assigned_by_label="fixture"
        )
        evidence = Evidence(
            application=application,
            stage="inquiry",
            title=f"{marker} QM manual",
            effective_on=today,
            storage_name=f"{marker.lower()}-{application.pk}.pdf",
            original_name=f"{marker}.pdf",
            content_type="application/pdf",
            size=9,
            sha256="0" * 64,
            uploaded_by_label="fixture",
        )
        evidence.file.save(evidence.storage_name, ContentFile(b"%PDF-1.4\n"), save=False)
        evidence.save()
        certificate = Certificate.objects.create(
            number=f"IECQ-AC-{marker.upper()}-00001",
            manufacturer=manufacturer,
            certification_body=cb,
            scheme=scheme,
            application=application,
            component_types=f"{marker} MLCC",
            issued_on=today,
            period_start=today,
            expires_on=today + timedelta(days=3 * 365),
        )
        certificate.technologies.add(tech)
        certificate.sites.add(site)
        revision = CertificateRevision.objects_append.create(
            certificate=certificate,
            number=1,
            snapshot={"number": certificate.number},
            reason="issued",
            created_by_label="fixture",
        )
        contact = Contact.objects.create(
            manufacturer=manufacturer, name=f"{marker} Contact", email=f"contact@{marker.lower()}.example"
        )
    return {
        Application: application,
        EvaluationAuditor: team,
        Evidence: evidence,
        Certificate: certificate,
        CertificateRevision: revision,
        Contact: contact,
        **add_surveillance_records(cb, manufacturer, marker, certificate=certificate, auditor=auditor),
        **add_sanction_records(cb, manufacturer, marker, certificate=certificate),
        **add_integration_records(cb, marker, certificate=certificate),
    }


def add_integration_records(cb, marker: str, *, certificate) -> dict:
    """The CB organisation's event, webhook subscription (off: nothing is ever sent), a delivery with an attempt,
    and a watchlist entry (PL-04)."""
    from iecq.integrations.events import event_record
    from iecq.integrations.models import Event, WatchlistEntry, WebhookAttempt, WebhookDelivery, WebhookSubscription

    with scope(SYSTEM):
        org = Organisation.objects.filter(certification_body=cb).first()
        if org is None:
            return {}
        event = event_record(instance=certificate, type="certificate.created", actor=OPERATOR_FOR_FIXTURES)
        subscription = WebhookSubscription.objects.create(
            organisation=org,
            description=f"{marker} ERP",
            target_url=f"https://{marker.lower()}.example/hooks",
            secret="whsec_" + "A" * 32,
            is_active=False,
            created_by_label="fixture",
        )
        delivery = WebhookDelivery.objects.create(
            subscription=subscription, event=event, message_id=f"msg_{marker.lower()}", state="failed", attempts=1
        )
        attempt = WebhookAttempt.objects.create(delivery=delivery, status_code=500, error=f"{marker} error")
        watch = WatchlistEntry.objects.create(
            organisation=org,
            kind="certificate",
            certificate=certificate,
            label=certificate.number,
            note=f"{marker} supplier",
            created_by_label="fixture",
        )
    return {
        Event: event,
        WebhookSubscription: subscription,
        WebhookDelivery: delivery,
        WebhookAttempt: attempt,
        WatchlistEntry: watch,
    }


def add_sanction_records(cb, manufacturer, marker: str, *, certificate) -> dict:
    """A CAR, a supervisory request to suspend, an appeal against a logged decision, a defect report."""
    from certification.models import Application
    from iecq.transitions import log_append
    from sanctions.models import Appeal, CertificateSuspensionRequest, CorrectiveActionRequest, DefectReport

    today = timezone.now().date()
    with scope(SYSTEM):
        car = CorrectiveActionRequest.objects.create(
            certification_body=cb,
            manufacturer=manufacturer,
            certificate=certificate,
            number=f"CAR-{marker}",
            request=f"{marker} correct it",
            due_on=today + timedelta(days=30),
            issued_by_label="fixture",
        )
        request = CertificateSuspensionRequest.objects.create(
            certification_body=cb,
            manufacturer=manufacturer,
            certificate=certificate,
            supervisory_body=SupervisoryBody.objects.get(country=cb.country.code),
            reason=f"{marker} request",
            requested_by_label="fixture",
        )
        decision = log_append(
            instance=Application.objects.filter(manufacturer=manufacturer).first(),
            transition="reject",
            source="under_review",
            target="rejected",
            reason=f"{marker} rejected",
            actor=OPERATOR_FOR_FIXTURES,
            field="state",
        )
        appeal = Appeal.objects.create(
            certification_body=cb,
            manufacturer=manufacturer,
            decision=decision,
            grounds=f"{marker} grounds",
            lodged_by_label="fixture",
            response_due_on=today + timedelta(days=60),
        )
        defect = DefectReport.objects.create(
            certification_body=cb,
            manufacturer=manufacturer,
            certificate=certificate,
            reporter_kind="customer",
            reporter_name=f"{marker} reporter",
            reporter_email="r@example.org",
            component=f"{marker} component",
            description=f"{marker} defect",
        )
    from django.core.files.base import ContentFile

    from iecq.models import DecisionEvidence, TransitionLog

    with scope(SYSTEM):
        document = DecisionEvidence(
            log=decision,
            title=f"{marker} evidence",
            storage_name=f"{marker.lower()}-dec.pdf",
            original_name="evidence.pdf",
            content_type="application/pdf",
            size=9,
            sha256="0" * 64,
            uploaded_by_label="fixture",
        )
        document.file.save(document.storage_name, ContentFile(b"%PDF-1.4\n"), save=False)
        document.save()
    return {
        CorrectiveActionRequest: car,
        CertificateSuspensionRequest: request,
        Appeal: appeal,
        DefectReport: defect,
        TransitionLog: decision,
        DecisionEvidence: document,
    }


def add_surveillance_records(cb, manufacturer, marker: str, *, certificate, auditor) -> dict:
    """An audit with its team, a sample, a nonconformity, a complaint, a PCN with a document."""
    from django.core.files.base import ContentFile

    from surveillance.models import (
        AuditTeamMember,
        Complaint,
        Nonconformity,
        PCNDocument,
        ProcessChangeNotification,
        ProductSample,
        SurveillanceAudit,
    )

    today = timezone.now().date()
    with scope(SYSTEM):
        audit = SurveillanceAudit.objects.create(
            certification_body=cb,
            manufacturer=manufacturer,
            certificate=certificate,
            kind="surveillance",
            due_on=today + timedelta(days=60),
            plan=f"{marker} audit plan",
        )
        # Written around the services, so keep what audit_plan keeps: the certificate's audit is planned.
        type(certificate)._base_manager.filter(pk=certificate.pk).update(surveillance_planned=True)
        member = AuditTeamMember.objects.create(audit=audit, auditor=auditor, role="lead", assigned_by_label="fixture")
        lab = TestLaboratory.objects.filter(owner=cb).first()
        sample = ProductSample.objects.create(
            certification_body=cb,
            manufacturer=manufacturer,
            certificate=certificate,
            source="market",
            description=f"{marker} sample",
            taken_on=today,
            laboratory=lab,
        )
        nc = Nonconformity.objects.create(
            certification_body=cb,
            manufacturer=manufacturer,
            certificate=certificate,
            audit=audit,
            grade="minor",
            requirement=f"{marker} clause 7.1",
            description=f"{marker} finding",
            due_on=today + timedelta(days=90),
            raised_by_label="fixture",
        )
        complaint = Complaint.objects.create(
            certification_body=cb,
            manufacturer=manufacturer,
            certificate=certificate,
            kind="field_failure",
            received_on=today,
            source=f"{marker} customer",
            description=f"{marker} failures",
            recorded_by_label="fixture",
        )
        pcn = ProcessChangeNotification.objects.create(
            certification_body=cb,
            manufacturer=manufacturer,
            certificate=certificate,
            title=f"{marker} new furnace",
            description=f"{marker} change",
            planned_on=today,
            submitted_by_label="fixture",
        )
        document = PCNDocument(
            pcn=pcn,
            title=f"{marker} drawing",
            storage_name=f"{marker.lower()}-pcn-{pcn.pk}.pdf",
            original_name="drawing.pdf",
            content_type="application/pdf",
            size=9,
            sha256="0" * 64,
            uploaded_by_label="fixture",
        )
        document.file.save(document.storage_name, ContentFile(b"%PDF-1.4\n"), save=False)
        document.save()
    return {
        SurveillanceAudit: audit,
        AuditTeamMember: member,
        ProductSample: sample,
        Nonconformity: nc,
        Complaint: complaint,
        ProcessChangeNotification: pcn,
        PCNDocument: document,
    }


def make_manufacturer(
    name: str, country: str, *, cbs: tuple[CertificationBody, ...] = ()
) -> tuple[Manufacturer, Organisation]:
    with scope(SYSTEM):
        m = Manufacturer.objects.create(name=name, legal_name=f"{name} GmbH", country=country)
        for cb in cbs:
            Engagement.objects.create(manufacturer=m, certification_body=cb, since=timezone.now().date())
        Site.objects.create(
            manufacturer=m, name=f"{name} main site", address="1 Test Street", city="Testville", country=country
        )
        org = Organisation.objects.create(kind=K.MANUFACTURER, name=name, country=country, manufacturer=m)
    return m, org


def copy_certificate(original, number: str):
    """Another certificate like `original`: same holder, CB, scheme, dates, scope, sites and technologies."""
    from certification.models import Certificate

    with scope(SYSTEM):
        copy = Certificate.objects.get(pk=original.pk)
        copy.pk = None
        copy.number = number
        copy.save()
        copy.sites.set(original.sites.all())
        copy.technologies.set(original.technologies.all())
    return copy


def make_org(kind: str, name: str, country: str = "") -> Organisation:
    """An organisation; a supervisory body's gets its SupervisoryBody record (one per country)."""
    with scope(SYSTEM):
        body = None
        if kind == K.SUPERVISORY_BODY:
            body, _created = SupervisoryBody.objects.get_or_create(country=country, defaults={"name": name})
        return Organisation.objects.create(kind=kind, name=name, country=country, supervisory_body=body)


def add_cb_records(cb: CertificationBody, manufacturer: Manufacturer, marker: str) -> dict:
    """Every kind of record a CB owns, named with the side's marker, for the isolation and bodies tests."""
    today = timezone.now().date()
    with scope(SYSTEM):
        tech, _c = Technology.objects.get_or_create(code="capacitors", defaults={"name": "Capacitors"})
        ab, _c = AccreditationBody.objects.get_or_create(
            acronym="UKAS",
            defaults={
                "name": "United Kingdom Accreditation Service",
                "country": "GB",
                "iaf_mla_signatory": True,
                "iaf_mla_product_certification": True,
            },
        )
        round_, _c = ProficiencyRound.objects.get_or_create(
            code="PT-2026-01", defaults={"provider": "PT provider", "title": "Capacitance", "held_on": today}
        )
        cb.technologies.add(tech)
        accreditation = Accreditation.objects.create(
            certification_body=cb,
            accreditation_body=ab,
            certificate_number=f"{marker}-ACC",
            scope=f"{marker} scope",
            valid_from=today - timedelta(days=100),
            valid_until=today + timedelta(days=600),
        )
        auditor = Auditor.objects.create(
            certification_body=cb,
            name=f"{marker} Auditor",
            email=f"{marker.lower()}@example.org",
            qualified_until=today + timedelta(days=365),
        )
        training = AuditorTraining.objects.create(
            auditor=auditor, course=f"{marker} course", completed_on=today, hours=16
        )
        competence = AuditorCompetence.objects.create(auditor=auditor, technology=tech, since=today)
        declaration = IndependenceDeclaration.objects.create(
            certification_body=cb,
            declarant_name=f"{marker} Auditor",
            auditor=auditor,
            signed_on=today,
            valid_until=today + timedelta(days=365),
            no_conflicts=True,
        )
        assessment_row = RequirementAssessment.objects.create(
            certification_body=cb,
            category="organizational",
            method="documentation_review",
            result="verified",
            evidence=f"{marker} evidence",
            assessed_on=today,
            assessed_by_label="fixture",
        )
        lab = TestLaboratory.objects.create(name=f"{marker} Lab", country=cb.country, owner=cb)
        equipment = Equipment.objects.create(
            laboratory=lab,
            name=f"{marker} LCR meter",
            asset_number=f"{marker}-1",
            last_calibrated_on=today,
            calibration_due_on=today + timedelta(days=365),
        )
        calibration = CalibrationRecord.objects.create(
            equipment=equipment,
            calibrated_on=today,
            due_on=today + timedelta(days=365),
            certificate_reference=f"{marker}-CAL",
        )
        result = ProficiencyResult.objects.create(
            round=round_, laboratory=lab, measurand=f"{marker} capacitance", z_score=Decimal("3.5")
        )
        action = LabAction.objects.create(result=result, description=f"{marker} action", due_on=today)
        assessment = CBAssessment.objects.create(
            certification_body=cb,
            kind="witness_audit",
            planned_on=today,
            lead_assessor=f"{marker} Assessor",
            witnessed_manufacturer=manufacturer,
        )
        finding = OversightFinding.objects.create(
            certification_body=cb, severity="minor", description=f"{marker} finding", recorded_by_label="fixture"
        )
        request = CBSuspensionRequest.objects.create(
            certification_body=cb,
            supervisory_body=SupervisoryBody.objects.get(country=cb.country.code),
            reason=f"{marker} request",
        )
    certification = add_certification_records(cb, manufacturer, marker, tech=tech, auditor=auditor)
    return {
        **certification,
        **add_import_records(cb, marker),
        **add_pdf_batch_records(cb, marker, certification),
        Accreditation: accreditation,
        Auditor: auditor,
        AuditorTraining: training,
        AuditorCompetence: competence,
        IndependenceDeclaration: declaration,
        RequirementAssessment: assessment_row,
        TestLaboratory: lab,
        Equipment: equipment,
        CalibrationRecord: calibration,
        ProficiencyResult: result,
        LabAction: action,
        CBAssessment: assessment,
        OversightFinding: finding,
        CBSuspensionRequest: request,
    }


def add_import_records(cb: CertificationBody, marker: str) -> dict:
    """A queued import job of the CB, its file named with the marker."""
    from django.core.files.base import ContentFile

    from iecq.imports.models import ImportJob

    with scope(SYSTEM):
        job = ImportJob(
            certification_body=cb,
            kind="manufacturers",
            format="csv",
            storage_name=f"{marker.lower()}-import.csv",
            original_name=f"{marker} legacy register.csv",
            size=12,
            sha256="0" * 64,
            created_by_label=f"{marker} importer",
        )
        job.file.save(job.storage_name, ContentFile(b"name,country\n"), save=False)
        job.save()
    return {ImportJob: job}


def add_pdf_batch_records(cb: CertificationBody, marker: str, certification: dict) -> dict:
    """A finished zip of the CB's certificate PDFs, its file holding the marker."""
    import io
    import zipfile

    from django.core.files.base import ContentFile

    from certification.models import Certificate, CertificatePdfBatch

    certificate = certification[Certificate]
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        archive.writestr(f"{certificate.number}.pdf", f"%PDF {marker} certificate".encode())
    with scope(SYSTEM):
        batch = CertificatePdfBatch(
            certification_body=cb,
            language="en",
            certificate_ids=[certificate.pk],
            total=1,
            processed=1,
            created_by_label=f"{marker} requester",
        )
        batch.file.save(f"{marker.lower()}-batch.zip", ContentFile(content.getvalue()), save=False)
        batch.save()
        CertificatePdfBatch.objects.filter(pk=batch.pk).update(state="done")
        batch.refresh_from_db()
    return {CertificatePdfBatch: batch}


def make_member(org: Organisation, role: str, username: str | None = None, **user_fields) -> tuple[User, Principal]:
    username = username or f"{org.name.lower().replace(' ', '-')}-{role}"
    user = User.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.org", **user_fields
    )
    with scope(SYSTEM):
        membership = Membership.objects.create(user=user, organisation=org, role=role)
        membership = Membership.objects.select_related("organisation", "user").get(pk=membership.pk)
    return user, principal_from_membership(membership)


def make_token(
    org: Organisation, role: str, creator: User, *, scopes=API_SCOPES, days: int = 30, name: str = "test token"
) -> tuple[str, Principal]:
    import secrets

    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(24).replace("_", "-")
    with scope(SYSTEM):
        token = ApiToken.objects.create(
            organisation=org,
            name=name,
            role=role,
            prefix=prefix,
            secret_hash=hash_secret(secret),
            scopes=list(scopes),
            created_by=creator,
            expires_at=timezone.now() + timedelta(days=days),
        )
        token = ApiToken.objects.select_related("organisation").get(pk=token.pk)
    return f"iecq_{prefix}_{secret}", principal_from_token(token)


# Transitions in fixtures are taken by the operator, as in the product.
OPERATOR_FOR_FIXTURES = Principal(kind=K.OPERATOR, label="fixture operator", role="op_admin")
