"""Test laboratories: equipment and calibration (CB-10), proficiency testing and its actions (CB-05)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from django.utils import timezone
from django.utils.translation import gettext as _

from iecq.dates import add_months
from iecq.errors import Forbidden, ValidationFailed
from iecq.principals import Principal
from iecq.selectors import get_visible
from iecq.tenancy import service
from iecq.transitions import declared_transitions, transition

from ..choices import ZScoreClass
from ..models import (
    CalibrationRecord,
    CertificationBody,
    Equipment,
    LabAction,
    ProficiencyResult,
    ProficiencyRound,
    TestLaboratory,
)
from ..models.laboratories import classify_z
from .common import apply_changes, is_cb_manager, not_in_future

LAB_ACTION_DAYS = 60


def _require_lab_manager(actor: Principal, laboratory: TestLaboratory) -> None:
    """A CB's own laboratory is managed by that CB; an independent one by the operator."""
    if laboratory.owner_id is None:
        if not actor.is_operator:
            raise Forbidden(_("Independent laboratories are managed by the system operator."))
    elif not (actor.is_operator or is_cb_manager(actor, laboratory.owner_id)):
        raise Forbidden(_("Only the owning CB's administrator or certification manager may do this."))


@service
def laboratory_create(
    *,
    actor: Principal,
    name: str,
    country: str,
    accreditation_reference: str = "",
    owner: CertificationBody | int | None = None,
) -> TestLaboratory:
    """Register a laboratory: CB staff register their CB's own; the operator an independent one (or any)."""
    owner_id = getattr(owner, "pk", owner)
    if actor.is_cb:
        owner_id = actor.certification_body_id
    lab = TestLaboratory(
        name=name.strip(), country=country, owner_id=owner_id, accreditation_reference=accreditation_reference
    )
    _require_lab_manager(actor, lab)
    if owner_id is not None:
        get_visible(CertificationBody, actor, owner_id)
    if TestLaboratory._base_manager.filter(name__iexact=lab.name, country=country).exists():
        raise ValidationFailed(errors={"name": [_("A laboratory with this name exists in this country.")]})
    lab.save()
    return lab


@service
def laboratory_update(*, actor: Principal, pk: object, **changes) -> TestLaboratory:
    lab = get_visible(TestLaboratory, actor, pk, for_update=True)
    _require_lab_manager(actor, lab)
    apply_changes(lab, changes, ("name", "accreditation_reference", "is_active"))
    if TestLaboratory._base_manager.filter(name__iexact=lab.name, country=lab.country).exclude(pk=lab.pk).exists():
        raise ValidationFailed(errors={"name": [_("A laboratory with this name exists in this country.")]})
    lab.save()
    return lab


@service
def equipment_create(
    *,
    actor: Principal,
    laboratory: TestLaboratory | int,
    name: str,
    asset_number: str,
    calibrated_on: date,
    certificate_reference: str,
    calibration_interval_months: int = 12,
) -> Equipment:
    """Add equipment with its current calibration; the due date follows from the interval (CB-10)."""
    lab = get_visible(TestLaboratory, actor, getattr(laboratory, "pk", laboratory), for_update=True)
    _require_lab_manager(actor, lab)
    if not 1 <= calibration_interval_months <= 120:
        raise ValidationFailed(errors={"calibration_interval_months": [_("Between 1 and 120 months.")]})
    not_in_future("calibrated_on", calibrated_on)
    if Equipment._base_manager.filter(laboratory=lab, asset_number__iexact=asset_number.strip()).exists():
        raise ValidationFailed(errors={"asset_number": [_("This laboratory already has this asset number.")]})
    due = add_months(calibrated_on, calibration_interval_months)
    equipment = Equipment.objects.create(
        laboratory=lab,
        name=name.strip(),
        asset_number=asset_number.strip(),
        calibration_interval_months=calibration_interval_months,
        last_calibrated_on=calibrated_on,
        calibration_due_on=due,
    )
    CalibrationRecord.objects.create(
        equipment=equipment,
        calibrated_on=calibrated_on,
        due_on=due,
        certificate_reference=certificate_reference,
        recorded_by_id=actor.user_id,
    )
    return equipment


@service
def calibration_record(
    *,
    actor: Principal,
    equipment: Equipment | int,
    calibrated_on: date,
    certificate_reference: str,
    due_on: date | None = None,
) -> CalibrationRecord:
    """Record a calibration; the equipment's due date moves to the next one (CB-10)."""
    equipment = get_visible(Equipment, actor, getattr(equipment, "pk", equipment), for_update=True)
    _require_lab_manager(actor, equipment.laboratory)
    not_in_future("calibrated_on", calibrated_on)
    if equipment.last_calibrated_on and calibrated_on < equipment.last_calibrated_on:
        raise ValidationFailed(errors={"calibrated_on": [_("A later calibration is already recorded.")]})
    due_on = due_on or add_months(calibrated_on, equipment.calibration_interval_months)
    if due_on <= calibrated_on:
        raise ValidationFailed(errors={"due_on": [_("The next calibration falls after this one.")]})
    record = CalibrationRecord.objects.create(
        equipment=equipment,
        calibrated_on=calibrated_on,
        due_on=due_on,
        certificate_reference=certificate_reference.strip(),
        recorded_by_id=actor.user_id,
    )
    equipment.last_calibrated_on = calibrated_on
    equipment.calibration_due_on = due_on
    equipment.save(update_fields=["last_calibrated_on", "calibration_due_on"])
    return record


def equipment_usable(equipment: Equipment, on: date | None = None) -> None:
    """Refuse overdue equipment in a new test record (CB-10); used by sample testing."""
    on = on or timezone.now().date()
    if equipment.calibration_overdue(on):
        raise ValidationFailed(
            _("This equipment's calibration is overdue."),
            code="calibration_overdue",
            errors={
                "equipment": [
                    _("CB-10: %(equipment)s was due for calibration on %(day)s.")
                    % {"equipment": equipment, "day": equipment.calibration_due_on.isoformat()}
                ]
            },
        )


@service
def proficiency_result_record(
    *,
    actor: Principal,
    round: ProficiencyRound | int,
    laboratory: TestLaboratory | int,
    measurand: str,
    z_score: Decimal,
) -> ProficiencyResult:
    """Record a laboratory's z-score in a round; an unsatisfactory one opens an action at once (CB-05)."""
    lab = get_visible(TestLaboratory, actor, getattr(laboratory, "pk", laboratory), for_update=True)
    _require_lab_manager(actor, lab)
    round_id = getattr(round, "pk", round)
    if not ProficiencyRound.objects.filter(pk=round_id).exists():
        raise ValidationFailed(errors={"round": [_("Unknown proficiency round.")]})
    if abs(z_score) > Decimal("1000"):
        raise ValidationFailed(errors={"z_score": [_("A z-score this large is a typing error.")]})
    if ProficiencyResult._base_manager.filter(
        round_id=round_id, laboratory=lab, measurand__iexact=measurand.strip()
    ).exists():
        raise ValidationFailed(errors={"measurand": [_("This result is already recorded.")]})
    result = ProficiencyResult.objects.create(
        round_id=round_id, laboratory=lab, measurand=measurand.strip(), z_score=z_score, recorded_by_id=actor.user_id
    )
    if classify_z(z_score) == ZScoreClass.UNSATISFACTORY:
        LabAction.objects.create(
            result=result,
            description=_(
                "Investigate the unsatisfactory result (z = %(z)s) for %(measurand)s, correct the cause "
                "and show the correction effective."
            )
            % {"z": z_score, "measurand": result.measurand},
            due_on=timezone.now().date() + timedelta(days=LAB_ACTION_DAYS),
        )
    return result


@service
def lab_action_transition(*, actor: Principal, pk: object, name: str, reason: str = "") -> LabAction:
    action = get_visible(LabAction, actor, pk, for_update=True)
    transition(action, name, actor=actor, reason=reason)
    return action


LAB_ACTION_TRANSITION_SERVICES = {
    name: partial(lab_action_transition, name=name) for name in declared_transitions(LabAction)
}
