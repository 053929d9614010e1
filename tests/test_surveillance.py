"""Surveillance through the services (SV-01 … SV-07)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bodies.models import Auditor, Equipment, TestLaboratory
from bodies.services import declaration_sign
from certification.choices import CertificateState
from certification.models import Certificate
from iecq.errors import Forbidden, IllegalTransition, ValidationFailed
from iecq.roles import Role
from iecq.tenancy import scope
from surveillance import services
from surveillance.choices import FrequencyLevel, Grade, PCNImpact
from surveillance.frequency import surveillance_frequency
from surveillance.models import Complaint, Nonconformity, SurveillanceAudit

from .factories import SYSTEM


def fresh(model, pk):
    with scope(SYSTEM):
        return model.objects.get(pk=pk)


def audit_to_report(world, kind="surveillance"):
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    cert = world.a.records[Certificate]
    with scope(SYSTEM):
        SurveillanceAudit.objects.filter(certificate=cert).update(state="cancelled")
    today = timezone.now().date()
    audit = services.audit_plan(actor=mgr, certificate=cert, kind=kind, due_on=today + timedelta(days=10))
    services.audit_team_assign(actor=mgr, audit=audit, auditor=world.a.records[Auditor], role="lead")
    services.audit_update(actor=mgr, pk=audit.pk, scheduled_for=today)
    services.audit_transition(actor=mgr, pk=audit.pk, name="schedule")
    services.audit_transition(actor=mgr, pk=audit.pk, name="start")
    services.audit_update(actor=mgr, pk=audit.pk, report="Production and QMS audited; see findings.")
    return audit, mgr


@pytest.mark.req("SV-01")
@pytest.mark.req("SV-07")
def test_closing_an_audit_sets_the_next_by_the_risk_rule(world):
    audit, mgr = audit_to_report(world)
    services.audit_transition(actor=mgr, pk=audit.pk, name="submit_report")
    services.audit_transition(actor=mgr, pk=audit.pk, name="close")
    cert = fresh(Certificate, world.a.records[Certificate].pk)
    months = surveillance_frequency(
        manufacturer_id=cert.manufacturer_id, certification_body_id=cert.certification_body_id
    ).months
    assert cert.next_audit_due is not None
    assert (cert.next_audit_due - timezone.now().date()).days in range(months * 28, months * 31 + 1)


@pytest.mark.req("SV-01")
def test_an_audit_needs_its_team_date_and_report(world):
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    cert = world.a.records[Certificate]
    with scope(SYSTEM):
        SurveillanceAudit.objects.filter(certificate=cert).update(state="cancelled")
    audit = services.audit_plan(
        actor=mgr, certificate=cert, kind="surveillance", due_on=timezone.now().date() + timedelta(days=10)
    )
    with pytest.raises(IllegalTransition) as exc:
        services.audit_transition(actor=mgr, pk=audit.pk, name="schedule")
    assert len(exc.value.errors["conditions"]) == 2
    with pytest.raises(ValidationFailed):  # the same periodic audit cannot be planned twice
        services.audit_plan(actor=mgr, certificate=cert, kind="surveillance", due_on=timezone.now().date())


@pytest.mark.req("CB-03")
@pytest.mark.req("SV-01")
def test_a_conflicted_auditor_never_joins_an_audit_team(world):
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    declaration_sign(
        actor=mgr,
        auditor=world.a.records[Auditor],
        signed_on=timezone.now().date(),
        interests="Spouse works there",
        conflicted_manufacturers=[world.a.manufacturer],
    )
    with pytest.raises(ValidationFailed) as exc:
        services.audit_team_assign(
            actor=mgr, audit=world.a.records[SurveillanceAudit], auditor=world.a.records[Auditor]
        )
    assert any("conflict" in p for p in exc.value.errors["auditor"])


@pytest.mark.req("SV-06")
@pytest.mark.req("SV-04")
def test_recertification_waits_for_major_nonconformities_then_renews(world):
    audit, mgr = audit_to_report(world, kind="recertification")
    nc = services.nonconformity_record(
        actor=mgr, audit=audit, grade=Grade.MAJOR, requirement="8.5.1", description="Process parameters not controlled"
    )
    services.audit_transition(actor=mgr, pk=audit.pk, name="submit_report")
    with pytest.raises(IllegalTransition) as exc:
        services.audit_transition(actor=mgr, pk=audit.pk, name="close")
    assert "SV-06" in exc.value.errors["conditions"][0]
    _u, mf = world.a.users[Role.MF_QUALITY_MANAGER]
    with pytest.raises(IllegalTransition):  # a CB cannot close an NC before the manufacturer answered
        services.nonconformity_transition(actor=mgr, pk=nc.pk, name="verify", reason="x")
    with pytest.raises(Forbidden):
        services.nonconformity_respond(actor=mgr, pk=nc.pk, corrective_action="x")
    services.nonconformity_respond(actor=mf, pk=nc.pk, corrective_action="SPC on line 3; operators retrained")
    services.nonconformity_transition(actor=mgr, pk=nc.pk, name="verify", reason="Records of 4 weeks checked")
    before = fresh(Certificate, world.a.records[Certificate].pk).expires_on
    services.audit_transition(actor=mgr, pk=audit.pk, name="close")
    after = fresh(Certificate, world.a.records[Certificate].pk)
    assert after.expires_on.year == before.year + 3 and after.period_start == before


@pytest.mark.req("SV-02")
@pytest.mark.req("CB-10")
def test_a_failed_sample_raises_a_major_nonconformity_and_overdue_equipment_is_refused(world):
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    cert, lab, tool = world.a.records[Certificate], world.a.records[TestLaboratory], world.a.records[Equipment]
    sample = services.sample_record(
        actor=mgr,
        certificate=cert,
        source="market",
        description="Lot 2231, 50 pcs",
        taken_on=timezone.now().date(),
        laboratory=lab,
        equipment=[tool],
    )
    services.sample_result_record(
        actor=mgr, pk=sample.pk, passed=False, test_report="Capacitance −12 % at 85 °C", reason="Out of tolerance"
    )
    with scope(SYSTEM):
        nc = Nonconformity.objects.get(sample=sample)
    assert nc.grade == Grade.MAJOR and nc.due_on == timezone.now().date() + timedelta(days=30)
    with scope(SYSTEM):
        Equipment.objects.filter(pk=tool.pk).update(calibration_due_on=timezone.now().date() - timedelta(days=1))
    with pytest.raises(ValidationFailed) as exc:
        services.sample_record(
            actor=mgr,
            certificate=cert,
            source="production",
            description="x",
            taken_on=timezone.now().date(),
            laboratory=lab,
            equipment=[tool],
        )
    assert exc.value.code == "calibration_overdue"


@pytest.mark.req("SV-03")
def test_complaints_are_reviewed_at_the_next_audit(world):
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    complaint = services.complaint_record(
        actor=mgr,
        certificate=world.a.records[Certificate],
        kind="field_failure",
        received_on=timezone.now().date(),
        source="Automotive tier 1",
        description="Cracks after thermal cycling",
    )
    audit, mgr = audit_to_report(world)
    services.audit_transition(actor=mgr, pk=audit.pk, name="submit_report")
    services.audit_transition(actor=mgr, pk=audit.pk, name="close")
    assert fresh(Complaint, complaint.pk).reviewed_in_id == audit.pk


@pytest.mark.req("SV-05")
def test_a_pcn_that_suspends_pending_assessment_moves_the_certificate(world):
    _u, mf = world.a.users[Role.MF_QUALITY_MANAGER]
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    cert = world.a.records[Certificate]
    pcn = services.pcn_submit(
        actor=mf,
        certificate=cert,
        title="New sintering furnace",
        planned_on=timezone.now().date(),
        description="Furnace replaced on line 2; profile unchanged",
    )
    with scope(SYSTEM):
        SurveillanceAudit.objects.filter(certificate=cert).update(state="cancelled")
    services.pcn_classify(
        actor=mgr, pk=pcn.pk, impact=PCNImpact.SUSPENDS_PENDING_ASSESSMENT, reason="Firing profile affects reliability"
    )
    assert fresh(Certificate, cert.pk).state == CertificateState.SUSPENDED
    with scope(SYSTEM):
        assert SurveillanceAudit.objects.filter(certificate=cert, kind="special", trigger="pcn").exists()
    services.pcn_close(actor=mgr, pk=pcn.pk, reason="Special audit passed", reinstate=True)
    assert fresh(Certificate, cert.pk).state == CertificateState.VALID
    other = services.pcn_submit(
        actor=mf, certificate=cert, title="Label printer", planned_on=timezone.now().date(), description="New printer"
    )
    services.pcn_classify(actor=mgr, pk=other.pk, impact=PCNImpact.NO_IMPACT, reason="Labels only")
    assert fresh(type(other), other.pk).state == "closed"


@pytest.mark.req("SV-07")
def test_the_frequency_rule_explains_itself(world):
    cert = world.a.records[Certificate]
    pair = {"manufacturer_id": cert.manufacturer_id, "certification_body_id": cert.certification_body_id}
    with scope(SYSTEM):
        Nonconformity.objects.filter(manufacturer_id=cert.manufacturer_id).delete()
        Complaint.objects.filter(manufacturer_id=cert.manufacturer_id).delete()
    normal = surveillance_frequency(**pair)
    assert normal.level == FrequencyLevel.NORMAL and "at least two closed audits" in normal.reasons[0]
    with scope(SYSTEM):
        for _ in range(2):
            SurveillanceAudit.objects.create(
                certification_body_id=cert.certification_body_id,
                manufacturer_id=cert.manufacturer_id,
                certificate=cert,
                kind="special",
                due_on=timezone.now().date(),
                state="closed",
                closed_on=timezone.now().date(),
            )
    reduced = surveillance_frequency(**pair)
    assert reduced.level == FrequencyLevel.REDUCED and reduced.months == 18
    audit, mgr = audit_to_report(world)
    services.nonconformity_record(
        actor=mgr, audit=audit, grade=Grade.MAJOR, requirement="7.5", description="Records missing"
    )
    increased = surveillance_frequency(**pair)
    assert increased.level == FrequencyLevel.INCREASED and increased.months == 6
    assert "1 major nonconformity" in increased.reasons[0]
