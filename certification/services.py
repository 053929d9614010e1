"""Writes of the certification app: applications through the stages (MF-01 … MF-04) and certificates
(CE-01, CE-02). Every service runs in one transaction inside the actor's scope and logs its transitions."""

from __future__ import annotations

import uuid
from datetime import date
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bodies.assignment import ensure_assignable
from bodies.models import Auditor, CertificationBody, Scheme, Technology
from iecq.dates import add_months, add_years
from iecq.errors import Forbidden, ValidationFailed
from iecq.integrations.events import event_record
from iecq.principals import Principal
from iecq.selectors import get_visible, visible
from iecq.tenancy import service
from iecq.transitions import declared_transitions, transition
from iecq.uploads import check_upload
from manufacturers.models import Manufacturer, Site
from manufacturers.services import engagement_open

from .choices import OPEN_APPLICATION_STATES, PDF_BATCH_MAX, EvaluationRole, PdfBatchState
from .choices import ApplicationState as A
from .choices import CertificateState as C
from .models import (
    CB_DECIDERS,
    MF_APPLICANTS,
    Application,
    Certificate,
    CertificateNumberSequence,
    CertificatePdfBatch,
    CertificateRevision,
    EvaluationAuditor,
    Evidence,
)

SCOPE_FIELDS = ("technologies", "component_types", "specifications", "sites")


def _ids(values) -> list[int]:
    return [getattr(v, "pk", v) for v in values]


def _check_scope(*, manufacturer: Manufacturer, technologies, sites, actor: Principal) -> tuple[list, list]:
    """Technologies must exist; sites must be the manufacturer's own."""
    errors: dict[str, list[str]] = {}
    tech_ids = _ids(technologies)
    techs = list(Technology.objects.filter(pk__in=tech_ids))
    if not tech_ids or len(techs) != len(set(tech_ids)):
        errors["technologies"] = [_("Choose one or more known technologies.")]
    site_ids = _ids(sites)
    own_sites = list(visible(Site, actor).filter(pk__in=site_ids, manufacturer=manufacturer))
    if not site_ids or len(own_sites) != len(set(site_ids)):
        errors["sites"] = [_("Choose one or more of the manufacturer's sites.")]
    if errors:
        raise ValidationFailed(errors=errors)
    return techs, own_sites


# --- applications ---------------------------------------------------------------------------------


@service
def application_create(
    *,
    actor: Principal,
    certification_body: CertificationBody | int,
    scheme: Scheme | int,
    technologies,
    component_types: str,
    sites,
    specifications: str = "",
    route: str = "technology_qualification",
    manufacturer: Manufacturer | int | None = None,
) -> Application:
    """A manufacturer opens an application (an initial inquiry) with a CB; CB staff may record one for a client."""
    if actor.is_manufacturer:
        if not actor.has_role(*MF_APPLICANTS):
            raise Forbidden(_("Your role may not apply."))
        manufacturer_id = actor.manufacturer_id
    elif actor.is_cb:
        manufacturer_id = getattr(manufacturer, "pk", manufacturer)
        if manufacturer_id is None:
            raise ValidationFailed(errors={"manufacturer": [_("Name the manufacturer.")]})
    else:
        raise Forbidden(_("Applications are made by manufacturers, or recorded by a CB for its client."))
    manufacturer = get_visible(Manufacturer, actor, manufacturer_id)
    cb = get_visible(CertificationBody, actor, getattr(certification_body, "pk", certification_body))
    if actor.is_cb and cb.pk != actor.certification_body_id:
        raise Forbidden(_("A CB records applications to itself only."))
    if not Scheme.objects.filter(pk=getattr(scheme, "pk", scheme)).exists():
        raise ValidationFailed(errors={"scheme": [_("Unknown scheme.")]})
    if not component_types.strip():
        raise ValidationFailed(errors={"component_types": [_("Say which component types are to be certified.")]})
    techs, own_sites = _check_scope(manufacturer=manufacturer, technologies=technologies, sites=sites, actor=actor)
    engagement_open(actor=_as_system_for_engagement(actor), manufacturer=manufacturer, certification_body_id=cb.pk)
    application = Application.objects.create(
        reference=f"pending-{uuid.uuid4().hex}",
        manufacturer=manufacturer,
        certification_body=cb,
        scheme_id=getattr(scheme, "pk", scheme),
        route=route,
        component_types=component_types.strip(),
        specifications=specifications.strip(),
        created_by_label=actor.label,
    )
    application.reference = f"APP-{application.created_at:%Y}-{application.pk:06d}"
    application.save(update_fields=["reference"])
    application.technologies.set(techs)
    application.sites.set(own_sites)
    event_record(instance=application, type="application.created", actor=actor)
    return application


def _as_system_for_engagement(actor: Principal) -> Principal:
    """An inquiry makes the manufacturer a client of the CB; that relationship crosses tenants by design."""
    from iecq.principals import system_principal

    return system_principal(f"client relationship opened by {actor.label}")


@service
def application_update(*, actor: Principal, pk: object, **changes) -> Application:
    """Change the scope of an application while it is still an inquiry."""
    application = get_visible(Application, actor, pk, for_update=True)
    if not (
        actor.is_manufacturer
        and actor.manufacturer_id == application.manufacturer_id
        and actor.has_role(*MF_APPLICANTS)
    ):
        raise Forbidden(_("Only the applicant changes its application."))
    if application.state != A.INQUIRY:
        raise ValidationFailed(errors={"state": [_("A submitted application can no longer be changed.")]})
    unknown = sorted(set(changes) - set(SCOPE_FIELDS) - {"route", "scheme"})
    if unknown:
        raise ValidationFailed(errors={name: [_("This field cannot be changed.")] for name in unknown})
    techs, own_sites = _check_scope(
        manufacturer=application.manufacturer,
        technologies=changes.get("technologies", application.technologies.all()),
        sites=changes.get("sites", application.sites.all()),
        actor=actor,
    )
    for field in ("component_types", "specifications", "route"):
        if field in changes:
            setattr(application, field, changes[field])
    if "scheme" in changes:
        application.scheme_id = getattr(changes["scheme"], "pk", changes["scheme"])
    application.save()
    application.technologies.set(techs)
    application.sites.set(own_sites)
    return application


@service
def application_transition(*, actor: Principal, pk: object, name: str, reason: str = "") -> Application:
    """Move an application to its next stage; certifying issues the certificate in the same transaction."""
    application = get_visible(Application, actor, pk, for_update=True)
    if name == "certify":
        _check_impartiality(application, actor)
    transition(application, name, actor=actor, reason=reason)
    if name == "certify":
        certificate_issue(actor=actor, application=application)
    return application


APPLICATION_TRANSITION_SERVICES = {
    name: partial(application_transition, name=name)
    for name in declared_transitions(Application)
    if name != "reopen_on_appeal"  # only an upheld appeal reopens (sanctions.services.appeal_decide)
}


def _check_impartiality(application: Application, actor: Principal) -> None:
    """MF-03: whoever decides certification did not audit that evaluation, and is a person we can name."""
    if actor.user_id is None:
        raise Forbidden(_("MF-03: a certification decision is taken by a signed-in person, not by an API token."))
    if application.evaluation_auditors.filter(auditor__user_id=actor.user_id).exists():
        raise Forbidden(_("MF-03: you audited this evaluation, so another certification manager must decide."))


@service
def evaluation_auditor_assign(
    *, actor: Principal, application: Application | int, auditor: Auditor | int, role: str = EvaluationRole.MEMBER
) -> EvaluationAuditor:
    """Put an auditor on the evaluation team, only if the assignment check finds nothing (CB-03, CB-04)."""
    application = get_visible(Application, actor, getattr(application, "pk", application), for_update=True)
    if not (
        actor.is_cb
        and actor.certification_body_id == application.certification_body_id
        and actor.has_role(*CB_DECIDERS)
    ):
        raise Forbidden(_("The CB's certification manager assigns the audit team."))
    if application.state not in OPEN_APPLICATION_STATES or application.state == A.INQUIRY:
        raise ValidationFailed(errors={"application": [_("The team is assigned while the application is open.")]})
    auditor = get_visible(Auditor, actor, getattr(auditor, "pk", auditor))
    for technology in application.technologies.all():
        ensure_assignable(
            auditor,
            certification_body_id=application.certification_body_id,
            manufacturer_id=application.manufacturer_id,
            technology=technology,
        )
    if role not in EvaluationRole.values:
        raise ValidationFailed(errors={"role": [_("Unknown role.")]})
    if role == EvaluationRole.LEAD and application.evaluation_auditors.filter(role=EvaluationRole.LEAD).exists():
        raise ValidationFailed(errors={"role": [_("The team already has a lead auditor.")]})
    try:
        with transaction.atomic():
            return EvaluationAuditor.objects.create(
                application=application, auditor=auditor, role=role, assigned_by_label=actor.label
            )
    except IntegrityError:
        raise ValidationFailed(errors={"auditor": [_("This auditor is already on the team.")]}) from None


@service
def evidence_upload(
    *, actor: Principal, application: Application | int, title: str, effective_on: date, file
) -> Evidence:
    """Store a document for the application's current stage (MF-02): size limited, type checked by content,
    stored under a server-generated name."""
    application = get_visible(Application, actor, getattr(application, "pk", application), for_update=True)
    applicant = actor.is_manufacturer and actor.manufacturer_id == application.manufacturer_id
    cb_staff = actor.is_cb and actor.certification_body_id == application.certification_body_id
    if not (applicant or cb_staff):
        raise Forbidden(_("Only the applicant and the CB add evidence."))
    if application.state not in OPEN_APPLICATION_STATES:
        raise ValidationFailed(errors={"file": [_("This application is closed; no evidence can be added.")]})
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("Give the document a title.")]
    if effective_on > timezone.now().date():
        errors["effective_on"] = [_("The effective date cannot be in the future.")]
    if errors:
        raise ValidationFailed(errors=errors)
    checked = check_upload(file)
    storage_name = checked.storage_name
    evidence = Evidence(
        application=application,
        stage=application.state,
        title=title.strip()[:200],
        effective_on=effective_on,
        storage_name=storage_name,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by_label=actor.label,
    )
    evidence.file.save(storage_name, file, save=False)
    evidence.save()
    return evidence


# --- certificates -----------------------------------------------------------------------------------


def _allocate_number(cb: CertificationBody, scheme: Scheme) -> str:
    """IECQ-<scheme>-<CB country and id>-<sequence>: unique per CB and scheme, allocated under a row lock."""
    sequence, _created = CertificateNumberSequence.objects.get_or_create(certification_body=cb, scheme=scheme)
    sequence = CertificateNumberSequence.objects.select_for_update().get(pk=sequence.pk)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"IECQ-{scheme.code.upper()}-{cb.country.code}{cb.pk:03d}-{sequence.last:05d}"


def _snapshot(cert: Certificate) -> dict:
    return {
        "number": cert.number,
        "state": cert.state,
        "certification_body": {"id": cert.certification_body_id, "name": cert.certification_body.name},
        "manufacturer": {"id": cert.manufacturer_id, "name": cert.manufacturer.name},
        "scheme": cert.scheme.code,
        "technologies": sorted(cert.technologies.values_list("code", flat=True)),
        "component_types": cert.component_types,
        "specifications": cert.specifications,
        "sites": sorted(cert.sites.values_list("name", flat=True)),
        "issued_on": cert.issued_on.isoformat(),
        "period_start": cert.period_start.isoformat(),
        "expires_on": cert.expires_on.isoformat(),
    }


def _revise(cert: Certificate, *, actor: Principal, reason: str, first: bool = False) -> CertificateRevision:
    """Every change of a certificate is a new revision; earlier ones stay (CE-01)."""
    if not first:
        cert.revision += 1
        cert.save(update_fields=["revision", "updated_at"])
    return CertificateRevision.objects_append.create(
        certificate=cert, number=cert.revision, snapshot=_snapshot(cert), reason=reason, created_by_label=actor.label
    )


def certificate_issue(*, actor: Principal, application: Application) -> Certificate:
    """Issue the certificate of a certified application: number, scope copied, three years' validity."""
    today = timezone.now().date()
    cb = application.certification_body
    cert = Certificate.objects.create(
        number=_allocate_number(cb, application.scheme),
        manufacturer=application.manufacturer,
        certification_body=cb,
        scheme=application.scheme,
        application=application,
        component_types=application.component_types,
        specifications=application.specifications,
        issued_on=today,
        period_start=today,
        expires_on=add_years(today, settings.IECQ_CERTIFICATE_YEARS),
        next_audit_due=add_months(today, settings.IECQ_SURVEILLANCE_NORMAL_MONTHS),
    )
    cert.technologies.set(application.technologies.all())
    cert.sites.set(application.sites.all())
    _revise(
        cert, actor=actor, reason=_("Issued after application %(ref)s.") % {"ref": application.reference}, first=True
    )
    event_record(instance=cert, type="certificate.created", actor=actor)
    return cert


@service
def certificate_transition(*, actor: Principal, pk: object, name: str, reason: str = "") -> Certificate:
    """Suspend, reinstate, withdraw or recertify a certificate; each is logged and makes a new revision."""
    cert = get_visible(Certificate, actor, pk, for_update=True)
    log = transition(cert, name, actor=actor, reason=reason)
    _revise(cert, actor=actor, reason=reason or name)
    from sanctions.bulletin import publish_decision

    publish_decision(cert, log)  # SA-03: the notice is part of the decision's transaction
    return cert


CERTIFICATE_TRANSITION_SERVICES = {
    name: partial(certificate_transition, name=name)
    for name in declared_transitions(Certificate)
    # expire: the sweep; transfer: certificate_transfer; restore_on_appeal: an upheld appeal only
    if name not in ("expire", "transfer", "restore_on_appeal")
}


@service
def certificate_transfer(
    *, actor: Principal, pk: object, to_certification_body: CertificationBody | int, reason: str
) -> Certificate:
    """The operator moves a valid certificate to another approved CB; revisions and history go with it."""
    cert = get_visible(Certificate, actor, pk, for_update=True)
    target = get_visible(CertificationBody, actor, getattr(to_certification_body, "pk", to_certification_body))
    if target.pk == cert.certification_body_id:
        raise ValidationFailed(errors={"to_certification_body": [_("The certificate is already with this CB.")]})
    problems = [p for t in cert.technologies.all() for p in target.may_certify(t)]
    if problems:
        raise ValidationFailed(errors={"to_certification_body": list(dict.fromkeys(str(p) for p in problems))})
    transition(cert, "transfer", actor=actor, reason=reason)
    source = cert.certification_body
    cert.certification_body = target
    cert.save(update_fields=["certification_body", "updated_at"])
    engagement_open(actor=actor, manufacturer=cert.manufacturer, certification_body_id=target.pk)
    _revise(
        cert, actor=actor, reason=_("Transferred from %(source)s: %(reason)s") % {"source": source, "reason": reason}
    )
    event_record(instance=cert, type="certificate.updated", actor=actor)  # the new CB's feed sees it from here
    return cert


@service
def certificate_update_scope(*, actor: Principal, pk: object, reason: str, **changes) -> Certificate:
    """Change a valid certificate's scope (component types, specifications, sites, technologies): a new revision."""
    cert = get_visible(Certificate, actor, pk, for_update=True)
    if not (actor.is_cb and actor.certification_body_id == cert.certification_body_id and actor.has_role(*CB_DECIDERS)):
        raise Forbidden(_("The CB's certification manager changes a certificate's scope."))
    if cert.state != C.VALID:
        raise ValidationFailed(errors={"state": [_("Only a valid certificate's scope can change.")]})
    if not reason.strip():
        raise ValidationFailed(errors={"reason": [_("Say why the scope changes.")]})
    unknown = sorted(set(changes) - set(SCOPE_FIELDS))
    if unknown:
        raise ValidationFailed(errors={name: [_("This field cannot be changed.")] for name in unknown})
    techs, own_sites = _check_scope(
        manufacturer=cert.manufacturer,
        technologies=changes.get("technologies", cert.technologies.all()),
        sites=changes.get("sites", cert.sites.all()),
        actor=actor,
    )
    outside = [p for t in techs for p in cert.certification_body.may_certify(t) if "CB-02" in str(p)]
    if outside:
        raise ValidationFailed(errors={"technologies": [str(p) for p in outside]})
    for field in ("component_types", "specifications"):
        if field in changes:
            setattr(cert, field, changes[field].strip())
    cert.save()
    cert.technologies.set(techs)
    cert.sites.set(own_sites)
    _revise(cert, actor=actor, reason=reason.strip())
    event_record(instance=cert, type="certificate.updated", actor=actor)
    return cert


@service
def certificate_expire_overdue(*, actor: Principal, today: date | None = None) -> list[Certificate]:
    """Expire every valid or suspended certificate past its expiry date (SV-06); for the sweep."""
    if not actor.is_system:
        raise Forbidden(_("Expiring certificates is the scheduler's work."))
    today = today or timezone.now().date()
    expired = []
    for cert in (
        visible(Certificate, actor)
        .filter(state__in=[C.VALID, C.SUSPENDED], expires_on__lt=today)
        .select_for_update(skip_locked=True)
    ):
        transition(
            cert,
            "expire",
            actor=actor,
            reason=_("Not recertified before %(day)s.") % {"day": cert.expires_on.isoformat()},
        )
        _revise(cert, actor=actor, reason="expired")
        expired.append(cert)
    return expired


# --- zips of certificate PDFs (CE-03) ----------------------------------------------------------------------


@service
def certificate_pdf_batch_create(*, actor: Principal, certificate_ids: list, language: str) -> CertificatePdfBatch:
    """Queue a zip of the PDFs of these certificates (those the CB's staff member sees) and start its task."""
    if not actor.is_cb:
        raise Forbidden(_("A certification body's staff asks for a zip of certificate PDFs."))
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    ids = list(
        visible(Certificate, actor)
        .filter(pk__in=[int(v) for v in certificate_ids if str(v).isdigit()][: PDF_BATCH_MAX + 1])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        raise ValidationFailed(errors={"certificates": [_("Choose at least one certificate.")]})
    if len(ids) > PDF_BATCH_MAX:
        raise ValidationFailed(
            errors={"certificates": [_("At most %(n)d certificates in one zip.") % {"n": PDF_BATCH_MAX}]}
        )
    batch = CertificatePdfBatch.objects.create(
        certification_body=get_visible(CertificationBody, actor, actor.certification_body_id),
        language=language,
        certificate_ids=ids,
        total=len(ids),
        created_by_id=actor.user_id,
        created_by_label=actor.label[:200],
    )
    from . import tasks

    tasks.certificate_pdf_batch_run.enqueue(batch_id=batch.pk, principal=actor)
    return batch


@service
def certificate_pdf_batch_advance(
    *, actor: Principal, pk: object, name: str, reason: str = "", **fields
) -> CertificatePdfBatch:
    """Move a batch to its next state (logged), with the counters or the zip that go with it."""
    batch = get_visible(CertificatePdfBatch, actor, pk, for_update=True)
    transition(batch, name, actor=actor, reason=reason)
    if batch.is_final:
        batch.finished_at = timezone.now()
    for field, value in fields.items():
        setattr(batch, field, value)
    batch.save()
    return batch


@service
def certificate_pdf_batch_expire(*, actor: Principal, pk: object) -> CertificatePdfBatch:
    """Expire a finished zip kept its retention period (logged); its file is deleted once that is committed."""
    batch = get_visible(CertificatePdfBatch, actor, pk, for_update=True)
    if batch.state == PdfBatchState.EXPIRED:
        return batch  # another run of the clean-up got there first
    storage, name = batch.file.storage, batch.file.name
    batch.file = ""
    days = settings.IECQ_PDF_BATCH_RETENTION_DAYS
    transition(batch, "expire", actor=actor, reason=_("Zips are kept %(n)d days after they are ready.") % {"n": days})
    if name:
        # After the commit: a rolled-back expiry leaves the zip in place. A deletion that fails leaves a file no
        # batch refers to, which the next clean-up deletes (certification.pdf_cleanup).
        transaction.on_commit(partial(storage.delete, name), robust=True)
    return batch


@service
def certificate_pdf_batch_fail_stale(*, actor: Principal, pk: object) -> CertificatePdfBatch:
    """Fail a job no worker finished within IECQ_PDF_BATCH_STALE_HOURS (its Celery message was lost, or its worker
    with it), logged with a reason in the requester's language; its page stops polling and offers to ask again."""
    batch = get_visible(CertificatePdfBatch, actor, pk, for_update=True)
    if batch.state not in (PdfBatchState.QUEUED, PdfBatchState.RENDERING):
        return batch  # its worker finished it meanwhile, or another run of the clean-up got there first
    hours = settings.IECQ_PDF_BATCH_STALE_HOURS
    with translation.override(batch.language):
        reason = ngettext(
            "No worker finished this job within %(n)d hour; ask again.",
            "No worker finished this job within %(n)d hours; ask again.",
            hours,
        ) % {"n": hours}
    transition(batch, "fail", actor=actor, reason=reason)
    batch.finished_at = timezone.now()
    batch.save()
    return batch
