"""Writes of sanctions (SA-01 … SA-06). Each runs in one transaction inside the actor's scope; a decision
and its effect (a suspension, its bulletin notice, a reversal on appeal) are one transaction."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bodies.models import CertificationBody, SupervisoryBody
from certification.choices import CertificateState
from certification.models import CB_DECIDERS, CB_STAFF, MF_APPLICANTS, Application, Certificate
from certification.services import certificate_transition
from iecq.errors import Forbidden, ValidationFailed
from iecq.integrations.events import record_created
from iecq.models import TransitionLog
from iecq.notify import CB_MANAGERS, notify, people
from iecq.principals import Principal, system_principal
from iecq.selectors import get_visible, visible
from iecq.tenancy import scope, service
from iecq.transitions import appeal_reversal, declared_transitions, transition
from surveillance.models import Nonconformity, ProcessChangeNotification, SurveillanceAudit

from .bulletin import notice_publish
from .choices import AppealState, CARState, DefectOutcome, NoticeKind, RequestState
from .models import Appeal, BulletinNotice, CertificateSuspensionRequest, CorrectiveActionRequest, DefectReport


def _require_decider(actor: Principal, certification_body_id: int | None) -> None:
    if not (actor.is_cb and actor.certification_body_id == certification_body_id and actor.has_role(*CB_DECIDERS)):
        raise Forbidden(_("Only the certification body's certification manager or administrator may do this."))


# --- corrective action requests (SA-01, SA-06) -------------------------------------------------------------


def _car_number(car: CorrectiveActionRequest) -> str:
    """Derived from the row's id, so two CARs issued at the same moment never collide (a count would)."""
    return f"CAR-{car.certification_body_id:03d}-{car.created_at:%Y}-{car.pk:06d}"


@service
def car_issue(
    *,
    actor: Principal,
    request: str,
    certificate: Certificate | int | None = None,
    nonconformity: Nonconformity | int | None = None,
    due_on: date | None = None,
) -> CorrectiveActionRequest:
    """Issue a CAR about a certificate or a nonconformity, answerable online by the manufacturer (SA-01)."""
    nc = get_visible(Nonconformity, actor, getattr(nonconformity, "pk", nonconformity)) if nonconformity else None
    cert_id = getattr(certificate, "pk", certificate) or (nc.certificate_id if nc else None)
    if cert_id is None:
        raise ValidationFailed(errors={"certificate": [_("Name the certificate or the nonconformity.")]})
    cert = get_visible(Certificate, actor, cert_id)
    _require_decider(actor, cert.certification_body_id)
    if not request.strip():
        raise ValidationFailed(errors={"request": [_("Say what must be corrected.")]})
    due_on = due_on or timezone.now().date() + timedelta(days=settings.IECQ_CAR_DAYS)
    if due_on <= timezone.now().date():
        raise ValidationFailed(errors={"due_on": [_("The due date must be in the future.")]})
    car = CorrectiveActionRequest.objects.create(
        certification_body_id=cert.certification_body_id,
        manufacturer_id=cert.manufacturer_id,
        certificate=cert,
        nonconformity=nc,
        number=f"pending-{uuid.uuid4().hex[:22]}",  # replaced from the id just below
        request=request.strip(),
        due_on=due_on,
        issued_by_label=actor.label,
    )
    car.number = _car_number(car)
    car.save(update_fields=["number"])
    notify(
        people(manufacturer_id=cert.manufacturer_id, roles=("mf_admin", "mf_quality_manager")),
        title=_("Corrective action request %(number)s, due %(day)s")
        % {"number": car.number, "day": due_on.isoformat()},
        body=car.request,
        url=f"/sanctions/cars/{car.pk}/",
    )
    return record_created(car, actor=actor)


@service
def car_respond(*, actor: Principal, pk: object, response: str) -> CorrectiveActionRequest:
    """The manufacturer answers a CAR online (also late, after it escalated)."""
    car = get_visible(CorrectiveActionRequest, actor, pk, for_update=True)
    if not (actor.is_manufacturer and actor.manufacturer_id == car.manufacturer_id and actor.has_role(*MF_APPLICANTS)):
        raise Forbidden(_("The manufacturer answers its corrective action requests."))
    if not response.strip():
        raise ValidationFailed(errors={"response": [_("Describe the correction and the evidence.")]})
    car.response = response.strip()
    transition(
        car,
        "respond_late" if car.state == CARState.ESCALATED else "respond",
        actor=actor,
        reason=_("Response submitted."),
    )
    return car


@service
def car_transition(*, actor: Principal, pk: object, name: str, reason: str = "") -> CorrectiveActionRequest:
    car = get_visible(CorrectiveActionRequest, actor, pk, for_update=True)
    transition(car, name, actor=actor, reason=reason)
    return car


CAR_TRANSITION_SERVICES = {name: partial(car_transition, name=name) for name in ("accept", "send_back")}


@service
def cars_escalate_overdue(*, actor: Principal, today: date | None = None) -> list[CorrectiveActionRequest]:
    """For the sweep: an unanswered CAR past its date proposes a suspension to the certification manager."""
    if not actor.is_system:
        raise Forbidden(_("Escalating overdue CARs is the scheduler's work."))
    today = today or timezone.now().date()
    escalated = []
    for car in (
        visible(CorrectiveActionRequest, actor)
        .filter(state=CARState.ISSUED, due_on__lt=today)
        .select_for_update(skip_locked=True)
    ):
        transition(
            car,
            "escalate",
            actor=actor,
            reason=_("SA-01: no response by %(day)s; suspension of %(certificate)s proposed.")
            % {"day": car.due_on.isoformat(), "certificate": car.certificate},
        )
        notify(
            people(certification_body_id=car.certification_body_id, roles=CB_MANAGERS),
            title=_("Suspension proposed: %(car)s is overdue") % {"car": car.number},
            body=_("%(manufacturer)s did not answer %(car)s by %(day)s. Decide whether to suspend %(cert)s.")
            % {
                "manufacturer": car.manufacturer,
                "car": car.number,
                "day": car.due_on.isoformat(),
                "cert": car.certificate,
            },
            url=f"/certification/certificates/{car.certificate_id}/",
        )
        escalated.append(car)
    return escalated


@service
def pcn_found_at_audit(
    *, actor: Principal, audit: SurveillanceAudit | int, title: str, description: str
) -> CorrectiveActionRequest:
    """SA-06: a change found at audit that was never notified is recorded as a PCN and answered by a CAR."""
    audit = get_visible(SurveillanceAudit, actor, getattr(audit, "pk", audit))
    if not (actor.is_cb and actor.certification_body_id == audit.certification_body_id and actor.has_role(*CB_STAFF)):
        raise Forbidden(_("The audit team records what it found."))
    if audit.certificate_id is None:
        raise ValidationFailed(errors={"audit": [_("This audit concerns no certificate.")]})
    pcn = ProcessChangeNotification.objects.create(
        certification_body_id=audit.certification_body_id,
        manufacturer_id=audit.manufacturer_id,
        certificate_id=audit.certificate_id,
        title=title.strip()[:200],
        description=description.strip(),
        planned_on=timezone.now().date(),
        submitted_by_label=actor.label,
        found_at_audit=True,
    )
    record_created(pcn, actor=actor)
    request = _(
        "SA-06: the change “%(title)s” found at the audit of %(day)s was never notified. Notify it, "
        "assess its effect on the certified products and show how future changes will be notified."
    ) % {"title": pcn.title, "day": (audit.scheduled_for or audit.due_on).isoformat()}
    car = car_issue(actor=_decider_or_system(actor, audit), request=request, certificate=audit.certificate_id)
    car.pcn = pcn
    car.save(update_fields=["pcn"])
    return car


def _decider_or_system(actor: Principal, audit: SurveillanceAudit) -> Principal:
    """An auditor records the finding; the CAR it calls for is issued in the CB's name."""
    if actor.has_role(*CB_DECIDERS):
        return actor
    return Principal(
        kind=actor.kind,
        label=actor.label,
        user_id=actor.user_id,
        organisation_id=actor.organisation_id,
        role="cb_certification_manager",
        certification_body_id=actor.certification_body_id,
    )


# --- supervisory requests to suspend a certificate (SA-02) --------------------------------------------------


@service
def certificate_suspension_request_create(
    *, actor: Principal, certificate: Certificate | int, reason: str
) -> CertificateSuspensionRequest:
    """The supervisory body of the certificate's country asks its CB to suspend it."""
    cert = get_visible(Certificate, actor, getattr(certificate, "pk", certificate))
    if not actor.is_supervisor:
        raise Forbidden(_("Only a supervisory body requests a suspension."))
    body = SupervisoryBody.objects.filter(country=actor.country).first()
    if body is None:
        raise Forbidden(_("Your supervisory body is not active."))
    if cert.state != CertificateState.VALID:
        raise ValidationFailed(errors={"certificate": [_("Only a valid certificate can be suspended.")]})
    if not reason.strip():
        raise ValidationFailed(errors={"reason": [_("Say why the certificate should be suspended.")]})
    if CertificateSuspensionRequest._base_manager.filter(certificate=cert, state=RequestState.OPEN).exists():
        raise ValidationFailed(errors={"certificate": [_("A request to suspend this certificate is already open.")]})
    request = CertificateSuspensionRequest.objects.create(
        certification_body_id=cert.certification_body_id,
        manufacturer_id=cert.manufacturer_id,
        certificate=cert,
        supervisory_body=body,
        reason=reason.strip(),
        requested_by_label=actor.label,
    )
    notify(
        people(certification_body_id=cert.certification_body_id, roles=CB_MANAGERS),
        title=_("%(body)s asks you to suspend %(cert)s") % {"body": body, "cert": cert.number},
        body=request.reason,
        url=f"/sanctions/suspension-requests/{request.pk}/",
    )
    return record_created(request, actor=actor)


@service
def certificate_suspension_request_transition(
    *, actor: Principal, pk: object, name: str, reason: str = ""
) -> CertificateSuspensionRequest:
    """The CB decides: accepting suspends the certificate (and publishes it) in the same transaction."""
    request = get_visible(CertificateSuspensionRequest, actor, pk, for_update=True)
    transition(request, name, actor=actor, reason=reason)
    if name == "accept":
        certificate_transition(
            actor=actor,
            pk=request.certificate_id,
            name="suspend",
            reason=_("At the request of %(body)s: %(reason)s") % {"body": request.supervisory_body, "reason": reason},
        )
    return request


SUSPENSION_REQUEST_TRANSITION_SERVICES = {
    name: partial(certificate_suspension_request_transition, name=name)
    for name in declared_transitions(CertificateSuspensionRequest)
}


# --- appeals (SA-04) ------------------------------------------------------------------------------------------

# Decisions that can be appealed here, and the transition that reverses each when the appeal is upheld.
REVERSALS = {
    ("certification", "certificate", "suspend"): "reinstate",
    ("certification", "certificate", "withdraw"): "restore_on_appeal",
    ("certification", "application", "reject"): "reopen_on_appeal",
    ("certification", "application", "refuse_qms"): None,  # upheld: recorded; the assessment goes on
    # Upheld, these are recorded and the CB takes the corrected decision itself (no automatic reversal).
    ("sanctions", "correctiveactionrequest", "send_back"): None,
    ("surveillance", "nonconformity", "reject_action"): None,
    ("surveillance", "processchangenotification", "classify"): None,
    ("bodies", "certificationbody", "suspend"): "reinstate",
    ("bodies", "certificationbody", "lapse"): "reinstate",
    ("bodies", "certificationbody", "withdraw"): "restore_on_appeal",
}


@service
def appeal_lodge(*, actor: Principal, decision: TransitionLog | int, grounds: str) -> Appeal:
    """The manufacturer concerned lodges an appeal against a decision, within the appeal period."""
    log = get_visible(TransitionLog, actor, getattr(decision, "pk", decision))
    key = (log.content_type.app_label, log.content_type.model, log.transition)
    if key not in REVERSALS:
        raise ValidationFailed(errors={"decision": [_("This decision cannot be appealed here.")]})
    cb_decision = log.content_type.model == "certificationbody"
    if cb_decision:
        if not (
            actor.is_cb and actor.certification_body_id == log.certification_body_id and actor.has_role("cb_admin")
        ):
            raise Forbidden(_("Only the certification body's administrator appeals a decision about it."))
    elif not (
        actor.is_manufacturer and actor.manufacturer_id == log.manufacturer_id and actor.has_role(*MF_APPLICANTS)
    ):
        raise Forbidden(_("Only the manufacturer concerned appeals a decision."))
    deadline = log.at.date() + timedelta(days=settings.IECQ_APPEAL_DAYS)
    if timezone.now().date() > deadline:
        raise ValidationFailed(
            errors={"decision": [_("The appeal period ended on %(day)s.") % {"day": deadline.isoformat()}]}
        )
    if not grounds.strip():
        raise ValidationFailed(errors={"grounds": [_("Say why the decision is wrong.")]})
    if Appeal._base_manager.filter(decision=log).exclude(state=AppealState.DISMISSED).exists():
        raise ValidationFailed(errors={"decision": [_("This decision is already under appeal.")]})
    appeal = Appeal.objects.create(
        certification_body_id=log.certification_body_id,
        manufacturer_id=log.manufacturer_id,
        decision=log,
        grounds=grounds.strip(),
        lodged_by_label=actor.label,
        response_due_on=timezone.now().date() + timedelta(days=settings.IECQ_APPEAL_RESPONSE_DAYS),
    )
    notify(
        people(operator=True)
        if cb_decision
        else people(certification_body_id=log.certification_body_id, roles=CB_MANAGERS),
        title=_("Appeal against “%(decision)s” on %(record)s")
        % {"decision": log.transition, "record": log.object_repr},
        body=appeal.grounds,
        url=f"/sanctions/appeals/{appeal.pk}/",
    )
    return record_created(appeal, actor=actor)


def _involved(appeal: Appeal, actor: Principal) -> str | None:
    """Why `actor` is involved in the appealed decision, or None (SA-04)."""
    decision = appeal.decision
    if actor.user_id is None:
        return _("An appeal is decided by a named person, not by an API token.")
    if decision.actor_user_id == actor.user_id:
        return _("You took the decision under appeal; another person must decide the appeal.")
    model = decision.content_type.model_class()
    record = model._base_manager.filter(pk=decision.object_id).first()
    application = record if isinstance(record, Application) else getattr(record, "application", None)
    if application is not None and application.evaluation_auditors.filter(auditor__user_id=actor.user_id).exists():
        return _("You audited the evaluation behind this decision; another person must decide the appeal.")
    return None


@service
def appeal_transition(*, actor: Principal, pk: object, name: str, reason: str = "") -> Appeal:
    """Acknowledge, uphold or dismiss; upholding reverses the decision through its transition and publishes it."""
    appeal = get_visible(Appeal, actor, pk, for_update=True)
    if name in ("uphold", "dismiss"):
        involved = _involved(appeal, actor)
        if involved:
            raise Forbidden(involved)
    transition(appeal, name, actor=actor, reason=reason)
    if name == "uphold":
        with appeal_reversal():
            _reverse_on_appeal(appeal, actor=actor, reason=reason)
    return appeal


def _reverse_on_appeal(appeal: Appeal, *, actor: Principal, reason: str) -> None:
    """The upheld appeal's reversal of the decision appealed against, through that record's own transition."""
    decision = appeal.decision
    key = (decision.content_type.app_label, decision.content_type.model, decision.transition)
    reversal = REVERSALS[key]
    why = _("Appeal upheld: %(reason)s") % {"reason": reason}
    if decision.content_type.model == "certificate" and reversal:
        cert = certificate_transition(actor=actor, pk=decision.object_id, name=reversal, reason=why)
        if reversal == "reinstate":  # a reinstatement notice was published; say it was on appeal
            notice_publish(kind=NoticeKind.APPEAL_UPHELD, reason=why, certificate=cert)
    elif decision.content_type.model == "certificationbody" and reversal:
        from bodies.services import certification_body_transition

        certification_body_transition(actor=actor, pk=decision.object_id, name=reversal, reason=why)
        cb = CertificationBody.objects.get(pk=decision.object_id)
        notice_publish(kind=NoticeKind.APPEAL_UPHELD, reason=why, certification_body=cb)
    elif decision.content_type.model == "application" and reversal:
        application_transition_on_appeal(actor=actor, pk=decision.object_id, name=reversal, reason=why)


def application_transition_on_appeal(*, actor: Principal, pk: int, name: str, reason: str) -> None:
    application = get_visible(Application, actor, pk, for_update=True)
    transition(application, name, actor=actor, reason=reason)


APPEAL_TRANSITION_SERVICES = {name: partial(appeal_transition, name=name) for name in declared_transitions(Appeal)}


# --- defect reports (SA-05) ---------------------------------------------------------------------------------


def defect_report_submit(
    *,
    reporter_kind: str,
    reporter_name: str,
    reporter_email: str,
    component: str,
    description: str,
    certificate_number: str = "",
) -> DefectReport:
    """Anybody reports a defect; a known certificate number routes it to that certificate's CB.

    Public: the rate limit lives in the view. Matching a number reads across tenants by design.
    """
    errors = {}
    if not reporter_name.strip():
        errors["reporter_name"] = [_("Tell us who you are.")]
    if not component.strip():
        errors["component"] = [_("Name the component (part number, lot).")]
    if len(description.strip()) < 10:
        errors["description"] = [_("Describe the defect in a sentence or two.")]
    if errors:
        raise ValidationFailed(errors=errors)
    with scope(system_principal("defect report routing")), transaction.atomic():
        cert = Certificate.objects.filter(number=certificate_number.strip()).first() if certificate_number else None
        report = DefectReport.objects.create(
            certification_body_id=cert.certification_body_id if cert else None,
            manufacturer_id=cert.manufacturer_id if cert else None,
            certificate=cert,
            reporter_kind=reporter_kind,
            reporter_name=reporter_name.strip()[:200],
            reporter_email=reporter_email.strip(),
            certificate_number=certificate_number.strip()[:40],
            component=component.strip()[:300],
            description=description.strip(),
        )
        recipients = (
            people(certification_body_id=cert.certification_body_id, roles=CB_MANAGERS)
            if cert
            else people(operator=True)
        )
        notify(
            recipients,
            title=_("Defect report: %(component)s") % {"component": report.component},
            body=report.description,
            url=f"/sanctions/defects/{report.pk}/",
        )
    return report


@service
def defect_transition(*, actor: Principal, pk: object, name: str, reason: str = "", outcome: str = "") -> DefectReport:
    """Investigate, or close with an outcome whose effect follows in the same transaction (SA-05)."""
    report = get_visible(DefectReport, actor, pk, for_update=True)
    if name == "close":
        if outcome not in DefectOutcome.values:
            raise ValidationFailed(errors={"outcome": [_("Choose the outcome.")]})
        if outcome != DefectOutcome.NO_ACTION and report.certificate_id is None:
            raise ValidationFailed(errors={"outcome": [_("No certificate is linked to this report.")]})
        report.outcome = outcome
    transition(report, name, actor=actor, reason=reason)
    if name == "close" and outcome == DefectOutcome.SPECIAL_AUDIT:
        from surveillance.services import audit_plan

        audit_plan(
            actor=actor,
            certificate=report.certificate_id,
            kind="special",
            trigger="defect",
            trigger_reference=str(report),
            due_on=timezone.now().date() + timedelta(days=30),
        )
    elif name == "close" and outcome == DefectOutcome.CAR:
        car = car_issue(
            actor=actor,
            certificate=report.certificate_id,
            request=_("Defect reported: %(component)s — %(description)s")
            % {"component": report.component, "description": report.description},
        )
        car.defect_report = report
        car.save(update_fields=["defect_report"])
    elif name == "close" and outcome == DefectOutcome.SANCTION:
        certificate_transition(
            actor=actor,
            pk=report.certificate_id,
            name="suspend",
            reason=_("Defect report: %(reason)s") % {"reason": reason},
        )
    return report


DEFECT_TRANSITION_SERVICES = {"investigate": partial(defect_transition, name="investigate")}


# --- bulletin corrections (SA-03) ------------------------------------------------------------------------------


@service
def notice_correct(*, actor: Principal, pk: object, reason: str) -> BulletinNotice:
    """A notice is never edited: a correction is a new notice that names the one it corrects."""
    original = get_visible(BulletinNotice, actor, pk)
    if not (
        actor.is_operator
        or (
            actor.is_cb
            and actor.certification_body_id == original.subject_certification_body_id
            and actor.has_role(*CB_DECIDERS)
        )
    ):
        raise Forbidden(_("Only the operator or the certification body concerned corrects a notice."))
    if not reason.strip():
        raise ValidationFailed(errors={"reason": [_("Say what was wrong and what is right.")]})
    return notice_publish(
        kind=NoticeKind.CORRECTION,
        reason=reason,
        certificate=original.certificate,
        certification_body=original.subject_certification_body,
        corrects=original,
    )
