"""Certification bodies: registration, master data and scope, accreditations, requirement assessments,
lifecycle decisions (CB-01, CB-02, CB-06, CB-07, CB-09)."""

from __future__ import annotations

from datetime import date
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from iecq.errors import Forbidden, ValidationFailed
from iecq.principals import Principal
from iecq.roles import Role
from iecq.selectors import get_visible
from iecq.tenancy import service
from iecq.transitions import declared_transitions, transition

from .. import selectors, tasks
from ..choices import CertificationBodyState, RequirementCategory
from ..models import Accreditation, AccreditationBody, CertificationBody, RequirementAssessment
from .common import apply_changes, not_in_future, require_cb_manager_or_operator, require_operator

CONTACT_FIELDS = ("name", "legal_name", "country", "website", "email")
SCOPE_FIELDS = ("technologies", "schemes")


def publish_decision(cb: CertificationBody, log) -> None:
    """SA-03: suspensions, withdrawals and reinstatements of approved CBs go to the bulletin."""
    from sanctions.bulletin import publish_decision as publish

    publish(cb, log)


def _check_unique(*, name: str, country: str, exclude_pk: int | None = None) -> None:
    qs = CertificationBody._base_manager.filter(name__iexact=name.strip(), country=country)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationFailed(errors={"name": [_("A certification body with this name exists in this country.")]})


@service
def certification_body_create(
    *,
    actor: Principal,
    name: str,
    country: str,
    legal_name: str = "",
    website: str = "",
    email: str = "",
    technologies=(),
    schemes=(),
) -> CertificationBody:
    """Register a CB's application to operate under IECQ; only the system operator records it."""
    require_operator(actor, _("Only the system operator registers certification bodies."))
    _check_unique(name=name, country=country)
    try:
        with transaction.atomic():
            cb = CertificationBody.objects.create(
                name=name.strip(), country=country, legal_name=legal_name, website=website, email=email
            )
    except IntegrityError:  # a concurrent registration of the same name won the race
        raise ValidationFailed(
            errors={"name": [_("A certification body with this name exists in this country.")]}
        ) from None
    cb.technologies.set(technologies)
    cb.schemes.set(schemes)
    return cb


@service
def certification_body_update(*, actor: Principal, pk: object, **changes) -> CertificationBody:
    """Change a CB's details (the operator, or the CB's own administrator); its scope only by the operator (CB-02)."""
    cb = selectors.certification_body_get(principal=actor, pk=pk, for_update=True)
    own_admin = actor.is_cb and actor.certification_body_id == cb.pk and actor.has_role(Role.CB_ADMIN)
    if not (actor.is_operator or own_admin):
        raise Forbidden(_("Only the operator or the CB's administrator may change its details."))
    if not actor.is_operator and set(changes) & set(SCOPE_FIELDS):
        raise Forbidden(_("Only the system operator changes a CB's scope."))
    apply_changes(cb, changes, CONTACT_FIELDS + SCOPE_FIELDS)
    if "name" in changes or "country" in changes:
        _check_unique(name=cb.name, country=cb.country, exclude_pk=cb.pk)
    cb.save()
    if "technologies" in changes:
        cb.technologies.set(changes["technologies"])
    if "schemes" in changes:
        cb.schemes.set(changes["schemes"])
    return cb


@service
def certification_body_transition(*, actor: Principal, pk: object, name: str, reason: str = "") -> CertificationBody:
    """Take a lifecycle decision on a CB (CB-07) and tell the CB's managers once it is committed."""
    cb = selectors.certification_body_get(principal=actor, pk=pk, for_update=True)
    log = transition(cb, name, actor=actor, reason=reason)
    publish_decision(cb, log)
    tasks.certification_body_decision_notify.enqueue(log_id=log.pk, principal=actor)
    return cb


CB_TRANSITION_SERVICES = {
    name: partial(certification_body_transition, name=name)
    for name, info in declared_transitions(CertificationBody).items()
    # lapse: only the sweep (certification_body_lapse_overdue); restore_on_appeal: only an upheld appeal
    if name not in ("lapse", "restore_on_appeal")
}


@service
def certification_body_lapse_overdue(*, actor: Principal, today: date | None = None) -> list[CertificationBody]:
    """Suspend every approved CB whose approval period has ended without reassessment (CB-09); for the sweep."""
    if not actor.is_system:
        raise Forbidden(_("Lapsing approvals is the scheduler's work."))
    today = today or timezone.now().date()
    lapsed = []
    due = selectors.certification_bodies_approval_ended(principal=actor, today=today)
    for cb in due.select_for_update(skip_locked=True):
        log = transition(
            cb,
            "lapse",
            actor=actor,
            reason=_("CB-09: the approval ended on %(day)s without a completed reassessment.")
            % {"day": cb.approval_valid_until.isoformat()},
        )
        publish_decision(cb, log)
        tasks.certification_body_decision_notify.enqueue(log_id=log.pk, principal=actor)
        lapsed.append(cb)
    return lapsed


# --- accreditations (CB-01) -----------------------------------------------------------------------


def _validate_accreditation(*, valid_from: date, valid_until: date) -> None:
    if valid_until < valid_from:
        raise ValidationFailed(errors={"valid_until": [_("The end date comes before the start date.")]})


@service
def accreditation_record(
    *,
    actor: Principal,
    certification_body: CertificationBody | int,
    accreditation_body: AccreditationBody | int,
    certificate_number: str,
    scope: str,
    valid_from: date,
    valid_until: date,
) -> Accreditation:
    """Record an accreditation certificate of a CB: its administrator or certification manager, or the operator."""
    cb_id = getattr(certification_body, "pk", certification_body)
    cb = selectors.certification_body_get(principal=actor, pk=cb_id, for_update=True)
    require_cb_manager_or_operator(actor, cb.pk)
    _validate_accreditation(valid_from=valid_from, valid_until=valid_until)
    body_id = getattr(accreditation_body, "pk", accreditation_body)
    if Accreditation._base_manager.filter(
        accreditation_body_id=body_id, certificate_number__iexact=certificate_number.strip()
    ).exists():
        raise ValidationFailed(
            errors={"certificate_number": [_("This accreditation body has already issued this certificate number.")]}
        )
    return Accreditation.objects.create(
        certification_body=cb,
        accreditation_body_id=body_id,
        certificate_number=certificate_number.strip(),
        scope=scope,
        valid_from=valid_from,
        valid_until=valid_until,
    )


@service
def accreditation_update(*, actor: Principal, pk: object, **changes) -> Accreditation:
    """Correct an accreditation's scope or dates, or record its withdrawal by the accreditation body."""
    accreditation = get_visible(Accreditation, actor, pk, for_update=True)
    require_cb_manager_or_operator(actor, accreditation.certification_body_id)
    apply_changes(accreditation, changes, ("scope", "valid_from", "valid_until", "withdrawn_on"))
    _validate_accreditation(valid_from=accreditation.valid_from, valid_until=accreditation.valid_until)
    accreditation.save()
    return accreditation


# --- requirement assessments (CB-06) --------------------------------------------------------------


@service
def requirement_assessment_record(
    *,
    actor: Principal,
    certification_body: CertificationBody | int,
    category: str,
    method: str,
    result: str,
    evidence: str,
    assessed_on: date,
    evidence_reference: str = "",
) -> RequirementAssessment:
    """Record the operator's assessment of one requirement category with its verification method and evidence."""
    require_operator(actor, _("Requirement categories are assessed by the system operator."))
    cb = selectors.certification_body_get(principal=actor, pk=getattr(certification_body, "pk", certification_body))
    if category not in RequirementCategory.values:
        raise ValidationFailed(errors={"category": [_("Unknown requirement category.")]})
    if method not in RequirementAssessment.methods_for(category):
        raise ValidationFailed(errors={"method": [_("This verification method does not apply to this category.")]})
    if not evidence.strip():
        raise ValidationFailed(errors={"evidence": [_("Say what was examined.")]})
    not_in_future("assessed_on", assessed_on)
    if cb.state == CertificationBodyState.WITHDRAWN:
        raise ValidationFailed(errors={"certification_body": [_("This certification body has been withdrawn.")]})
    return RequirementAssessment.objects.create(
        certification_body=cb,
        category=category,
        method=method,
        result=result,
        evidence=evidence.strip(),
        evidence_reference=evidence_reference,
        assessed_on=assessed_on,
        assessed_by_id=actor.user_id,
        assessed_by_label=actor.label,
    )
