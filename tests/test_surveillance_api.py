"""The surveillance API (SV-01 … SV-07, PL-03): audits and their teams, nonconformities and corrective actions,
samples, complaints, process change notifications, and the surveillance frequency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from bodies.models import (
    Auditor,
    AuditorCompetence,
    AuditorTraining,
    Equipment,
    IndependenceDeclaration,
    Technology,
    TestLaboratory,
)
from certification.models import Certificate
from iecq.dates import add_months, add_years
from iecq.roles import Role
from iecq.tenancy import scope
from surveillance.models import (
    Complaint,
    Nonconformity,
    PCNDocument,
    ProcessChangeNotification,
    ProductSample,
    SurveillanceAudit,
)

from .conftest import token_client
from .factories import SYSTEM
from .test_api import assert_problem

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def post(client, path: str, body: dict | None = None):
    return client.post(path, body or {}, format="json")


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def cb_api(world) -> APIClient:
    """Side A's CB administrator's token: a decider of the CB."""
    return token_client(world.a.tokens["cb"][0])


def mf_api(world) -> APIClient:
    return token_client(world.a.tokens["manufacturer"][0])


def today():
    return timezone.now().date()


def make_auditor(world, name: str, *, conflict: bool = False) -> Auditor:
    """A qualified, trained, competent auditor of side A's CB with a declaration in force (conflicted if told)."""
    with scope(SYSTEM):
        auditor = Auditor.objects.create(
            certification_body=world.a.cb,
            name=name,
            email=f"{name.lower().replace(' ', '.')}@example.org",
            qualified_until=today() + timedelta(days=365),
        )
        AuditorTraining.objects.create(auditor=auditor, course="IECQ QC 001003", completed_on=today(), hours=16)
        AuditorCompetence.objects.create(
            auditor=auditor, technology=Technology.objects.get(code="capacitors"), since=today()
        )
        declaration = IndependenceDeclaration.objects.create(
            certification_body=world.a.cb,
            declarant_name=name,
            auditor=auditor,
            signed_on=today(),
            valid_until=today() + timedelta(days=365),
            no_conflicts=not conflict,
        )
        if conflict:
            declaration.conflicted_manufacturers.add(world.a.manufacturer)
    return auditor


def fixture_audit_out_of_the_way(world, client) -> None:
    """The fixture's planned surveillance audit is cancelled, so a new one can be planned for the certificate."""
    audit = world.a.records[SurveillanceAudit]
    response = post(client, f"/api/v1/audits/{audit.pk}/cancel/", {"reason": "Replaced by a new plan"})
    assert response.status_code == 200, response.content


def plan(world, client, kind: str = "surveillance", **extra) -> dict:
    body = {
        "certificate": world.a.records[Certificate].pk,
        "kind": kind,
        "due_on": (today() + timedelta(days=30)).isoformat(),
        "plan": "Production line 2 and the incoming inspection",
        **extra,
    }
    response = post(client, "/api/v1/audits/", body)
    assert response.status_code == 201, response.content
    return response.json()


def run_to_report(world, client, audit_id: int, *, role: str = "lead") -> str:
    """Team, date, schedule, start: the audit in progress; returns its URL."""
    base = f"/api/v1/audits/{audit_id}/"
    auditor = make_auditor(world, f"Auditor {audit_id}")
    assert post(client, f"{base}team/", {"auditor": auditor.pk, "role": role}).status_code == 201
    response = client.patch(base, {"scheduled_for": (today() + timedelta(days=7)).isoformat()}, format="json")
    assert response.status_code == 200, response.content
    for step, state in [("schedule", "scheduled"), ("start", "in_progress")]:
        response = post(client, f"{base}{step}/", {"reason": f"{step}"})
        assert response.status_code == 200, (step, response.content)
        assert response.json()["state"] == state
    return base


def report(client, base: str) -> None:
    response = client.patch(base, {"report": "Processes conform; see the findings."}, format="json")
    assert response.status_code == 200, response.content
    response = post(client, f"{base}submit-report/")
    assert response.status_code == 200 and response.json()["state"] == "report_submitted", response.content


def certificate(world) -> Certificate:
    with scope(SYSTEM):
        return Certificate.objects.get(pk=world.a.records[Certificate].pk)


# --- SV-01: an audit from plan to close --------------------------------------------------------------


@pytest.mark.req("SV-01")
@pytest.mark.req("SV-07")
def test_an_audit_is_planned_staffed_held_reported_and_closed_and_the_next_one_falls_due(world):
    cb = cb_api(world)
    assert certificate(world).next_audit_due is None
    # The fixture's surveillance audit is still open: a second periodic one is refused.
    body = assert_problem(
        post(
            cb,
            "/api/v1/audits/",
            {"certificate": world.a.records[Certificate].pk, "kind": "surveillance", "due_on": today().isoformat()},
        ),
        400,
        "validation_failed",
    )
    assert [e["field"] for e in body["errors"]] == ["kind"]
    fixture_audit_out_of_the_way(world, cb)
    audit = plan(world, cb)
    assert (audit["state"], audit["kind"], audit["manufacturer"]) == (
        "planned",
        "surveillance",
        world.a.manufacturer.pk,
    )
    base = f"/api/v1/audits/{audit['id']}/"

    # Not schedulable yet, and the reasons say why.
    body = assert_problem(post(cb, f"{base}schedule/"), 409, "conditions_not_met")
    assert len(body["errors"]) == 2 and all(e["field"] == "conditions" for e in body["errors"])

    conflicted = make_auditor(world, "Conflicted Auditor", conflict=True)
    body = assert_problem(post(cb, f"{base}team/", {"auditor": conflicted.pk}), 400, "auditor_not_assignable")
    assert {e["field"] for e in body["errors"]} == {"auditor"}
    assert any("declared a conflict of interest" in e["message"] for e in body["errors"])
    with scope(SYSTEM):
        unqualified = Auditor.objects.create(
            certification_body=world.a.cb, name="Novice", email="novice@example.org", qualified_until=today()
        )
    body = assert_problem(post(cb, f"{base}team/", {"auditor": unqualified.pk}), 400, "auditor_not_assignable")
    messages = [e["message"] for e in body["errors"]]
    assert {e["field"] for e in body["errors"]} == {"auditor"} and len(messages) == 4
    assert any("qualification expired" in m for m in messages)
    assert any("no documented training" in m for m in messages)
    assert any("not competent in" in m for m in messages)
    assert any("no declaration of interests in force" in m for m in messages)
    foreign = world.b.records[Auditor]
    body = assert_problem(post(cb, f"{base}team/", {"auditor": foreign.pk}), 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["auditor"]
    assert cb.get(f"{base}team/").json() == []

    lead = make_auditor(world, "Lead Auditor")
    response = post(cb, f"{base}team/", {"auditor": lead.pk, "role": "lead"})
    assert response.status_code == 201, response.content
    assert (response.json()["auditor_name"], response.json()["role"]) == ("Lead Auditor", "lead")
    body = assert_problem(post(cb, f"{base}team/", {"auditor": lead.pk}), 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["auditor"]  # already on the team

    # The report is written during the audit, not before.
    body = assert_problem(cb.patch(base, {"report": "too early"}, format="json"), 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["report"]
    body = assert_problem(cb.patch(base, {"kind": "special"}, format="json"), 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["kind"]
    audit_day = today() + timedelta(days=7)
    response = cb.patch(base, {"scheduled_for": audit_day.isoformat()}, format="json")
    assert response.status_code == 200 and response.json()["scheduled_for"] == audit_day.isoformat()

    assert post(cb, f"{base}schedule/").json()["state"] == "scheduled"
    assert post(cb, f"{base}start/").json()["state"] == "in_progress"
    assert_problem(post(cb, f"{base}submit-report/"), 409, "conditions_not_met")  # no report yet
    report(cb, base)
    detail = cb.get(base).json()
    assert [(m["auditor"], m["role"]) for m in detail["team"]] == [(lead.pk, "lead")]

    response = post(cb, f"{base}close/", {"reason": "Report reviewed"})
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["closed_on"]) == ("closed", today().isoformat())
    # One minor nonconformity and one complaint in three years: the normal frequency.
    assert certificate(world).next_audit_due == add_months(today(), settings.IECQ_SURVEILLANCE_NORMAL_MONTHS)

    history = cb.get(f"{base}history/").json()
    assert [h["transition"] for h in history] == ["schedule", "start", "submit_report", "close"]
    assert history[-1]["reason"] == "Report reviewed"
    assert_problem(post(cb, f"{base}cancel/", {"reason": "x"}), 409, "illegal_transition")
    closed = cb.get("/api/v1/audits/?state=closed").json()["results"]
    assert [a["id"] for a in closed] == [audit["id"]]


@pytest.mark.req("SV-01")
def test_only_the_cb_plans_and_runs_audits(world):
    mf = mf_api(world)
    audit = world.a.records[SurveillanceAudit]
    body = {"certificate": world.a.records[Certificate].pk, "kind": "special", "due_on": today().isoformat()}
    assert_problem(post(mf, "/api/v1/audits/", {**body, "trigger": "complaint"}), 403, "forbidden")
    assert_problem(post(cb_api(world), "/api/v1/audits/", body), 400, "validation_failed")  # no trigger
    assert_problem(post(mf, f"/api/v1/audits/{audit.pk}/cancel/", {"reason": "x"}), 403, "forbidden")
    assert_problem(mf.patch(f"/api/v1/audits/{audit.pk}/", {"plan": "mine"}, format="json"), 403, "forbidden")
    clerk = session(world.a.users[Role.CB_CLERK][0])
    assert_problem(post(clerk, f"/api/v1/audits/{audit.pk}/cancel/", {"reason": "x"}), 403, "forbidden")
    with scope(SYSTEM):
        assert SurveillanceAudit.objects.get(pk=audit.pk).state == "planned"
        assert SurveillanceAudit.objects.filter(certificate=world.a.records[Certificate]).count() == 1
    # The manufacturer follows its audits.
    assert [a["id"] for a in mf.get("/api/v1/audits/").json()["results"]] == [audit.pk]


@pytest.mark.req("SV-01")
@pytest.mark.req("PL-03")
def test_audit_filters(world):
    cb = cb_api(world)
    audit = world.a.records[SurveillanceAudit]  # surveillance, planned, due in 60 days
    due = audit.due_on

    def ids(query: str) -> list[int]:
        response = cb.get(f"/api/v1/audits/?{query}")
        assert response.status_code == 200, response.content
        return [a["id"] for a in response.json()["results"]]

    assert ids("state=planned&state=scheduled") == [audit.pk]
    assert ids("state=closed") == []
    assert ids("kind=surveillance") == [audit.pk] and ids("kind=special") == []
    assert ids(f"due_before={due.isoformat()}") == [audit.pk]
    assert ids(f"due_before={(due - timedelta(days=1)).isoformat()}") == []
    assert ids(f"due_after={(due + timedelta(days=1)).isoformat()}") == []
    assert ids(f"certificate={world.a.records[Certificate].pk}&manufacturer={world.a.manufacturer.pk}") == [audit.pk]
    assert ids(f"certification_body={world.b.cb.pk}") == []
    assert ids("country=GB") == [audit.pk] and ids("country=DE") == []
    assert_problem(cb.get("/api/v1/audits/?state=finished"), 400, "validation_failed")


# --- SV-06: recertification ------------------------------------------------------------------------------


@pytest.mark.req("SV-06")
@pytest.mark.req("SV-04")
def test_a_recertification_audit_with_an_open_major_nonconformity_cannot_close(world):
    cb = cb_api(world)
    mf = mf_api(world)
    before = certificate(world)
    audit = plan(world, cb, kind="recertification")
    base = run_to_report(world, cb, audit["id"])

    response = post(
        cb,
        "/api/v1/nonconformities/",
        {
            "audit": audit["id"],
            "grade": "major",
            "requirement": "IECQ QC 080000 clause 4.2",
            "description": "Hazardous substance declarations missing for line 2.",
        },
    )
    assert response.status_code == 201, response.content
    nc = response.json()
    assert (nc["grade"], nc["state"], nc["certificate"]) == ("major", "open", before.pk)
    assert nc["due_on"] == (today() + timedelta(days=settings.IECQ_NC_DAYS["major"])).isoformat()
    report(cb, base)

    body = assert_problem(post(cb, f"{base}close/", {"reason": "Review"}), 409, "conditions_not_met")
    assert any("SV-06" in e["message"] for e in body["errors"])
    assert certificate(world).expires_on == before.expires_on

    nc_base = f"/api/v1/nonconformities/{nc['id']}/"
    answer = {"corrective_action": "Declarations collected from every supplier; incoming check added."}
    assert post(mf, f"{nc_base}respond/", answer).json()["state"] == "action_submitted"
    assert_problem(post(cb, f"{base}close/", {"reason": "Review"}), 409, "conditions_not_met")  # not verified
    assert post(cb, f"{nc_base}verify/", {"reason": "Checked at a follow-up visit"}).json()["state"] == "closed"

    response = post(cb, f"{base}close/", {"reason": "Reassessment complete"})
    assert response.status_code == 200, response.content
    after = certificate(world)
    assert after.period_start == before.expires_on
    assert after.expires_on == add_years(before.expires_on, 3)
    assert after.state == "valid" and after.revision == before.revision + 1
    history = cb.get(f"/api/v1/certificates/{before.pk}/history/").json()
    assert [h["transition"] for h in history] == ["recertify"]


# --- SV-02: samples ----------------------------------------------------------------------------------------


def sample_body(world, **extra) -> dict:
    return {
        "certificate": world.a.records[Certificate].pk,
        "source": "market",
        "description": "MLCC 0402, lot 2291, bought from a distributor",
        "taken_on": today().isoformat(),
        "laboratory": world.a.records[TestLaboratory].pk,
        "equipment": [world.a.records[Equipment].pk],
        **extra,
    }


@pytest.mark.req("SV-02")
@pytest.mark.req("SV-04")
def test_a_failed_sample_raises_a_major_nonconformity(world):
    cb = cb_api(world)
    response = post(cb, "/api/v1/samples/", sample_body(world))
    assert response.status_code == 201, response.content
    sample = response.json()
    assert (sample["result"], sample["laboratory"], sample["equipment"]) == (
        "pending",
        world.a.records[TestLaboratory].pk,
        [world.a.records[Equipment].pk],
    )
    base = f"/api/v1/samples/{sample['id']}/"
    assert_problem(
        post(cb, f"{base}result/", {"passed": False, "test_report": "Capacitance -25 %"}), 400, "validation_failed"
    )
    body = assert_problem(post(cb, f"{base}result/", {"test_report": "x"}), 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["passed"]
    assert cb.get(f"/api/v1/nonconformities/?sample={sample['id']}").json()["results"] == []

    response = post(
        cb,
        f"{base}result/",
        {"passed": False, "test_report": "Capacitance -25 % at 85 °C", "reason": "Outside the tolerance of ±10 %"},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["result"], response.json()["tested_on"]) == ("fail", today().isoformat())
    ncs = cb.get(f"/api/v1/nonconformities/?sample={sample['id']}").json()["results"]
    assert [(n["grade"], n["state"], n["description"]) for n in ncs] == [
        ("major", "open", "Outside the tolerance of ±10 %")
    ]
    assert_problem(post(cb, f"{base}result/", {"passed": True, "test_report": "Retest"}), 409, "illegal_transition")
    assert [h["target"] for h in cb.get(f"{base}history/").json()] == ["fail"]
    # The manufacturer sees its samples and the nonconformity it must answer.
    mf = mf_api(world)
    assert mf.get(base).json()["result"] == "fail"
    assert [n["id"] for n in mf.get("/api/v1/nonconformities/?grade=major").json()["results"]] == [ncs[0]["id"]]


@pytest.mark.req("SV-02")
@pytest.mark.req("CB-10")
def test_equipment_overdue_for_calibration_is_refused(world):
    cb = cb_api(world)
    with scope(SYSTEM):
        overdue = Equipment.objects.create(
            laboratory=world.a.records[TestLaboratory],
            name="Old oven",
            asset_number="OVEN-7",
            last_calibrated_on=today() - timedelta(days=400),
            calibration_due_on=today() - timedelta(days=1),
        )
        before = ProductSample.objects.count()
    body = assert_problem(
        post(cb, "/api/v1/samples/", sample_body(world, equipment=[world.a.records[Equipment].pk, overdue.pk])),
        400,
        "calibration_overdue",
    )
    assert [e["field"] for e in body["errors"]] == ["equipment"] and "Old oven" in body["errors"][0]["message"]
    # Another laboratory's equipment, and equipment the CB cannot see, are refused too.
    foreign = world.b.records[Equipment]
    body = assert_problem(
        post(cb, "/api/v1/samples/", sample_body(world, equipment=[foreign.pk])), 400, "validation_failed"
    )
    assert [e["field"] for e in body["errors"]] == ["equipment"]
    # The CB takes samples: the manufacturer does not even see the CB's laboratory and equipment.
    body = assert_problem(post(mf_api(world), "/api/v1/samples/", sample_body(world)), 400, "validation_failed")
    assert {e["field"] for e in body["errors"]} == {"laboratory", "equipment"}
    with scope(SYSTEM):
        assert ProductSample.objects.count() == before

    # Equipment that falls overdue between sampling and testing cannot record the result either.
    sample = post(cb, "/api/v1/samples/", sample_body(world)).json()
    with scope(SYSTEM):
        Equipment.objects.filter(pk=world.a.records[Equipment].pk).update(
            calibration_due_on=today() - timedelta(days=1)
        )
    assert_problem(
        post(cb, f"/api/v1/samples/{sample['id']}/result/", {"passed": True, "test_report": "Within tolerance"}),
        400,
        "calibration_overdue",
    )
    assert cb.get(f"/api/v1/samples/{sample['id']}/").json()["result"] == "pending"


# --- SV-04: the manufacturer answers online, the CB verifies -----------------------------------------------


@pytest.mark.req("SV-04")
def test_the_manufacturer_answers_a_nonconformity_online_and_the_cb_verifies_it(world):
    cb = cb_api(world)
    mf = mf_api(world)
    nc = world.a.records[Nonconformity]  # minor, open
    base = f"/api/v1/nonconformities/{nc.pk}/"

    assert_problem(post(cb, f"{base}verify/", {"reason": "Looks fine"}), 409, "illegal_transition")
    body = assert_problem(post(mf, f"{base}respond/", {"corrective_action": "   "}), 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["corrective_action"]
    assert_problem(post(cb, f"{base}respond/", {"corrective_action": "We fixed it for them"}), 403, "forbidden")
    body = assert_problem(
        post(mf, f"{base}respond/", {"corrective_action": "x", "state": "closed"}), 400, "validation_failed"
    )
    assert [e["field"] for e in body["errors"]] == ["state"]

    response = post(mf, f"{base}respond/", {"corrective_action": "Work instruction 7.1 revised; operators trained."})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "action_submitted"
    assert response.json()["corrective_action"] == "Work instruction 7.1 revised; operators trained."
    assert_problem(post(mf, f"{base}verify/", {"reason": "Trust us"}), 403, "forbidden")
    assert_problem(post(cb, f"{base}verify/"), 400, "validation_failed")  # how it was verified is required

    assert post(cb, f"{base}reject-action/", {"reason": "No evidence of training"}).json()["state"] == "open"
    assert post(mf, f"{base}respond/", {"corrective_action": "Training records attached."}).status_code == 200
    response = post(cb, f"{base}verify/", {"reason": "Training records checked"})
    assert response.status_code == 200 and response.json()["state"] == "closed"

    history = mf.get(f"{base}history/").json()
    assert [(h["transition"], h["target"]) for h in history] == [
        ("submit_action", "action_submitted"),
        ("reject_action", "open"),
        ("submit_action", "action_submitted"),
        ("verify", "closed"),
    ]
    assert cb.get("/api/v1/nonconformities/?state=closed").json()["results"][0]["id"] == nc.pk


@pytest.mark.req("SV-04")
@pytest.mark.req("PL-03")
def test_nonconformities_are_recorded_during_audits_and_overdue_ones_are_listed(world):
    cb = cb_api(world)
    audit = world.a.records[SurveillanceAudit]  # planned: nothing can be found at it yet
    body = {"audit": audit.pk, "grade": "minor", "requirement": "7.1", "description": "Finding"}
    problem = assert_problem(post(cb, "/api/v1/nonconformities/", body), 400, "validation_failed")
    assert [e["field"] for e in problem["errors"]] == ["audit"]
    problem = assert_problem(
        post(cb, "/api/v1/nonconformities/", {**body, "audit": world.b.records[SurveillanceAudit].pk}),
        400,
        "validation_failed",
    )
    assert [e["field"] for e in problem["errors"]] == ["audit"]

    nc = world.a.records[Nonconformity]
    assert [n["id"] for n in cb.get("/api/v1/nonconformities/?overdue=true").json()["results"]] == []
    with scope(SYSTEM):
        Nonconformity.objects.filter(pk=nc.pk).update(due_on=today() - timedelta(days=1))
    overdue = cb.get("/api/v1/nonconformities/?overdue=true").json()["results"]
    assert [(n["id"], n["overdue"]) for n in overdue] == [(nc.pk, True)]
    assert cb.get("/api/v1/nonconformities/?overdue=false").json()["results"] == []
    assert [n["id"] for n in cb.get(f"/api/v1/nonconformities/?due_before={today()}").json()["results"]] == [nc.pk]
    assert cb.get("/api/v1/nonconformities/?grade=major").json()["results"] == []


# --- SV-05: process change notifications -----------------------------------------------------------------


@pytest.mark.req("SV-05")
def test_a_pcn_suspending_pending_assessment_suspends_the_certificate_until_closed_with_reinstatement(world):
    cb = cb_api(world)
    mf = mf_api(world)
    cert = world.a.records[Certificate]
    body = {
        "certificate": cert.pk,
        "title": "New sintering furnace",
        "description": "Line 2 moves to a continuous furnace with a new profile.",
        "planned_on": (today() + timedelta(days=20)).isoformat(),
    }
    assert_problem(post(cb, "/api/v1/pcns/", body), 403, "forbidden")  # the holder notifies
    response = post(mf, "/api/v1/pcns/", body)
    assert response.status_code == 201, response.content
    pcn = response.json()
    assert (pcn["state"], pcn["impact"], pcn["certification_body"]) == ("submitted", "", world.a.cb.pk)
    base = f"/api/v1/pcns/{pcn['id']}/"

    upload = {
        "title": "Furnace profile",
        "file": SimpleUploadedFile("profile.pdf", PDF, content_type="application/pdf"),
    }
    response = mf.post(f"{base}documents/", upload, format="multipart")
    assert response.status_code == 201, response.content
    document = response.json()
    with scope(SYSTEM):
        stored = PCNDocument.objects.get(pk=document["id"])
    assert stored.storage_name not in response.content.decode() and "file" not in document
    detail = cb.get(base).json()
    assert [(d["id"], d["title"], d["original_name"]) for d in detail["documents"]] == [
        (document["id"], "Furnace profile", "profile.pdf")
    ]
    download = cb.get(document["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="profile.pdf"'
    assert download["Content-Type"] == "application/pdf" and download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF
    disguised = SimpleUploadedFile("x.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf")
    body_ = assert_problem(
        mf.post(f"{base}documents/", {"file": disguised}, format="multipart"), 400, "validation_failed"
    )
    assert [e["field"] for e in body_["errors"]] == ["file"]
    assert_problem(post(mf, f"{base}documents/", {"title": "x"}), 415, "unsupported_media_type")

    classify = {"impact": "suspends_pending_assessment", "reason": "Firing profile affects reliability"}
    assert_problem(post(mf, f"{base}classify/", classify), 403, "forbidden")
    assert_problem(post(cb, f"{base}classify/", {**classify, "impact": "huge"}), 400, "validation_failed")
    response = post(cb, f"{base}classify/", classify)
    assert response.status_code == 200, response.content
    classified = response.json()
    assert (classified["state"], classified["impact"], classified["suspended_certificate"]) == (
        "under_assessment",
        "suspends_pending_assessment",
        True,
    )
    assert certificate(world).state == "suspended"
    special = cb.get(f"/api/v1/audits/{classified['special_audit']}/").json()
    assert (special["kind"], special["trigger"], special["state"]) == ("special", "pcn", "planned")
    assert special["trigger_reference"] == "PCN: New sintering furnace"
    assert_problem(post(cb, f"{base}classify/", classify), 409, "illegal_transition")

    assert_problem(post(cb, f"{base}close/", {"reinstate": True}), 400, "validation_failed")  # no reason
    response = post(cb, f"{base}close/", {"reason": "Special audit found the new profile qualified", "reinstate": True})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "closed"
    assert certificate(world).state == "valid"
    assert [h["transition"] for h in cb.get(f"/api/v1/certificates/{cert.pk}/history/").json()] == [
        "suspend",
        "reinstate",
    ]
    assert [h["transition"] for h in mf.get(f"{base}history/").json()] == ["classify", "close"]
    assert_problem(
        mf.post(f"{base}documents/", {"file": SimpleUploadedFile("late.pdf", PDF)}, format="multipart"),
        400,
        "validation_failed",
    )  # closed
    assert [
        p["id"] for p in cb.get("/api/v1/pcns/?state=closed&impact=suspends_pending_assessment").json()["results"]
    ] == [pcn["id"]]


@pytest.mark.req("SV-05")
def test_closing_a_pcn_that_suspended_nothing_cannot_reinstate(world):
    cb = cb_api(world)
    pcn = world.a.records[ProcessChangeNotification]
    base = f"/api/v1/pcns/{pcn.pk}/"
    response = post(cb, f"{base}classify/", {"impact": "needs_assessment", "reason": "Check the new furnace"})
    assert response.status_code == 200, response.content
    assert response.json()["special_audit"] is not None and certificate(world).state == "valid"
    body = assert_problem(post(cb, f"{base}close/", {"reason": "Done", "reinstate": True}), 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["reinstate"]
    assert cb.get(base).json()["state"] == "under_assessment"  # the refused close left it as it was
    assert post(cb, f"{base}close/", {"reason": "Special audit passed"}).json()["state"] == "closed"


# --- SV-03: complaints are reviewed at audits ------------------------------------------------------------


@pytest.mark.req("SV-03")
def test_complaints_are_reviewed_at_the_next_audit_and_marked_when_it_closes(world):
    cb = cb_api(world)
    mf = mf_api(world)
    fixture_complaint = world.a.records[Complaint]  # received today
    body = {
        "certificate": world.a.records[Certificate].pk,
        "kind": "customer_complaint",
        "received_on": (today() - timedelta(days=3)).isoformat(),
        "source": "Automotive customer",
        "description": "Cracked capacitors after reflow.",
    }
    assert_problem(post(mf, "/api/v1/complaints/", body), 403, "forbidden")
    assert_problem(
        post(cb, "/api/v1/complaints/", {**body, "received_on": (today() + timedelta(days=1)).isoformat()}),
        400,
        "validation_failed",
    )
    response = post(cb, "/api/v1/complaints/", body)
    assert response.status_code == 201, response.content
    complaint = response.json()
    assert (complaint["manufacturer"], complaint["reviewed_in"]) == (world.a.manufacturer.pk, None)

    fixture_audit_out_of_the_way(world, cb)
    audit = plan(world, cb)
    base = run_to_report(world, cb, audit["id"])
    to_review = {c["id"] for c in cb.get(base).json()["complaints_to_review"]}
    assert to_review == {complaint["id"], fixture_complaint.pk}
    assert {c["id"] for c in cb.get("/api/v1/complaints/?reviewed=false").json()["results"]} == to_review
    report(cb, base)
    assert post(cb, f"{base}close/", {"reason": "Complaints reviewed"}).status_code == 200

    for complaint_id in to_review:
        assert cb.get(f"/api/v1/complaints/{complaint_id}/").json()["reviewed_in"] == audit["id"]
    assert {c["id"] for c in cb.get(base).json()["complaints_to_review"]} == to_review  # what it reviewed
    assert cb.get("/api/v1/complaints/?reviewed=false").json()["results"] == []
    assert {c["id"] for c in mf.get(f"/api/v1/complaints/?reviewed_in={audit['id']}").json()["results"]} == to_review
    # A complaint received afterwards waits for the next audit.
    late = post(cb, "/api/v1/complaints/", {**body, "received_on": today().isoformat()}).json()
    assert late["reviewed_in"] is None


# --- SV-07: the frequency follows the record, in words -----------------------------------------------------


@pytest.mark.req("SV-07")
def test_the_frequency_is_explained_and_increases_after_a_major_nonconformity(world):
    cb = cb_api(world)
    mf = mf_api(world)
    url = f"/api/v1/audits/frequency/?manufacturer={world.a.manufacturer.pk}&certification_body={world.a.cb.pk}"
    normal = cb.get(url).json()
    assert (normal["level"], normal["label"], normal["months"]) == (
        "normal",
        "Normal",
        settings.IECQ_SURVEILLANCE_NORMAL_MONTHS,
    )
    assert normal["counts"] == {
        "major": 0,
        "minor": 1,
        "complaints": 1,
        "failed_samples": 0,
        "suspensions": 0,
        "closed_audits": 0,
    }
    assert (
        len(normal["reasons"]) == 1 and "a reduced frequency needs at least two closed audits" in normal["reasons"][0]
    )
    assert mf.get(url).json() == normal  # the manufacturer sees why, too
    own_cb = cb.get(f"/api/v1/audits/frequency/?manufacturer={world.a.manufacturer.pk}")
    assert own_cb.status_code == 200 and own_cb.json() == normal  # a CB asks about its own record by default

    base = run_to_report(world, cb, world.a.records[SurveillanceAudit].pk, role="member")  # the fixture has a lead
    finding = {
        "audit": world.a.records[SurveillanceAudit].pk,
        "grade": "major",
        "requirement": "8.3",
        "description": "x",
    }
    assert post(cb, "/api/v1/nonconformities/", finding).status_code == 201
    increased = cb.get(url).json()
    assert (increased["level"], increased["months"]) == ("increased", settings.IECQ_SURVEILLANCE_INCREASED_MONTHS)
    assert increased["reasons"] == ["1 major nonconformity(ies) in the last three years"]
    assert increased["counts"]["major"] == 1
    # Closing the audit sets the next one at the increased frequency.
    report(cb, base)
    assert post(cb, f"{base}close/", {"reason": "Reviewed"}).status_code == 200
    assert certificate(world).next_audit_due == add_months(today(), settings.IECQ_SURVEILLANCE_INCREASED_MONTHS)


@pytest.mark.req("SV-07")
@pytest.mark.req("PL-01")
def test_the_frequency_is_shown_only_to_those_who_see_the_record(world):
    path = "/api/v1/audits/frequency/"
    mine = f"manufacturer={world.a.manufacturer.pk}&certification_body={world.a.cb.pk}"
    assert_problem(token_client(world.b.tokens["manufacturer"][0]).get(f"{path}?{mine}"), 404, "not_found")
    assert_problem(token_client(world.b.tokens["cb"][0]).get(f"{path}?{mine}"), 404, "not_found")
    assert_problem(session(world.b.users[Role.SB_VIEWER][0]).get(f"{path}?{mine}"), 404, "not_found")
    assert session(world.a.users[Role.SB_VIEWER][0]).get(f"{path}?{mine}").status_code == 200
    # A CB does not learn another CB's record with its client; a manufacturer must name the CB.
    other_cb = f"manufacturer={world.a.manufacturer.pk}&certification_body={world.public_cb.pk}"
    assert_problem(token_client(world.a.tokens["cb"][0]).get(f"{path}?{other_cb}"), 403, "forbidden")
    body = assert_problem(mf_api(world).get(f"{path}?manufacturer={world.a.manufacturer.pk}"), 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["certification_body"]
    body = assert_problem(cb_api(world).get(path), 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["manufacturer"]
    assert_problem(cb_api(world).get(f"{path}?manufacturer=987654"), 404, "not_found")


# --- PL-01: other tenants see nothing -----------------------------------------------------------------------


@pytest.mark.req("PL-01")
@pytest.mark.req("SV-01")
@pytest.mark.req("SV-04")
@pytest.mark.req("SV-05")
def test_other_manufacturers_and_foreign_supervisors_get_404(world):
    records = world.a.records
    paths = [
        f"/api/v1/audits/{records[SurveillanceAudit].pk}/",
        f"/api/v1/audits/{records[SurveillanceAudit].pk}/team/",
        f"/api/v1/audits/{records[SurveillanceAudit].pk}/history/",
        f"/api/v1/nonconformities/{records[Nonconformity].pk}/",
        f"/api/v1/nonconformities/{records[Nonconformity].pk}/history/",
        f"/api/v1/pcns/{records[ProcessChangeNotification].pk}/",
        f"/api/v1/pcns/{records[ProcessChangeNotification].pk}/history/",
        f"/api/v1/pcn-documents/{records[PCNDocument].pk}/",
        f"/api/v1/pcn-documents/{records[PCNDocument].pk}/download/",
        f"/api/v1/samples/{records[ProductSample].pk}/",
        f"/api/v1/complaints/{records[Complaint].pk}/",
    ]
    other_manufacturer = token_client(world.b.tokens["manufacturer"][0])
    foreign_supervisor = session(world.b.users[Role.SB_VIEWER][0])  # Germany; side A is in Great Britain
    own_supervisor = session(world.a.users[Role.SB_VIEWER][0])
    for path in paths:
        assert_problem(other_manufacturer.get(path), 404, "not_found")
        assert_problem(foreign_supervisor.get(path), 404, "not_found")
        assert own_supervisor.get(path).status_code == 200, path  # so the 404s above mean something
    for collection in ("audits", "nonconformities", "pcns", "pcn-documents", "samples", "complaints"):
        for client in (other_manufacturer, foreign_supervisor):
            response = client.get(f"/api/v1/{collection}/")
            assert response.status_code == 200 and "Alphaside" not in response.content.decode(), collection
        assert own_supervisor.get(f"/api/v1/{collection}/").json()["results"], collection
    nc = records[Nonconformity].pk
    assert_problem(
        post(other_manufacturer, f"/api/v1/nonconformities/{nc}/respond/", {"corrective_action": "x"}), 404, "not_found"
    )
    pcn = records[ProcessChangeNotification].pk
    assert_problem(post(foreign_supervisor, f"/api/v1/pcns/{pcn}/close/", {"reason": "x"}), 404, "not_found")
    # The supervisory body of the country sees, but decides nothing.
    assert_problem(
        post(own_supervisor, f"/api/v1/pcns/{pcn}/classify/", {"impact": "no_impact", "reason": "x"}), 403, "forbidden"
    )
    with scope(SYSTEM):
        assert Nonconformity.objects.get(pk=nc).state == "open"
        assert ProcessChangeNotification.objects.get(pk=pcn).state == "submitted"


# --- PL-03: a page of a list costs the same few queries whatever its length ---------------------------------


@pytest.mark.req("PL-03")
def test_surveillance_lists_do_not_query_per_row(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cb = cb_api(world)
    paths = (
        "/api/v1/audits/",
        "/api/v1/nonconformities/",
        "/api/v1/samples/",
        "/api/v1/complaints/",
        "/api/v1/pcns/",
        "/api/v1/pcn-documents/",
    )

    def counts() -> list[int]:
        result = []
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                response = cb.get(path)
            assert response.status_code == 200 and response.json()["results"], path
            result.append(len(queries))
        return result

    counts()  # warm-up: the token's first use of the day is recorded once
    before = counts()
    cert = world.a.records[Certificate]
    with scope(SYSTEM):
        for i in range(3):
            audit = SurveillanceAudit.objects.create(
                certification_body=world.a.cb,
                manufacturer=world.a.manufacturer,
                certificate=cert,
                kind="special",
                trigger="other",
                due_on=today(),
            )
            sample = ProductSample.objects.create(
                certification_body=world.a.cb,
                manufacturer=world.a.manufacturer,
                certificate=cert,
                source="production",
                description=f"Sample {i}",
                taken_on=today(),
                laboratory=world.a.records[TestLaboratory],
            )
            sample.equipment.add(world.a.records[Equipment])
            Nonconformity.objects.create(
                certification_body=world.a.cb,
                manufacturer=world.a.manufacturer,
                certificate=cert,
                audit=audit,
                grade="minor",
                requirement=f"{i}",
                description="x",
                due_on=today(),
                raised_by_label="test",
            )
            Complaint.objects.create(
                certification_body=world.a.cb,
                manufacturer=world.a.manufacturer,
                certificate=cert,
                kind="field_failure",
                received_on=today(),
                source="x",
                description="x",
                recorded_by_label="test",
            )
            pcn = ProcessChangeNotification.objects.create(
                certification_body=world.a.cb,
                manufacturer=world.a.manufacturer,
                certificate=cert,
                title=f"Change {i}",
                description="x",
                planned_on=today(),
                submitted_by_label="test",
            )
            PCNDocument.objects.create(
                pcn=pcn,
                title=f"Doc {i}",
                file=f"pcn/doc-{i}.pdf",
                storage_name=f"doc-{i}.pdf",
                original_name="doc.pdf",
                content_type="application/pdf",
                size=9,
                sha256="0" * 64,
                uploaded_by_label="test",
            )
    assert counts() == before
    assert len(cb.get("/api/v1/samples/").json()["results"]) == 4


@pytest.mark.req("SV-03")
def test_an_audit_reviews_only_complaints_received_up_to_its_date(world):
    cb = cb_api(world)
    audit = world.a.records[SurveillanceAudit]  # planned, with the fixture complaint received today
    base = f"/api/v1/audits/{audit.pk}/"
    fixture_complaint = world.a.records[Complaint]
    with scope(SYSTEM):  # about another client of the same CB: reviewed at that client's audits
        Complaint.objects.create(
            certification_body=world.a.cb,
            manufacturer=world.b.manufacturer,
            kind="customer_complaint",
            received_on=today(),
            source="x",
            description="Another client's parts",
            recorded_by_label="test",
        )
    assert [c["id"] for c in cb.get(base).json()["complaints_to_review"]] == [fixture_complaint.pk]
    # Only this manufacturer's complaints to this CB, even for the operator, who sees side B's too.
    assert [c["id"] for c in world.operator_api().get(base).json()["complaints_to_review"]] == [fixture_complaint.pk]
    earlier = post(
        cb,
        "/api/v1/complaints/",
        {
            "certificate": world.a.records[Certificate].pk,
            "kind": "field_failure",
            "received_on": (today() - timedelta(days=3)).isoformat(),
            "source": "Distributor",
            "description": "Open circuits in the field.",
        },
    ).json()
    yesterday = (today() - timedelta(days=1)).isoformat()
    assert cb.patch(base, {"scheduled_for": yesterday}, format="json").status_code == 200
    assert [c["id"] for c in cb.get(base).json()["complaints_to_review"]] == [earlier["id"]]
