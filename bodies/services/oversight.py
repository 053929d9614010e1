"""Supervisory bodies and oversight: CB assessments (CB-08, CB-09), findings, suspension requests."""

from __future__ import annotations

from datetime import date
from functools import partial

from django.conf import settings
from django.utils.translation import gettext as _

from iecq.dates import add_months, add_years
from iecq.errors import Forbidden, ValidationFailed
from iecq.principals import Principal
from iecq.selectors import get_visible
from iecq.tenancy import service
from iecq.transitions import declared_transitions, transition
from manufacturers.models import Manufacturer

from .. import tasks
from ..choices import CBAssessmentKind, CertificationBodyState, SupervisoryBodyState
from ..models import CBAssessment, CBSuspensionRequest, CertificationBody, OversightFinding, SupervisoryBody
from .common import require_operator


def _supervisor_of(actor: Principal, cb: CertificationBody) -> SupervisoryBody:
    """The actor's supervisory body, which must be active and responsible for the CB's country."""
    if not actor.is_supervisor or actor.country != cb.country.code:
        raise Forbidden(_("Only the supervisory body of the CB's country may do this."))
    body = SupervisoryBody.objects.filter(country=actor.country).first()
    if body is None or body.state != SupervisoryBodyState.ACTIVE:
        raise Forbidden(_("Your supervisory body is not active."))
    return body


@service
def supervisory_body_create(*, actor: Principal, name: str, country: str) -> SupervisoryBody:
    """Register the national supervisory body of a country (one per country)."""
    require_operator(actor)
    if SupervisoryBody._base_manager.filter(country=country).exists():
        raise ValidationFailed(errors={"country": [_("This country already has a supervisory body.")]})
    return SupervisoryBody.objects.create(name=name.strip(), country=country)


@service
def supervisory_body_transition(*, actor: Principal, pk: object, name: str, reason: str = "") -> SupervisoryBody:
    body = get_visible(SupervisoryBody, actor, pk, for_update=True)
    transition(body, name, actor=actor, reason=reason)
    return body


SUPERVISORY_BODY_TRANSITION_SERVICES = {
    name: partial(supervisory_body_transition, name=name) for name in declared_transitions(SupervisoryBody)
}


@service
def cb_assessment_plan(
    *,
    actor: Principal,
    certification_body: CertificationBody | int,
    kind: str,
    planned_on: date,
    lead_assessor: str,
    witnessed_manufacturer: Manufacturer | int | None = None,
) -> CBAssessment:
    """The operator plans an assessment of a CB; a witness audit names the client where it is witnessed."""
    require_operator(actor, _("CB assessments are planned by the system operator."))
    cb = get_visible(CertificationBody, actor, getattr(certification_body, "pk", certification_body))
    if kind not in CBAssessmentKind.values:
        raise ValidationFailed(errors={"kind": [_("Unknown kind of assessment.")]})
    if cb.state == CertificationBodyState.WITHDRAWN:
        raise ValidationFailed(errors={"certification_body": [_("This certification body has been withdrawn.")]})
    manufacturer_id = getattr(witnessed_manufacturer, "pk", witnessed_manufacturer)
    if kind == CBAssessmentKind.WITNESS_AUDIT and manufacturer_id is None:
        raise ValidationFailed(errors={"witnessed_manufacturer": [_("A witness audit takes place at a client.")]})
    if manufacturer_id is not None and not cb.engagements.filter(manufacturer_id=manufacturer_id).exists():
        raise ValidationFailed(errors={"witnessed_manufacturer": [_("This manufacturer is not a client of the CB.")]})
    return CBAssessment.objects.create(
        certification_body=cb,
        kind=kind,
        planned_on=planned_on,
        lead_assessor=lead_assessor.strip(),
        witnessed_manufacturer_id=manufacturer_id,
    )


@service
def cb_assessment_join(*, actor: Principal, pk: object) -> CBAssessment:
    """A supervisory body of the CB's country takes part in a planned assessment or witness audit."""
    assessment = get_visible(CBAssessment, actor, pk, for_update=True)
    body = _supervisor_of(actor, assessment.certification_body)
    if assessment.state != "planned":
        raise ValidationFailed(errors={"assessment": [_("Only a planned assessment can be joined.")]})
    assessment.supervisory_participants.add(body)
    return assessment


@service
def cb_assessment_transition(*, actor: Principal, pk: object, name: str, reason: str = "") -> CBAssessment:
    """Complete or cancel an assessment; completing moves the CB's deadlines (CB-08, CB-09)."""
    assessment = get_visible(CBAssessment, actor, pk, for_update=True)
    transition(assessment, name, actor=actor, reason=reason)
    if name == "complete":
        cb = get_visible(CertificationBody, actor, assessment.certification_body_id, for_update=True)
        done = assessment.completed_on
        if assessment.kind in (CBAssessmentKind.ANNUAL_SURVEILLANCE, CBAssessmentKind.REACCREDITATION):
            cb.next_surveillance_due = add_months(done, settings.IECQ_CB_SURVEILLANCE_MONTHS)
        if assessment.kind == CBAssessmentKind.REACCREDITATION:
            # Reassessed in time: the new period follows the old one; late: it starts now.
            base = cb.approval_valid_until if cb.approval_valid_until and cb.approval_valid_until >= done else done
            cb.approval_valid_until = add_years(base, settings.IECQ_CB_REACCREDITATION_YEARS)
        cb.save(update_fields=["next_surveillance_due", "approval_valid_until", "updated_at"])
    return assessment


ASSESSMENT_TRANSITION_SERVICES = {
    name: partial(cb_assessment_transition, name=name) for name in declared_transitions(CBAssessment)
}


@service
def finding_record(
    *,
    actor: Principal,
    certification_body: CertificationBody | int,
    severity: str,
    description: str,
    assessment: CBAssessment | int | None = None,
) -> OversightFinding:
    """The operator or the supervisory body of the CB's country records a finding about the CB."""
    cb = get_visible(CertificationBody, actor, getattr(certification_body, "pk", certification_body))
    body = None if actor.is_operator else _supervisor_of(actor, cb)
    assessment_id = getattr(assessment, "pk", assessment)
    if assessment_id is not None and not CBAssessment.objects.filter(pk=assessment_id, certification_body=cb).exists():
        raise ValidationFailed(errors={"assessment": [_("This assessment is not one of this CB's.")]})
    if not description.strip():
        raise ValidationFailed(errors={"description": [_("Describe the finding.")]})
    return OversightFinding.objects.create(
        certification_body=cb,
        assessment_id=assessment_id,
        supervisory_body=body,
        severity=severity,
        description=description.strip(),
        recorded_by_id=actor.user_id,
        recorded_by_label=actor.label,
    )


@service
def suspension_request_create(
    *, actor: Principal, certification_body: CertificationBody | int, reason: str
) -> CBSuspensionRequest:
    """A supervisory body asks the operator to suspend an approved CB of its country."""
    cb = get_visible(CertificationBody, actor, getattr(certification_body, "pk", certification_body))
    body = _supervisor_of(actor, cb)
    if cb.state != CertificationBodyState.APPROVED:
        raise ValidationFailed(errors={"certification_body": [_("Only an approved CB can be suspended.")]})
    if not reason.strip():
        raise ValidationFailed(errors={"reason": [_("Say why the CB should be suspended.")]})
    if CBSuspensionRequest._base_manager.filter(certification_body=cb, state="open").exists():
        raise ValidationFailed(errors={"certification_body": [_("A request to suspend this CB is already open.")]})
    return CBSuspensionRequest.objects.create(
        certification_body=cb, supervisory_body=body, reason=reason.strip(), requested_by_id=actor.user_id
    )


@service
def suspension_request_transition(*, actor: Principal, pk: object, name: str, reason: str = "") -> CBSuspensionRequest:
    """The operator accepts (the CB is suspended in the same transaction) or declines a request."""
    request = get_visible(CBSuspensionRequest, actor, pk, for_update=True)
    transition(request, name, actor=actor, reason=reason)
    if name == "accept":
        cb = get_visible(CertificationBody, actor, request.certification_body_id, for_update=True)
        log = transition(
            cb,
            "suspend",
            actor=actor,
            reason=_("At the request of %(body)s: %(reason)s") % {"body": request.supervisory_body, "reason": reason},
        )
        from sanctions.bulletin import publish_decision

        publish_decision(cb, log)
        tasks.certification_body_decision_notify.enqueue(log_id=log.pk, principal=actor)
    return request


SUSPENSION_REQUEST_TRANSITION_SERVICES = {
    name: partial(suspension_request_transition, name=name) for name in declared_transitions(CBSuspensionRequest)
}
