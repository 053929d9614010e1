"""Certification bodies and their oversight (CB-01 … CB-10), through the services."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from bodies import services
from bodies.assignment import assignment_problems, ensure_assignable
from bodies.choices import REQUIREMENT_TABLE, AssessmentResult, ZScoreClass
from bodies.choices import CertificationBodyState as S
from bodies.deadlines import deadlines_due
from bodies.models import (
    AccreditationBody,
    Auditor,
    CBSuspensionRequest,
    CertificationBody,
    Equipment,
    LabAction,
    Technology,
)
from bodies.models.laboratories import classify_z
from bodies.services.laboratories import equipment_usable
from iecq.dates import add_months, add_years
from iecq.errors import Forbidden, IllegalTransition, NotFound, ValidationFailed
from iecq.models import TransitionLog
from iecq.principals import system_principal
from iecq.roles import Role
from iecq.tenancy import scope

from .factories import SYSTEM, qualify_for_approval

TODAY = date(2026, 3, 2)


def refreshed(model, pk):
    with scope(SYSTEM):
        return model.objects.get(pk=pk)


def approve(world, cb):
    _u, op = world.operator
    services.certification_body_transition(actor=op, pk=cb.pk, name="start_assessment")
    return services.certification_body_transition(actor=op, pk=cb.pk, name="approve")


# --- CB-01 / CB-06: approval conditions ------------------------------------------------------------


@pytest.mark.req("CB-01")
@pytest.mark.req("CB-06")
def test_approval_is_refused_with_every_reason_listed(world):
    _u, op = world.operator
    cb = world.a.cb  # side A has one verified category and an accreditation from UKAS
    with scope(SYSTEM):
        AccreditationBody.objects.filter(acronym="UKAS").update(iaf_mla_signatory=False)
    services.certification_body_transition(actor=op, pk=cb.pk, name="start_assessment")
    with pytest.raises(IllegalTransition) as refused:
        services.certification_body_transition(actor=op, pk=cb.pk, name="approve")
    reasons = refused.value.errors["conditions"]
    assert refused.value.code == "conditions_not_met"
    assert any(r.startswith("CB-01") for r in reasons)
    assert sum(r.startswith("CB-06") for r in reasons) == 4  # organizational is verified, four are missing
    assert refreshed(CertificationBody, cb.pk).state == S.UNDER_ASSESSMENT


@pytest.mark.req("CB-01")
def test_only_an_mla_signatory_for_product_certification_counts(world):
    cb = world.a.cb
    today = timezone.now().date()
    with scope(SYSTEM):
        assert cb.accreditation_in_force() is not None
        AccreditationBody.objects.filter(acronym="UKAS").update(iaf_mla_product_certification=False)
        assert cb.accreditation_in_force() is None
        AccreditationBody.objects.filter(acronym="UKAS").update(
            iaf_mla_product_certification=True, iaf_mla_until=today - timedelta(days=1)
        )
        assert cb.accreditation_in_force() is None


@pytest.mark.req("CB-01")
def test_a_lapsed_accreditation_blocks_new_certification_decisions(world):
    cb = refreshed(CertificationBody, world.public_cb.pk)  # approved in the fixture
    tech = Technology.objects.get(code="capacitors")
    with scope(SYSTEM):
        assert cb.may_certify(tech) == []
    with time_machine.travel(timezone.now() + timedelta(days=800)), scope(SYSTEM):
        reasons = cb.may_certify(tech)
    assert any("CB-01" in r for r in reasons)


@pytest.mark.req("CB-06")
def test_each_category_takes_only_its_own_verification_methods(world):
    _u, op = world.operator
    for category, (_criteria, methods) in REQUIREMENT_TABLE.items():
        wrong = next(m for c, (_x, ms) in REQUIREMENT_TABLE.items() if c != category for m in ms if m not in methods)
        with pytest.raises(ValidationFailed) as exc:
            services.requirement_assessment_record(
                actor=op,
                certification_body=world.a.cb,
                category=category,
                method=wrong,
                result="verified",
                evidence="x",
                assessed_on=timezone.now().date(),
            )
        assert "method" in exc.value.errors
    _u, cb_admin = world.a.users[Role.CB_ADMIN]
    with pytest.raises(Forbidden):
        services.requirement_assessment_record(
            actor=cb_admin,
            certification_body=world.a.cb,
            category="organizational",
            method="documentation_review",
            result="verified",
            evidence="self-assessed",
            assessed_on=timezone.now().date(),
        )


@pytest.mark.req("CB-06")
def test_a_later_not_verified_result_blocks_again(world):
    qualify_for_approval(world.a.cb, marker="x")
    with scope(SYSTEM):
        assert refreshed(CertificationBody, world.a.cb.pk).approval_blockers() == []
    _u, op = world.operator
    services.requirement_assessment_record(
        actor=op,
        certification_body=world.a.cb,
        category="quality_system",
        method="full_quality_system_audit",
        result=AssessmentResult.NOT_VERIFIED,
        evidence="internal audits missing",
        assessed_on=timezone.now().date(),
    )
    with scope(SYSTEM):
        assert refreshed(CertificationBody, world.a.cb.pk).approval_blockers() == [
            "CB-06: Quality system was not verified."
        ]


# --- CB-02: scope ------------------------------------------------------------------------------------


@pytest.mark.req("CB-02")
def test_competence_and_certification_stay_within_the_cb_scope(world):
    _u, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    with scope(SYSTEM):
        resistors = Technology.objects.create(code="resistors", name="Resistors")
    with pytest.raises(ValidationFailed):
        services.competence_grant(
            actor=manager, auditor=world.a.records[Auditor], technology=resistors, since=timezone.now().date()
        )
    with scope(SYSTEM):
        reasons = refreshed(CertificationBody, world.public_cb.pk).may_certify(resistors)
    assert reasons == ["CB-02: Resistors is outside its scope."]
    _u, cb_admin = world.a.users[Role.CB_ADMIN]
    with pytest.raises(Forbidden):
        services.certification_body_update(actor=cb_admin, pk=world.a.cb.pk, technologies=[resistors.pk])


# --- CB-03 / CB-04: who may audit -------------------------------------------------------------------


def check(world, auditor, on=None):
    with scope(SYSTEM):
        return assignment_problems(
            refreshed(Auditor, auditor.pk),
            certification_body_id=world.a.cb.pk,
            manufacturer_id=world.a.manufacturer.pk,
            technology=Technology.objects.get(code="capacitors"),
            on=on,
        )


@pytest.mark.req("CB-04")
def test_a_qualified_competent_auditor_can_be_assigned(world):
    assert check(world, world.a.records[Auditor]) == []


@pytest.mark.req("CB-04")
def test_expired_qualification_and_missing_competence_are_named(world):
    auditor = world.a.records[Auditor]
    later = timezone.now().date() + timedelta(days=400)
    problems = check(world, auditor, on=later)
    assert any("qualification expired" in p for p in problems)
    assert any("no declaration of interests in force" in p for p in problems)
    with scope(SYSTEM):
        auditor.competences.all().delete()
    assert any("is not competent in Capacitors" in p for p in check(world, auditor))


@pytest.mark.req("CB-03")
def test_a_declared_conflict_blocks_assignment_for_the_cooling_off_period(world):
    _u, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    auditor = world.a.records[Auditor]
    services.declaration_sign(
        actor=manager,
        auditor=auditor,
        signed_on=timezone.now().date(),
        interests="Former quality engineer there",
        conflicted_manufacturers=[world.a.manufacturer],
    )
    problems = check(world, auditor)
    assert any("declared a conflict of interest" in p for p in problems)
    with scope(SYSTEM), pytest.raises(ValidationFailed) as exc:
        ensure_assignable(
            refreshed(Auditor, auditor.pk),
            certification_body_id=world.a.cb.pk,
            manufacturer_id=world.a.manufacturer.pk,
            technology=None,
        )
    assert exc.value.code == "auditor_not_assignable"
    with time_machine.travel(timezone.now() + timedelta(days=365 * 2 + 30)):
        services.declaration_sign(actor=manager, auditor=auditor, signed_on=timezone.now().date(), no_conflicts=True)
        with scope(SYSTEM):
            Auditor.objects.filter(pk=auditor.pk).update(qualified_until=timezone.now().date() + timedelta(days=30))
        assert not any("conflict" in p for p in check(world, auditor))


@pytest.mark.req("CB-03")
def test_declarations_need_content_and_only_visible_manufacturers(world):
    _u, auditor_user_principal = world.a.users[Role.CB_AUDITOR]
    with pytest.raises(ValidationFailed):
        services.declaration_sign(actor=auditor_user_principal, signed_on=timezone.now().date())
    with pytest.raises(ValidationFailed) as exc:
        services.declaration_sign(
            actor=auditor_user_principal,
            signed_on=timezone.now().date(),
            conflicted_manufacturers=[world.b.manufacturer],
        )
    assert "conflicted_manufacturers" in exc.value.errors
    own = services.declaration_sign(actor=auditor_user_principal, signed_on=timezone.now().date(), no_conflicts=True)
    assert own.declarant_user_id == world.a.users[Role.CB_AUDITOR][0].pk
    with pytest.raises(Forbidden):  # an auditor cannot record a declaration for another auditor
        services.declaration_sign(
            actor=auditor_user_principal,
            auditor=world.a.records[Auditor],
            signed_on=timezone.now().date(),
            no_conflicts=True,
        )


# --- CB-05: proficiency testing ---------------------------------------------------------------------


@pytest.mark.req("CB-05")
@pytest.mark.parametrize(
    ("z", "expected"),
    [
        ("0", ZScoreClass.SATISFACTORY),
        ("2.000", ZScoreClass.SATISFACTORY),
        ("-2.001", ZScoreClass.QUESTIONABLE),
        ("2.999", ZScoreClass.QUESTIONABLE),
        ("3", ZScoreClass.UNSATISFACTORY),
        ("-4.2", ZScoreClass.UNSATISFACTORY),
    ],
)
def test_z_scores_are_classified_at_the_boundaries(z, expected):
    assert classify_z(Decimal(z)) == expected


@pytest.mark.req("CB-05")
def test_an_unsatisfactory_result_opens_an_action_closed_only_with_a_reason(world):
    from bodies.models import ProficiencyRound, TestLaboratory

    _u, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    lab = world.a.records[TestLaboratory]
    round_ = ProficiencyRound.objects.get(code="PT-2026-01")
    fine = services.proficiency_result_record(
        actor=manager, round=round_, laboratory=lab, measurand="ESR", z_score=Decimal("1.2")
    )
    bad = services.proficiency_result_record(
        actor=manager, round=round_, laboratory=lab, measurand="Leakage", z_score=Decimal("-3.4")
    )
    with scope(SYSTEM):
        assert not LabAction.objects.filter(result=fine).exists()
        action = LabAction.objects.get(result=bad)
    with pytest.raises(ValidationFailed):
        services.lab_action_transition(actor=manager, pk=action.pk, name="close", reason="")
    _u, clerk = world.a.users[Role.CB_CLERK]
    with pytest.raises(Forbidden):
        services.lab_action_transition(actor=clerk, pk=action.pk, name="close", reason="done")
    services.lab_action_transition(actor=manager, pk=action.pk, name="close", reason="Re-test z = 0.8")
    assert refreshed(LabAction, action.pk).state == "closed"
    assert (fine.owner_id, bad.owner_id) == (world.a.cb.pk, world.a.cb.pk)  # the laboratory's owner, copied
    with pytest.raises(ValidationFailed):  # the same result twice
        services.proficiency_result_record(
            actor=manager, round=round_, laboratory=lab, measurand="ESR", z_score=Decimal("0.1")
        )


# --- CB-08 / CB-09: surveillance and reaccreditation ------------------------------------------------


@pytest.mark.req("CB-09")
@pytest.mark.req("CB-08")
def test_approval_runs_for_the_configured_interval(world, settings):
    settings.IECQ_CB_REACCREDITATION_YEARS = 3
    with time_machine.travel(TODAY):
        qualify_for_approval(world.a.cb, marker="y")
        cb = approve(world, world.a.cb)
    assert cb.approved_on == TODAY
    assert cb.approval_valid_until == date(2029, 3, 2)
    assert cb.next_surveillance_due == date(2027, 3, 2)


@pytest.mark.req("CB-08")
def test_completing_the_annual_surveillance_moves_the_next_one(world):
    _u, op = world.operator
    with time_machine.travel(TODAY):
        qualify_for_approval(world.a.cb, marker="z")
        approve(world, world.a.cb)
    with time_machine.travel(date(2027, 2, 20)):
        visit = services.cb_assessment_plan(
            actor=op,
            certification_body=world.a.cb,
            kind="annual_surveillance",
            planned_on=date(2027, 2, 20),
            lead_assessor="I. Favre",
        )
        services.cb_assessment_transition(actor=op, pk=visit.pk, name="complete")
    assert refreshed(CertificationBody, world.a.cb.pk).next_surveillance_due == date(2028, 2, 20)


@pytest.mark.req("CB-09")
def test_reaccreditation_in_time_extends_from_the_old_end_and_a_missed_one_lapses(world):
    _u, op = world.operator
    with time_machine.travel(TODAY):
        qualify_for_approval(world.a.cb, marker="r")
        approve(world, world.a.cb)
    with time_machine.travel(date(2030, 11, 1)):
        re = services.cb_assessment_plan(
            actor=op,
            certification_body=world.a.cb,
            kind="reaccreditation",
            planned_on=date(2030, 11, 1),
            lead_assessor="I. Favre",
        )
        services.cb_assessment_transition(actor=op, pk=re.pk, name="complete")
    assert refreshed(CertificationBody, world.a.cb.pk).approval_valid_until == date(2036, 3, 2)

    public_until = refreshed(CertificationBody, world.public_cb.pk).approval_valid_until
    sweep = system_principal("deadline sweep")
    assert services.certification_body_lapse_overdue(actor=sweep, today=public_until) == []
    lapsed = services.certification_body_lapse_overdue(actor=sweep, today=public_until + timedelta(days=1))
    assert [cb.pk for cb in lapsed] == [world.public_cb.pk]
    assert refreshed(CertificationBody, world.public_cb.pk).state == S.SUSPENDED
    with scope(SYSTEM):
        log = TransitionLog.objects.get(object_id=world.public_cb.pk, transition="lapse")
    assert log.actor_label == "system: deadline sweep" and "CB-09" in log.reason
    _u, op = world.operator
    with pytest.raises(Forbidden):
        services.certification_body_lapse_overdue(actor=op)


@pytest.mark.req("CB-09")
def test_only_the_scheduler_can_lapse_an_approval(world):
    _u, op = world.operator
    assert "lapse" not in services.CB_TRANSITION_SERVICES
    with pytest.raises((Forbidden, IllegalTransition)):
        services.certification_body_transition(actor=op, pk=world.public_cb.pk, name="lapse", reason="x")


# --- CB-10: calibration -------------------------------------------------------------------------------


@pytest.mark.req("CB-10")
def test_overdue_equipment_is_flagged_and_refused_until_calibrated(world):
    _u, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    equipment = world.a.records[Equipment]
    later = timezone.now().date() + timedelta(days=400)
    with pytest.raises(ValidationFailed) as exc:
        equipment_usable(refreshed(Equipment, equipment.pk), on=later)
    assert exc.value.code == "calibration_overdue"
    with time_machine.travel(later):
        services.calibration_record(
            actor=manager, equipment=equipment, calibrated_on=later, certificate_reference="CAL-2027-7"
        )
        equipment_usable(refreshed(Equipment, equipment.pk))
    assert refreshed(Equipment, equipment.pk).calibration_due_on == add_months(later, 12)
    with pytest.raises(ValidationFailed):
        services.calibration_record(
            actor=manager, equipment=equipment, calibrated_on=timezone.now().date(), certificate_reference="older"
        )


@pytest.mark.req("CB-10")
@pytest.mark.req("CB-08")
def test_deadlines_are_derived_from_data(world):
    horizon = timezone.now().date() + timedelta(days=400)
    with scope(SYSTEM):
        kinds = {(d.kind, d.record.pk) for d in deadlines_due(until=horizon)}
        assert ("calibration", world.a.records[Equipment].pk) in kinds
        assert ("auditor_qualification", world.a.records[Auditor].pk) in kinds
        assert ("cb_annual_surveillance", world.public_cb.pk) in kinds
        assert not any(d.kind == "calibration" for d in deadlines_due(until=timezone.now().date()))


# --- supervisory bodies ---------------------------------------------------------------------------------


def test_supervisory_body_requests_a_suspension_and_the_operator_decides(world):
    _u, op = world.operator
    qualify_for_approval(world.a.cb, marker="s")
    approve(world, world.a.cb)
    _u, sb_gb = world.a.users[Role.SB_VIEWER]
    _u, sb_de = world.b.users[Role.SB_VIEWER]
    with pytest.raises(Forbidden):  # the CB is approved, so public, but not of Germany
        services.suspension_request_create(actor=sb_de, certification_body=world.a.cb, reason="not ours")
    with scope(SYSTEM):
        CBSuspensionRequest.objects.filter(certification_body=world.a.cb).update(state="declined")
    request = services.suspension_request_create(
        actor=sb_gb, certification_body=world.a.cb, reason="Witness audit showed unqualified auditors"
    )
    services.finding_record(
        actor=sb_gb,
        certification_body=world.a.cb,
        severity="major",
        description="Auditors without valid qualification used",
    )
    mail.outbox.clear()
    services.suspension_request_transition(actor=op, pk=request.pk, name="accept", reason="Confirmed")
    assert refreshed(CertificationBody, world.a.cb.pk).state == S.SUSPENDED
    with scope(SYSTEM):
        log = TransitionLog.objects.get(object_id=world.a.cb.pk, transition="suspend")
    assert "GB Supervisory Body" in log.reason
    with pytest.raises(NotFound):  # Germany's body cannot see the requests about a British CB
        services.suspension_request_transition(actor=sb_de, pk=request.pk, name="decline", reason="x")


def test_dates_survive_leap_days():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert add_years(date(2026, 3, 2), -2) == date(2024, 3, 2)


@pytest.mark.req("CB-05")
def test_a_result_is_seen_by_its_laboratorys_owner_only_and_the_migration_copied_the_owners(world):
    """A result carries its laboratory's owner (so a CB's results are read from the (owner, id) index); the
    other side's CB neither sees it nor its action, and no result anywhere has another owner than its lab's."""
    from django.db.models import F

    from bodies.models import ProficiencyResult, TestLaboratory
    from iecq.selectors import visible

    result = world.a.records[ProficiencyResult]
    assert visible(ProficiencyResult, world.a.users[Role.CB_ADMIN][1]).filter(pk=result.pk).exists()
    assert not visible(ProficiencyResult, world.b.users[Role.CB_ADMIN][1]).filter(pk=result.pk).exists()
    assert not visible(LabAction, world.b.users[Role.CB_ADMIN][1]).filter(result=result).exists()
    with scope(SYSTEM):
        assert ProficiencyResult.objects.filter(owner_id=F("laboratory__owner_id")).count() >= 2
        assert not ProficiencyResult.objects.exclude(owner_id=F("laboratory__owner_id")).exists()
        assert TestLaboratory.objects.filter(pk=result.laboratory_id, owner=world.a.cb).exists()
