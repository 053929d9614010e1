"""Writes of surveillance (SV-01 … SV-07): audits and their teams, nonconformities and corrective actions,
samples, complaints, process change notifications; and the sweep's audit planning."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from bodies.assignment import ensure_assignable
from bodies.models import Auditor, Equipment, TestLaboratory
from bodies.services.laboratories import equipment_usable
from certification.choices import CertificateState
from certification.models import CB_DECIDERS, CB_STAFF, MF_APPLICANTS, Certificate
from certification.services import certificate_transition
from iecq.dates import add_months
from iecq.errors import Forbidden, ValidationFailed
from iecq.integrations.events import record_created
from iecq.principals import Principal, system_principal
from iecq.selectors import get_visible, visible
from iecq.tenancy import scope, service
from iecq.transitions import declared_transitions, transition
from iecq.uploads import check_upload

from .choices import OPEN_AUDIT_STATES, AuditKind, AuditState, Grade, PCNImpact, PCNState, SpecialAuditTrigger
from .frequency import surveillance_frequency
from .models import (
    AuditTeamMember,
    Complaint,
    Nonconformity,
    PCNDocument,
    ProcessChangeNotification,
    ProductSample,
    SurveillanceAudit,
)

RECERTIFICATION_LEAD_DAYS = 180  # a recertification audit is planned this long before the certificate expires
# The certificate's flag that says an open audit of the kind exists (Certificate.surveillance_planned).
PLANNED_FLAG = {AuditKind.SURVEILLANCE: "surveillance_planned", AuditKind.RECERTIFICATION: "recertification_planned"}
BOOKKEEPING = system_principal("periodic audit bookkeeping")


def _require(actor: Principal, certification_body_id: int, roles=CB_DECIDERS, message: str | None = None) -> None:
    if not (actor.is_cb and actor.certification_body_id == certification_body_id and actor.has_role(*roles)):
        raise Forbidden(message or _("Only the certification body's managers may do this."))


def _certificate(actor: Principal, certificate) -> Certificate:
    return get_visible(Certificate, actor, getattr(certificate, "pk", certificate))


# --- audits (SV-01, SV-06) --------------------------------------------------------------------------


def periodic_audit_certificates_lock(*, certificate_ids: Iterable[int | None]) -> dict[int, Certificate]:
    """Lock the certificates' rows, in id order, before any of their audits is read or written; return them fresh.

    Every write that may open or end a certificate's surveillance or recertification audit (`audit_plan`,
    `audit_transition`, the sweep) takes this lock first, so such writers queue on the certificate row; and as all
    of them lock the certificate before any of its audits (and several certificates in id order), no two of them
    can deadlock on each other. FOR NO KEY UPDATE: it queues those writers and the certificate's own
    transitions (FOR UPDATE) but not the rows that merely refer to the certificate (a complaint, a nonconformity),
    whose foreign-key check takes FOR KEY SHARE. Taken as the system: the certificate may have moved to another CB
    since the audit was planned (its old CB still ends the audit). No effect on SQLite (`make run`): one writer.
    """
    ids = sorted({pk for pk in certificate_ids if pk is not None})
    if not ids:
        return {}
    with scope(BOOKKEEPING):
        rows = Certificate._base_manager.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
        return {cert.pk: cert for cert in rows}


def periodic_audit_flags_refresh(*, certificate_ids: Iterable[int | None]) -> None:
    """Set the certificates' `surveillance_planned` / `recertification_planned` to whether an open audit of the
    kind exists now; the caller holds their locks (`periodic_audit_certificates_lock`), taken before it read or
    wrote any of their audits, so no other writer of those audits can commit between this read and its write.

    Recomputed from the audits rather than set to what the caller believes it did, so a flag that drifted (an
    audit written around the services) is repaired by the next write on the certificate. Rows already right are
    not written.
    """
    ids = sorted({pk for pk in certificate_ids if pk is not None})
    if not ids:
        return
    with scope(BOOKKEEPING):
        open_kinds = set(
            SurveillanceAudit._base_manager.filter(
                certificate_id__in=ids, kind__in=list(PLANNED_FLAG), state__in=OPEN_AUDIT_STATES
            ).values_list("certificate_id", "kind")
        )
        by_flags: dict[tuple[bool, ...], list[int]] = defaultdict(list)
        for pk in ids:
            by_flags[tuple((pk, kind) in open_kinds for kind in PLANNED_FLAG)].append(pk)
        for values, pks in by_flags.items():
            flags = dict(zip(PLANNED_FLAG.values(), values, strict=True))
            Certificate._base_manager.filter(pk__in=pks).exclude(**flags).update(**flags)


@service
def audit_plan(
    *,
    actor: Principal,
    certificate: Certificate | int,
    kind: str,
    due_on: date,
    trigger: str = "",
    trigger_reference: str = "",
    plan: str = "",
) -> SurveillanceAudit:
    """Plan an audit of a certificate's holder: surveillance, recertification or special (with its trigger)."""
    cert = _certificate(actor, certificate)  # 404 before any lock
    cert = periodic_audit_certificates_lock(certificate_ids=[cert.pk])[cert.pk]  # and decide on it as it is now
    if not actor.is_system:
        _require(actor, cert.certification_body_id)
    if kind not in AuditKind.values or kind == AuditKind.INITIAL:
        raise ValidationFailed(errors={"kind": [_("Plan a surveillance, recertification or special audit.")]})
    if kind == AuditKind.SPECIAL and trigger not in SpecialAuditTrigger.values:
        raise ValidationFailed(errors={"trigger": [_("Say what a special audit follows.")]})
    if cert.state in (CertificateState.WITHDRAWN, CertificateState.EXPIRED):
        raise ValidationFailed(errors={"certificate": [_("This certificate is no longer in force.")]})
    try:
        with transaction.atomic():
            audit = SurveillanceAudit.objects.create(
                certification_body_id=cert.certification_body_id,
                manufacturer_id=cert.manufacturer_id,
                certificate=cert,
                kind=kind,
                trigger=trigger,
                trigger_reference=trigger_reference[:200],
                due_on=due_on,
                plan=plan,
            )
            periodic_audit_flags_refresh(certificate_ids=[cert.pk])
            return record_created(audit, actor=actor)
    except IntegrityError:
        raise ValidationFailed(
            errors={"kind": [_("An audit of this kind is already open for this certificate.")]}
        ) from None


@service
def audit_update(*, actor: Principal, pk: object, **changes) -> SurveillanceAudit:
    """Set the date and plan (before the audit) or write the report (during it)."""
    audit = get_visible(SurveillanceAudit, actor, pk, for_update=True)
    _require(actor, audit.certification_body_id, roles=CB_STAFF)
    allowed = {
        AuditState.PLANNED: {"scheduled_for", "plan", "due_on"},
        AuditState.SCHEDULED: {"scheduled_for", "plan"},
        AuditState.IN_PROGRESS: {"report"},
    }.get(audit.state, set())
    refused = sorted(set(changes) - allowed)
    if refused:
        raise ValidationFailed(errors={name: [_("This cannot be changed at this stage.")] for name in refused})
    for name, value in changes.items():
        setattr(audit, name, value)
    audit.save()
    return audit


@service
def audit_team_assign(
    *, actor: Principal, audit: SurveillanceAudit | int, auditor: Auditor | int, role: str = "member"
) -> AuditTeamMember:
    """Put an auditor on the team, only if the assignment check finds nothing against it (CB-03, CB-04)."""
    audit = get_visible(SurveillanceAudit, actor, getattr(audit, "pk", audit), for_update=True)
    _require(actor, audit.certification_body_id)
    if audit.state not in (AuditState.PLANNED, AuditState.SCHEDULED):
        raise ValidationFailed(errors={"audit": [_("The team is set before the audit starts.")]})
    auditor = get_visible(Auditor, actor, getattr(auditor, "pk", auditor))
    technologies = list(audit.certificate.technologies.all()) if audit.certificate_id else [None]
    for technology in technologies:
        ensure_assignable(
            auditor,
            certification_body_id=audit.certification_body_id,
            manufacturer_id=audit.manufacturer_id,
            technology=technology,
            on=audit.scheduled_for or audit.due_on,
        )
    if role == "lead" and audit.team.filter(role="lead").exists():
        raise ValidationFailed(errors={"role": [_("The team already has a lead auditor.")]})
    try:
        with transaction.atomic():
            return AuditTeamMember.objects.create(
                audit=audit, auditor=auditor, role=role, assigned_by_label=actor.label
            )
    except IntegrityError:
        raise ValidationFailed(errors={"auditor": [_("This auditor is already on the team.")]}) from None


@service
def audit_transition(*, actor: Principal, pk: object, name: str, reason: str = "") -> SurveillanceAudit:
    """Move an audit on. Closing reviews the complaints received meanwhile, sets the next audit date by the
    risk rule (SV-07), for a recertification audit renews the certificate (SV-06), and plans the next annual
    surveillance audit of a valid certificate (SV-01), so that every valid certificate always has one."""
    certificate_id = get_visible(SurveillanceAudit, actor, pk).certificate_id  # 404 before any lock
    periodic_audit_certificates_lock(certificate_ids=[certificate_id])  # the certificate first, then the audit
    audit = get_visible(SurveillanceAudit, actor, pk, for_update=True)
    transition(audit, name, actor=actor, reason=reason)
    periodic_audit_flags_refresh(certificate_ids=[certificate_id])  # the sweep plans the next if nobody does
    if name == "close":
        Complaint.objects.filter(
            manufacturer_id=audit.manufacturer_id,
            certification_body_id=audit.certification_body_id,
            reviewed_in__isnull=True,
            received_on__lte=audit.scheduled_for or audit.closed_on,  # what was there to review on the audit day
        ).update(reviewed_in=audit)
        if audit.certificate_id:
            cert = get_visible(Certificate, actor, audit.certificate_id, for_update=True)
            if audit.kind == AuditKind.RECERTIFICATION:
                certificate_transition(
                    actor=actor,
                    pk=cert.pk,
                    name="recertify",
                    reason=_("Recertification audit closed on %(day)s.") % {"day": audit.closed_on.isoformat()},
                )
                cert = get_visible(Certificate, actor, cert.pk, for_update=True)
            if audit.kind in (AuditKind.SURVEILLANCE, AuditKind.RECERTIFICATION, AuditKind.INITIAL):
                frequency = surveillance_frequency(
                    manufacturer_id=cert.manufacturer_id,
                    certification_body_id=cert.certification_body_id,
                    as_of=audit.closed_on,
                )
                cert.next_audit_due = add_months(audit.closed_on, frequency.months)
                cert.save(update_fields=["next_audit_due", "updated_at"])
                if cert.state == CertificateState.VALID:
                    _next_surveillance_plan(actor=actor, cert=cert)
    return audit


def _next_surveillance_plan(*, actor: Principal, cert: Certificate) -> None:
    """Plan the annual audit `next_audit_due` names, unless one is already open (then the sweep has nothing to do
    for this certificate until that one ends)."""
    with contextlib.suppress(ValidationFailed):  # a surveillance audit of this certificate is still open
        audit_plan(actor=actor, certificate=cert.pk, kind=AuditKind.SURVEILLANCE, due_on=cert.next_audit_due)


AUDIT_TRANSITION_SERVICES = {
    name: partial(audit_transition, name=name) for name in declared_transitions(SurveillanceAudit)
}


@service
def audits_plan_due(*, actor: Principal, today: date | None = None) -> list[SurveillanceAudit]:
    """For the sweep: plan the annual audit of every valid certificate falling due within the planning window,
    and the recertification audit of every certificate nearing expiry (SV-01, SV-06). Idempotent.

    Reads only valid certificates whose audit of the kind is not planned (`planned_due_candidates`), through the
    partial indexes on the flags, so the cost follows what is to plan, not the number of certificates. Then takes
    the lock every writer of those certificates' audits takes, and decides on what it reads under it: a candidate
    planned, cancelled, withdrawn or renewed meanwhile is seen as it is now, and stays so until this commits."""
    if not actor.is_system:
        raise Forbidden(_("Planning periodic audits is the scheduler's work."))
    today = today or timezone.now().date()
    candidates = planned_due_candidates(actor=actor, today=today)
    seen = [pk for certificates in candidates.values() for pk in certificates.values_list("pk", flat=True)]
    locked = periodic_audit_certificates_lock(certificate_ids=seen)
    if not locked:
        return []
    planned = []
    for kind, certificates in candidates.items():
        for cert in certificates.filter(pk__in=list(locked)):  # still to plan, read under the lock
            due = cert.next_audit_due if kind == AuditKind.SURVEILLANCE else cert.expires_on - timedelta(days=30)
            try:
                with transaction.atomic():
                    planned.append(
                        SurveillanceAudit.objects.create(
                            certification_body_id=cert.certification_body_id,
                            manufacturer_id=cert.manufacturer_id,
                            certificate=cert,
                            kind=kind,
                            due_on=max(due, today),
                        )
                    )
            except IntegrityError:
                # The flag missed an open audit written around the services (an old import, a shell): there is
                # one, and no service can end it before this commits. The refresh below records it (drift repair).
                continue
    # Both flags of every locked candidate, from its audits as they are now: the audits just planned, the ones
    # the flags missed, and the candidates another writer planned or ended before the lock.
    periodic_audit_flags_refresh(certificate_ids=list(locked))
    return planned


def planned_due_candidates(*, actor: Principal, today: date) -> dict[str, QuerySet[Certificate]]:
    """The valid certificates whose periodic audit is due to be planned and is not: by kind."""
    valid = visible(Certificate, actor).filter(state=CertificateState.VALID).order_by("pk")
    window = today + timedelta(days=settings.IECQ_AUDIT_PLANNING_DAYS)
    return {
        AuditKind.SURVEILLANCE: valid.filter(surveillance_planned=False, next_audit_due__lte=window),
        AuditKind.RECERTIFICATION: valid.filter(
            recertification_planned=False, expires_on__lte=today + timedelta(days=RECERTIFICATION_LEAD_DAYS)
        ),
    }


# --- nonconformities (SV-04) --------------------------------------------------------------------------


def nonconformity_raise(
    *,
    actor: Principal,
    grade: str,
    requirement: str,
    description: str,
    audit: SurveillanceAudit | None = None,
    sample: ProductSample | None = None,
) -> Nonconformity:
    """Raise a nonconformity at an audit or from a failed sample; the correction is due by grade."""
    source = audit or sample
    if grade not in Grade.values:
        raise ValidationFailed(errors={"grade": [_("Major or minor.")]})
    if not requirement.strip() or not description.strip():
        raise ValidationFailed(errors={"description": [_("Name the requirement and describe the finding.")]})
    nonconformity = Nonconformity.objects.create(
        certification_body_id=source.certification_body_id,
        manufacturer_id=source.manufacturer_id,
        certificate_id=source.certificate_id,
        audit=audit,
        sample=sample,
        grade=grade,
        requirement=requirement.strip()[:300],
        description=description.strip(),
        due_on=timezone.now().date() + timedelta(days=settings.IECQ_NC_DAYS[grade]),
        raised_by_label=actor.label,
    )
    return record_created(nonconformity, actor=actor)


@service
def nonconformity_record(
    *, actor: Principal, audit: SurveillanceAudit | int, grade: str, requirement: str, description: str
) -> Nonconformity:
    """An auditor or manager records a nonconformity found at an audit in progress or just reported."""
    audit = get_visible(SurveillanceAudit, actor, getattr(audit, "pk", audit), for_update=True)
    _require(actor, audit.certification_body_id, roles=CB_STAFF)
    if audit.state not in (AuditState.IN_PROGRESS, AuditState.REPORT_SUBMITTED):
        raise ValidationFailed(errors={"audit": [_("Nonconformities are recorded during the audit.")]})
    return nonconformity_raise(actor=actor, audit=audit, grade=grade, requirement=requirement, description=description)


@service
def nonconformity_respond(*, actor: Principal, pk: object, corrective_action: str) -> Nonconformity:
    """The manufacturer answers with its corrective action (online); the CB then verifies it."""
    nc = get_visible(Nonconformity, actor, pk, for_update=True)
    if not (actor.is_manufacturer and actor.manufacturer_id == nc.manufacturer_id and actor.has_role(*MF_APPLICANTS)):
        raise Forbidden(_("The manufacturer answers its nonconformities."))
    if not corrective_action.strip():
        raise ValidationFailed(
            errors={"corrective_action": [_("Describe the correction and how recurrence is prevented.")]}
        )
    nc.corrective_action = corrective_action.strip()
    transition(nc, "submit_action", actor=actor, reason=_("Corrective action submitted."))
    return nc


@service
def nonconformity_transition(*, actor: Principal, pk: object, name: str, reason: str = "") -> Nonconformity:
    nc = get_visible(Nonconformity, actor, pk, for_update=True)
    transition(nc, name, actor=actor, reason=reason)
    return nc


NONCONFORMITY_TRANSITION_SERVICES = {
    name: partial(nonconformity_transition, name=name)
    for name in declared_transitions(Nonconformity)
    if name != "submit_action"  # through nonconformity_respond, which carries the corrective action
}


# --- samples (SV-02) --------------------------------------------------------------------------------------


@service
def sample_record(
    *,
    actor: Principal,
    certificate: Certificate | int,
    source: str,
    description: str,
    taken_on: date,
    laboratory: TestLaboratory | int,
    equipment=(),
    audit: SurveillanceAudit | int | None = None,
) -> ProductSample:
    """Record a sample taken from production or the market and the laboratory and equipment that test it;
    equipment overdue for calibration is refused (CB-10)."""
    cert = _certificate(actor, certificate)
    _require(actor, cert.certification_body_id, roles=CB_STAFF)
    lab = get_visible(TestLaboratory, actor, getattr(laboratory, "pk", laboratory))
    if taken_on > timezone.now().date():
        raise ValidationFailed(errors={"taken_on": [_("The sample cannot be taken in the future.")]})
    tools = [get_visible(Equipment, actor, getattr(e, "pk", e)) for e in equipment]
    for tool in tools:
        if tool.laboratory_id != lab.pk:
            raise ValidationFailed(errors={"equipment": [_("This equipment belongs to another laboratory.")]})
        equipment_usable(tool)
    audit_id = getattr(audit, "pk", audit)
    if audit_id is not None:
        get_visible(SurveillanceAudit, actor, audit_id)
    sample = ProductSample.objects.create(
        certification_body_id=cert.certification_body_id,
        manufacturer_id=cert.manufacturer_id,
        certificate=cert,
        audit_id=audit_id,
        source=source,
        description=description.strip()[:300],
        taken_on=taken_on,
        laboratory=lab,
    )
    sample.equipment.set(tools)
    return record_created(sample, actor=actor)


@service
def sample_result_record(
    *, actor: Principal, pk: object, passed: bool, test_report: str, reason: str = ""
) -> ProductSample:
    """Record the test result; a failure raises a major nonconformity in the same transaction (SV-02, SV-04)."""
    sample = get_visible(ProductSample, actor, pk, for_update=True)
    if not test_report.strip():
        raise ValidationFailed(errors={"test_report": [_("Summarise the test and its result.")]})
    for tool in sample.equipment.all():
        equipment_usable(tool)
    sample.test_report = test_report.strip()
    sample.tested_on = timezone.now().date()
    transition(sample, "record_pass" if passed else "record_fail", actor=actor, reason=reason)
    if not passed:
        nonconformity_raise(
            actor=actor,
            sample=sample,
            grade=Grade.MAJOR,
            requirement=_("Product specification (sample %(sample)s)") % {"sample": sample},
            description=reason or sample.test_report,
        )
    return sample


# --- complaints (SV-03) ------------------------------------------------------------------------------------


@service
def complaint_record(
    *, actor: Principal, certificate: Certificate | int, kind: str, received_on: date, source: str, description: str
) -> Complaint:
    """Record a complaint or field failure; the next audit of the manufacturer reviews it."""
    cert = _certificate(actor, certificate)
    _require(actor, cert.certification_body_id, roles=CB_STAFF)
    if received_on > timezone.now().date():
        raise ValidationFailed(errors={"received_on": [_("This date is in the future.")]})
    if not description.strip():
        raise ValidationFailed(errors={"description": [_("Describe the complaint.")]})
    complaint = Complaint.objects.create(
        certification_body_id=cert.certification_body_id,
        manufacturer_id=cert.manufacturer_id,
        certificate=cert,
        kind=kind,
        received_on=received_on,
        source=source.strip()[:200],
        description=description.strip(),
        recorded_by_label=actor.label,
    )
    return record_created(complaint, actor=actor)


# --- process change notifications (SV-05) ---------------------------------------------------------------------


@service
def pcn_submit(
    *, actor: Principal, certificate: Certificate | int, title: str, description: str, planned_on: date
) -> ProcessChangeNotification:
    """The manufacturer notifies a change affecting a certificate, online."""
    cert = _certificate(actor, certificate)
    if not (actor.is_manufacturer and actor.manufacturer_id == cert.manufacturer_id and actor.has_role(*MF_APPLICANTS)):
        raise Forbidden(_("The certificate holder notifies its changes."))
    if cert.state in (CertificateState.WITHDRAWN, CertificateState.EXPIRED):
        raise ValidationFailed(errors={"certificate": [_("This certificate is no longer in force.")]})
    if not title.strip() or not description.strip():
        raise ValidationFailed(errors={"description": [_("Say what changes, where and why.")]})
    pcn = ProcessChangeNotification.objects.create(
        certification_body_id=cert.certification_body_id,
        manufacturer_id=cert.manufacturer_id,
        certificate=cert,
        title=title.strip()[:200],
        description=description.strip(),
        planned_on=planned_on,
        submitted_by_label=actor.label,
    )
    return record_created(pcn, actor=actor)


@service
def pcn_document_upload(*, actor: Principal, pcn: ProcessChangeNotification | int, title: str, file) -> PCNDocument:
    """Attach evidence to a PCN (same checks as application evidence)."""
    pcn = get_visible(ProcessChangeNotification, actor, getattr(pcn, "pk", pcn), for_update=True)
    if not (
        (actor.is_manufacturer and actor.manufacturer_id == pcn.manufacturer_id)
        or (actor.is_cb and actor.certification_body_id == pcn.certification_body_id)
    ):
        raise Forbidden(_("Only the manufacturer and its CB add documents."))
    if pcn.state == PCNState.CLOSED:
        raise ValidationFailed(errors={"file": [_("This PCN is closed.")]})
    checked = check_upload(file)
    document = PCNDocument(
        pcn=pcn,
        title=(title.strip() or checked.original_name)[:200],
        storage_name=checked.storage_name,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by_label=actor.label,
    )
    document.file.save(checked.storage_name, file, save=False)
    document.save()
    return document


@service
def pcn_classify(*, actor: Principal, pk: object, impact: str, reason: str) -> ProcessChangeNotification:
    """The CB classifies the impact and the certificate follows in the same transaction (SV-05):
    no impact closes the PCN; needs assessment plans a special audit; a scope change waits for the CB to
    change the scope; suspends-pending-assessment suspends the certificate and plans a special audit."""
    pcn = get_visible(ProcessChangeNotification, actor, pk, for_update=True)
    if impact not in PCNImpact.values:
        raise ValidationFailed(errors={"impact": [_("Choose the impact.")]})
    pcn.impact = impact
    transition(pcn, "classify", actor=actor, reason=reason)
    if impact == PCNImpact.NO_IMPACT:
        transition(pcn, "close", actor=actor, reason=reason)
    if impact in (PCNImpact.NEEDS_ASSESSMENT, PCNImpact.SUSPENDS_PENDING_ASSESSMENT):
        pcn.special_audit = audit_plan(
            actor=actor,
            certificate=pcn.certificate_id,
            kind=AuditKind.SPECIAL,
            due_on=timezone.now().date() + timedelta(days=30),
            trigger=SpecialAuditTrigger.PCN,
            trigger_reference=str(pcn),
        )
    if impact == PCNImpact.SUSPENDS_PENDING_ASSESSMENT:
        certificate_transition(
            actor=actor,
            pk=pcn.certificate_id,
            name="suspend",
            reason=_("Suspended pending the assessment of %(pcn)s: %(reason)s") % {"pcn": pcn, "reason": reason},
        )
        pcn.suspended_certificate = True
    pcn.save()
    return pcn


@service
def pcn_close(*, actor: Principal, pk: object, reason: str, reinstate: bool = False) -> ProcessChangeNotification:
    """Close the assessment; a certificate suspended pending it is reinstated only if the CB says so."""
    pcn = get_visible(ProcessChangeNotification, actor, pk, for_update=True)
    transition(pcn, "close", actor=actor, reason=reason)
    if reinstate:
        if not pcn.suspended_certificate:
            raise ValidationFailed(errors={"reinstate": [_("This PCN did not suspend the certificate.")]})
        certificate_transition(
            actor=actor,
            pk=pcn.certificate_id,
            name="reinstate",
            reason=_("Assessment of %(pcn)s closed: %(reason)s") % {"pcn": pcn, "reason": reason},
        )
    return pcn
