"""Sanctions through the services and the public pages (SA-01 … SA-06)."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from certification.choices import CertificateState
from certification.models import Application, Certificate
from certification.services import application_transition, certificate_transition
from iecq import scheduler
from iecq.errors import Forbidden, IllegalTransition, ValidationFailed
from iecq.models import TransitionLog
from iecq.roles import Role
from iecq.tenancy import scope
from sanctions import services
from sanctions.choices import CARState, NoticeKind
from sanctions.models import BulletinNotice, CorrectiveActionRequest, DefectReport
from surveillance.models import Nonconformity, ProcessChangeNotification, SurveillanceAudit

from .factories import SYSTEM


def fresh(model, pk):
    with scope(SYSTEM):
        return model.objects.get(pk=pk)


def notices(**filters):
    with scope(SYSTEM):
        return list(BulletinNotice.objects.filter(**filters).order_by("id"))


@pytest.mark.req("SA-01")
def test_a_car_is_answered_online_and_an_overdue_one_proposes_a_suspension(world):
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    _u, mf = world.a.users[Role.MF_QUALITY_MANAGER]
    cert = world.a.records[Certificate]
    car = services.car_issue(actor=mgr, certificate=cert, request="Show the calibration records of line 2")
    assert car.due_on == timezone.now().date() + timedelta(days=30)
    with pytest.raises(IllegalTransition):
        services.car_transition(actor=mgr, pk=car.pk, name="accept", reason="x")
    services.car_respond(actor=mf, pk=car.pk, response="Records attached; procedure QP-12 revised")
    services.car_transition(actor=mgr, pk=car.pk, name="accept", reason="Records verified")
    assert fresh(CorrectiveActionRequest, car.pk).state == CARState.ACCEPTED

    late = services.car_issue(actor=mgr, certificate=cert, request="Root cause of field failures")
    with time_machine.travel(late.due_on + timedelta(days=1)):
        report = scheduler.sweep()
    assert report.escalations["cars_escalate_overdue"] >= 1
    assert fresh(CorrectiveActionRequest, late.pk).state == CARState.ESCALATED
    admin, _p = world.a.users[Role.CB_ADMIN]
    assert admin.notifications.filter(title__startswith="Suspension proposed").exists()
    services.car_respond(actor=mf, pk=late.pk, response="Late, but here is the analysis")
    assert fresh(CorrectiveActionRequest, late.pk).state == CARState.RESPONDED


@pytest.mark.req("SA-02")
@pytest.mark.req("SA-03")
def test_suspension_withdrawal_and_reinstatement_are_published_as_numbered_notices(world):
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    cert = world.a.records[Certificate]
    certificate_transition(actor=mgr, pk=cert.pk, name="suspend", reason="Major NC not corrected")
    certificate_transition(actor=mgr, pk=cert.pk, name="reinstate", reason="Correction verified")
    certificate_transition(actor=mgr, pk=cert.pk, name="withdraw", reason="Production stopped")
    published = notices(certificate=cert)
    assert [n.kind for n in published] == [NoticeKind.SUSPENSION, NoticeKind.REINSTATEMENT, NoticeKind.WITHDRAWAL]
    numbers = [int(n.number.split("/")[1]) for n in published]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    first = published[0]
    assert (first.certificate_number, first.manufacturer_name, first.certification_body_name) == (
        cert.number,
        "Alphaside Components",
        "Alphaside Certification",
    )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE sanctions_bulletinnotice SET reason_summary = 'edited' WHERE id = %s", [first.pk])
    page = Client().get("/bulletin/").content.decode()
    assert first.number in page and "Major NC not corrected" in page
    feed = Client().get("/bulletin/feed.atom")
    assert feed["Content-Type"].startswith("application/atom+xml") and first.number in feed.content.decode()
    pdf = Client().get(f"/bulletin/{timezone.now():%Y-%m}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.mark.req("SA-02")
def test_a_supervisory_body_requests_a_suspension_and_the_cb_decides(world):
    _u, sb = world.a.users[Role.SB_VIEWER]
    _u, sb_de = world.b.users[Role.SB_VIEWER]
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    cert = world.a.records[Certificate]
    from iecq.errors import NotFound

    with pytest.raises(NotFound):  # another country's body does not even see the certificate
        services.certificate_suspension_request_create(actor=sb_de, certificate=cert, reason="x")
    from sanctions.models import CertificateSuspensionRequest

    with scope(SYSTEM):  # the fixture's request is settled
        CertificateSuspensionRequest.objects.filter(certificate=cert).update(state="declined")
    request = services.certificate_suspension_request_create(
        actor=sb, certificate=cert, reason="Market samples failed twice"
    )
    with pytest.raises(Forbidden):
        services.certificate_suspension_request_transition(actor=sb, pk=request.pk, name="accept", reason="x")
    services.certificate_suspension_request_transition(
        actor=mgr, pk=request.pk, name="accept", reason="Confirmed by our own tests"
    )
    assert fresh(Certificate, cert.pk).state == CertificateState.SUSPENDED
    assert notices(certificate=cert)[-1].kind == NoticeKind.SUSPENSION


@pytest.mark.req("SA-02")
def test_a_suspension_past_its_maximum_length_proposes_withdrawal(world):
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    cert = world.a.records[Certificate]
    certificate_transition(actor=mgr, pk=cert.pk, name="suspend", reason="NC")
    with scope(SYSTEM):
        SurveillanceAudit.objects.update(state="cancelled")
        Nonconformity.objects.update(due_on=timezone.now().date() + timedelta(days=900))
    with time_machine.travel(timezone.now() + timedelta(days=190)):
        scheduler.sweep()
    admin, _p = world.a.users[Role.CB_ADMIN]
    assert admin.notifications.filter(title__contains="withdrawal proposed").exists()


@pytest.mark.req("SA-04")
def test_an_upheld_appeal_reverses_the_suspension_and_is_published(world):
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    _u, admin = world.a.users[Role.CB_ADMIN]
    _u, mf = world.a.users[Role.MF_ADMIN]
    cert = world.a.records[Certificate]
    certificate_transition(actor=mgr, pk=cert.pk, name="suspend", reason="Complaint")
    with scope(SYSTEM):
        decision = TransitionLog.objects.get(object_id=cert.pk, transition="suspend")
    appeal = services.appeal_lodge(actor=mf, decision=decision, grounds="The complaint concerned another supplier")
    with pytest.raises(Forbidden) as exc:  # the person who decided cannot decide the appeal
        services.appeal_transition(actor=mgr, pk=appeal.pk, name="uphold", reason="x")
    assert "another person" in str(exc.value)
    services.appeal_transition(actor=admin, pk=appeal.pk, name="uphold", reason="Wrong supplier named")
    assert fresh(Certificate, cert.pk).state == CertificateState.VALID
    assert notices(certificate=cert)[-1].kind == NoticeKind.APPEAL_UPHELD
    with pytest.raises(ValidationFailed):  # not twice
        services.appeal_lodge(actor=mf, decision=decision, grounds="again")


@pytest.mark.req("SA-04")
def test_appeals_have_a_period_and_a_rejection_can_be_reopened(world):
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    _u, admin = world.a.users[Role.CB_ADMIN]
    _u, mf = world.a.users[Role.MF_ADMIN]
    app = world.a.records[Application]
    with scope(SYSTEM):
        Application.objects.filter(pk=app.pk).update(state="under_review")
    application_transition(actor=mgr, pk=app.pk, name="reject", reason="Scope unclear")
    with scope(SYSTEM):
        decision = TransitionLog.objects.filter(object_id=app.pk, transition="reject").latest("id")
    with time_machine.travel(timezone.now() + timedelta(days=31)), pytest.raises(ValidationFailed) as exc:
        services.appeal_lodge(actor=mf, decision=decision, grounds="late")
    assert "appeal period ended" in exc.value.errors["decision"][0]
    appeal = services.appeal_lodge(actor=mf, decision=decision, grounds="The scope was in annex B")
    _u, other_mf = world.b.users[Role.MF_ADMIN]
    from iecq.errors import NotFound

    with pytest.raises(NotFound):
        services.appeal_lodge(actor=other_mf, decision=decision, grounds="x")
    services.appeal_transition(actor=admin, pk=appeal.pk, name="uphold", reason="Annex B covers it")
    assert fresh(Application, app.pk).state == "under_review"


@pytest.mark.req("SA-05")
def test_a_public_defect_report_reaches_the_cb_and_can_lead_to_a_car(world):
    cache.clear()
    cert = world.a.records[Certificate]
    client = Client()
    response = client.post(
        "/bulletin/report-a-defect/",
        {
            "reporter_kind": "customer",
            "reporter_name": "R. Lee",
            "reporter_email": "r.lee@example.org",
            "certificate_number": cert.number,
            "component": "MLCC 0402 lot 7781",
            "description": "Cracked terminations after reflow on 3 boards",
        },
    )
    assert response.status_code == 200 and "has been received" in response.content.decode()
    with scope(SYSTEM):
        report = DefectReport.objects.get(component="MLCC 0402 lot 7781")
    assert report.certification_body_id == world.a.cb.pk and report.certificate_id == cert.pk
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    _u, other = world.b.users[Role.CB_CERTIFICATION_MANAGER]
    from iecq.errors import NotFound

    with pytest.raises(NotFound):
        services.defect_transition(actor=other, pk=report.pk, name="investigate")
    services.defect_transition(actor=mgr, pk=report.pk, name="investigate")
    services.defect_transition(actor=mgr, pk=report.pk, name="close", outcome="car", reason="Process issue")
    with scope(SYSTEM):
        assert CorrectiveActionRequest.objects.filter(certificate=cert, request__contains="lot 7781").exists()


@pytest.mark.req("SA-05")
def test_the_public_defect_form_is_rate_limited_and_keeps_input(world, settings):
    cache.clear()
    settings.IECQ_DEFECT_REPORTS_PER_HOUR = 2
    client = Client()
    data = {
        "reporter_kind": "public",
        "reporter_name": "A",
        "reporter_email": "a@example.org",
        "component": "Resistor",
        "description": "Burnt after a week of normal use",
    }
    for _ in range(2):
        assert client.post("/bulletin/report-a-defect/", data).status_code == 200
    refused = client.post("/bulletin/report-a-defect/", data)
    assert refused.status_code == 429 and "Too many reports" in refused.content.decode()
    invalid = client.post("/bulletin/report-a-defect/", {**data, "reporter_email": "not-an-email"})
    assert 'value="Burnt' in invalid.content.decode() or "Burnt after a week" in invalid.content.decode()
    with scope(SYSTEM):
        assert DefectReport.objects.filter(component="Resistor").count() == 2


@pytest.mark.req("SA-06")
def test_a_change_found_at_audit_that_was_never_notified_gets_a_car(world):
    _u, auditor = world.a.users[Role.CB_AUDITOR]
    audit = world.a.records[SurveillanceAudit]
    car = services.pcn_found_at_audit(
        actor=auditor,
        audit=audit,
        title="Moulding compound changed",
        description="Supplier changed in March without notification",
    )
    with scope(SYSTEM):
        pcn = ProcessChangeNotification.objects.get(pk=car.pcn_id)
    assert pcn.found_at_audit and "SA-06" in car.request and car.certificate_id == audit.certificate_id
    _u, mf = world.a.users[Role.MF_ADMIN]
    with pytest.raises(Forbidden):
        services.pcn_found_at_audit(actor=mf, audit=audit, title="x", description="y")


@pytest.mark.req("SA-03")
def test_a_notice_is_corrected_by_a_new_notice_never_by_an_edit(world):
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    cert = world.a.records[Certificate]
    certificate_transition(actor=mgr, pk=cert.pk, name="suspend", reason="Wrong lot number 7781")
    original = notices(certificate=cert)[-1]
    _u, other = world.b.users[Role.CB_CERTIFICATION_MANAGER]
    with pytest.raises(Forbidden):
        services.notice_correct(actor=other, pk=original.pk, reason="x")
    correction = services.notice_correct(actor=mgr, pk=original.pk, reason="The lot is 7718, not 7781")
    assert correction.kind == NoticeKind.CORRECTION and correction.corrects_id == original.pk
    assert correction.number != original.number
    assert fresh(BulletinNotice, original.pk).reason_summary == "Wrong lot number 7781"
    assert "corrects" in Client().get("/bulletin/").content.decode()


@pytest.mark.req("SA-04")
@pytest.mark.req("SA-02")
def test_a_cb_appeals_its_suspension_to_an_uninvolved_operator(world):
    from bodies.choices import CertificationBodyState
    from bodies.models import CertificationBody
    from bodies.services import certification_body_transition
    from iecq.models import Organisation

    from .factories import make_member

    _u, op = world.operator
    _u, other_op = make_member(world.operator_org, Role.OP_ADMIN, username="second-operator")
    cb = world.public_cb
    certification_body_transition(actor=op, pk=cb.pk, name="suspend", reason="Witness audit failed")
    assert notices(subject_certification_body=cb)[-1].kind == NoticeKind.SUSPENSION
    with scope(SYSTEM):
        decision = TransitionLog.objects.filter(
            object_id=cb.pk, transition="suspend", content_type__model="certificationbody"
        ).latest("id")
        org = Organisation.objects.get(certification_body=cb)
    _u, cb_admin = make_member(org, Role.CB_ADMIN, username="publicside-admin")
    appeal = services.appeal_lodge(actor=cb_admin, decision=decision, grounds="The witnessed auditor was qualified")
    with pytest.raises(Forbidden):  # the operator who suspended cannot decide the appeal
        services.appeal_transition(actor=op, pk=appeal.pk, name="uphold", reason="x")
    services.appeal_transition(actor=other_op, pk=appeal.pk, name="uphold", reason="Qualification records found")
    assert fresh(CertificationBody, cb.pk).state == CertificationBodyState.APPROVED
    assert notices(subject_certification_body=cb)[-1].kind == NoticeKind.APPEAL_UPHELD


@pytest.mark.req("SA-05")
def test_a_report_that_names_no_known_certificate_goes_to_the_operator_who_can_close_it(world):
    report = services.defect_report_submit(
        reporter_kind="public",
        reporter_name="B. Diaz",
        reporter_email="b@example.org",
        component="Unknown relay",
        description="Contacts welded after a few cycles",
        certificate_number="NOT-A-NUMBER",
    )
    assert report.certification_body_id is None
    _u, op = world.operator
    operator_user = world.operator[0]
    assert operator_user.notifications.filter(title__contains="Unknown relay").exists()
    with pytest.raises(ValidationFailed):  # without a certificate there is nothing to sanction
        services.defect_transition(actor=op, pk=report.pk, name="close", outcome="car", reason="x")
    services.defect_transition(
        actor=op, pk=report.pk, name="close", outcome="no_action", reason="Not an IECQ-certified component"
    )
    assert fresh(DefectReport, report.pk).state == "closed"


@pytest.mark.req("SA-04")
def test_a_rejected_corrective_action_can_be_appealed_too(world):
    from surveillance.services import nonconformity_respond, nonconformity_transition

    _u, mf = world.a.users[Role.MF_QUALITY_MANAGER]
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    _u, admin = world.a.users[Role.CB_ADMIN]
    nc = world.a.records[Nonconformity]
    nonconformity_respond(actor=mf, pk=nc.pk, corrective_action="Operators retrained, records attached")
    nonconformity_transition(actor=mgr, pk=nc.pk, name="reject_action", reason="Training records missing")
    with scope(SYSTEM):
        decision = TransitionLog.objects.filter(
            object_id=nc.pk, transition="reject_action", content_type__model="nonconformity"
        ).latest("id")
    appeal = services.appeal_lodge(actor=mf, decision=decision, grounds="The records were attached on page 4")
    services.appeal_transition(actor=admin, pk=appeal.pk, name="uphold", reason="Page 4 has them")
    assert fresh(type(appeal), appeal.pk).state == "upheld"


@pytest.mark.req("SA-04")
def test_a_reversal_reserved_to_appeals_is_refused_outside_an_upheld_appeal(world):
    """`restore_on_appeal` is never a CB's own decision: called directly, the service refuses and nothing moves."""
    cert = world.a.records[Certificate]
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    certificate_transition(actor=mgr, pk=cert.pk, name="withdraw", reason="Production stopped")
    logged = TransitionLog.objects_append.filter(object_id=cert.pk).count()
    with pytest.raises(Forbidden, match="only by deciding an appeal"):
        certificate_transition(actor=mgr, pk=cert.pk, name="restore_on_appeal", reason="Changed our mind")
    with scope(SYSTEM):
        cert.refresh_from_db()
    assert cert.state == CertificateState.WITHDRAWN
    assert TransitionLog.objects_append.filter(object_id=cert.pk).count() == logged
