"""Auditors, their training and competence, and declarations of interests (CB-03, CB-04)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from iecq.dates import add_months
from iecq.errors import Forbidden, ValidationFailed
from iecq.principals import Principal
from iecq.selectors import get_visible
from iecq.tenancy import service
from manufacturers.models import Manufacturer

from ..models import Auditor, AuditorCompetence, AuditorTraining, CertificationBody, IndependenceDeclaration, Technology
from .common import apply_changes, is_cb_manager, not_in_future, require_cb_manager_or_operator

AUDITOR_FIELDS = ("name", "email", "qualified_until", "audits_performed", "experience", "is_active")


def _cb_for(actor: Principal, certification_body: CertificationBody | int | None) -> CertificationBody:
    """The CB a record is for: the actor's own unless the operator names one."""
    cb_id = getattr(certification_body, "pk", certification_body) or actor.certification_body_id
    if cb_id is None:
        raise ValidationFailed(errors={"certification_body": [_("Name the certification body.")]})
    cb = get_visible(CertificationBody, actor, cb_id)
    require_cb_manager_or_operator(actor, cb.pk)
    return cb


@service
def auditor_create(
    *,
    actor: Principal,
    name: str,
    email: str,
    qualified_until: date,
    audits_performed: int = 0,
    experience: str = "",
    certification_body: CertificationBody | int | None = None,
    user=None,
) -> Auditor:
    """Register an auditor of a CB: its administrator or certification manager."""
    cb = _cb_for(actor, certification_body)
    if Auditor._base_manager.filter(certification_body=cb, email__iexact=email).exists():
        raise ValidationFailed(errors={"email": [_("This CB already has an auditor with this email.")]})
    return Auditor.objects.create(
        certification_body=cb,
        name=name.strip(),
        email=email,
        qualified_until=qualified_until,
        audits_performed=audits_performed,
        experience=experience,
        user=user,
    )


@service
def auditor_update(*, actor: Principal, pk: object, **changes) -> Auditor:
    """Renew a qualification, add experience, or deactivate an auditor."""
    auditor = get_visible(Auditor, actor, pk, for_update=True)
    require_cb_manager_or_operator(actor, auditor.certification_body_id)
    apply_changes(auditor, changes, AUDITOR_FIELDS)
    if (
        "email" in changes
        and Auditor._base_manager.filter(
            certification_body_id=auditor.certification_body_id, email__iexact=auditor.email
        )
        .exclude(pk=auditor.pk)
        .exists()
    ):
        raise ValidationFailed(errors={"email": [_("This CB already has an auditor with this email.")]})
    auditor.save()
    return auditor


@service
def training_record(
    *, actor: Principal, auditor: Auditor | int, course: str, completed_on: date, hours: Decimal, provider: str = ""
) -> AuditorTraining:
    """Document a training course an auditor completed (CB-04)."""
    auditor = get_visible(Auditor, actor, getattr(auditor, "pk", auditor))
    require_cb_manager_or_operator(actor, auditor.certification_body_id)
    not_in_future("completed_on", completed_on)
    if hours <= 0:
        raise ValidationFailed(errors={"hours": [_("A course lasts some hours.")]})
    return AuditorTraining.objects.create(
        auditor=auditor, course=course.strip(), provider=provider, completed_on=completed_on, hours=hours
    )


@service
def competence_grant(
    *, actor: Principal, auditor: Auditor | int, technology: Technology | int, since: date, evidence: str = ""
) -> AuditorCompetence:
    """Recognise an auditor's competence in a technology the CB is approved for (CB-02, CB-04)."""
    auditor = get_visible(Auditor, actor, getattr(auditor, "pk", auditor))
    require_cb_manager_or_operator(actor, auditor.certification_body_id)
    technology_id = getattr(technology, "pk", technology)
    if not auditor.certification_body.technologies.filter(pk=technology_id).exists():
        raise ValidationFailed(errors={"technology": [_("This technology is outside the CB's scope.")]})
    if AuditorCompetence._base_manager.filter(auditor=auditor, technology_id=technology_id).exists():
        raise ValidationFailed(errors={"technology": [_("This competence is already recorded.")]})
    return AuditorCompetence.objects.create(
        auditor=auditor, technology_id=technology_id, since=since, evidence=evidence
    )


@service
def declaration_sign(
    *,
    actor: Principal,
    signed_on: date,
    interests: str = "",
    conflicted_manufacturers=(),
    no_conflicts: bool = False,
    auditor: Auditor | int | None = None,
    declarant_name: str = "",
) -> IndependenceDeclaration:
    """Record a declaration of interests (CB-03).

    An auditor with a portal account signs their own; the CB's administrator or certification
    manager records one on an auditor's or staff member's behalf (a signed paper declaration).
    """
    if not actor.is_cb:
        raise Forbidden(_("Declarations of interests are made by CB staff and auditors."))
    auditor_obj = get_visible(Auditor, actor, getattr(auditor, "pk", auditor)) if auditor is not None else None
    if auditor_obj is not None:  # for an auditor: the auditor themselves, or the CB's managers
        signs_own = auditor_obj.user_id is not None and auditor_obj.user_id == actor.user_id
        if not (signs_own or is_cb_manager(actor, auditor_obj.certification_body_id)):
            raise Forbidden(_("Only the auditor or the CB's managers record this auditor's declaration."))
        declarant_name = auditor_obj.name
    elif declarant_name.strip():  # a staff member's paper declaration, recorded by a manager
        signs_own = False
        if not is_cb_manager(actor, actor.certification_body_id):
            raise Forbidden(_("Only the CB's managers record declarations on someone else's behalf."))
    else:  # the signed-in staff member's own declaration
        signs_own = True
        declarant_name = actor.label
    not_in_future("signed_on", signed_on)
    manufacturers = list(conflicted_manufacturers)
    if no_conflicts and manufacturers:
        raise ValidationFailed(errors={"no_conflicts": [_("Either declare no conflict or list the conflicts.")]})
    if not no_conflicts and not manufacturers and not interests.strip():
        raise ValidationFailed(errors={"interests": [_("Declare your interests, or that you have no conflict.")]})
    visible_ids = set(
        Manufacturer._default_manager.visible_to(actor)
        .filter(pk__in=[getattr(m, "pk", m) for m in manufacturers])
        .values_list("pk", flat=True)
    )
    if len(visible_ids) != len({getattr(m, "pk", m) for m in manufacturers}):
        raise ValidationFailed(errors={"conflicted_manufacturers": [_("Unknown manufacturer.")]})
    declaration = IndependenceDeclaration.objects.create(
        certification_body_id=actor.certification_body_id,
        declarant_name=declarant_name.strip(),
        declarant_user_id=actor.user_id if signs_own else None,
        auditor=auditor_obj,
        signed_on=signed_on,
        valid_until=add_months(signed_on, settings.IECQ_DECLARATION_VALID_MONTHS),
        interests=interests.strip(),
        no_conflicts=no_conflicts,
    )
    declaration.conflicted_manufacturers.set(visible_ids)
    return declaration
