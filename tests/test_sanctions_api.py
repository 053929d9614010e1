"""The sanctions API (SA-01 … SA-06, PL-03): corrective action requests, supervisory requests to suspend a
certificate, appeals, defect reports and the public bulletin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from certification.models import Certificate
from iecq.models import TransitionLog
from iecq.roles import Role
from iecq.tenancy import scope
from iecq.transitions import log_append
from sanctions.bulletin import notice_publish
from sanctions.models import (
    Appeal,
    CertificateSuspensionRequest,
    CorrectiveActionRequest,
    DefectReport,
)
from surveillance.models import ProcessChangeNotification, SurveillanceAudit

from .conftest import token_client
from .factories import SYSTEM
from .test_api import assert_problem


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


def fresh(model, pk):
    with scope(SYSTEM):
        return model.objects.get(pk=pk)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- corrective action requests (SA-01) ---------------------------------------------------------------------


@pytest.mark.req("SA-01")
@pytest.mark.req("PL-03")
def test_a_car_is_issued_answered_by_the_manufacturer_and_accepted_by_the_cb(world):
    cb, mf = cb_api(world), mf_api(world)
    cert = world.a.records[Certificate]
    due = today() + timedelta(days=14)
    response = post(
        cb, "/api/v1/cars/", {"certificate": cert.pk, "request": "Show the calibration of line 2", "due_on": str(due)}
    )
    assert response.status_code == 201, response.content
    car = response.json()
    assert (car["state"], car["due_on"], car["manufacturer"], car["certificate_number"]) == (
        "issued",
        due.isoformat(),
        world.a.manufacturer.pk,
        cert.number,
    )
    assert car["number"].startswith("CAR-") and car["overdue"] is False
    base = f"/api/v1/cars/{car['id']}/"

    assert_problem(post(cb, f"{base}accept/", {"reason": "Nothing to accept yet"}), 409, "illegal_transition")
    assert_problem(post(mf, f"{base}respond/", {"response": "  "}), 400, "validation_failed")
    response = post(mf, f"{base}respond/", {"response": "Calibration records attached; QP-12 revised"})
    assert response.status_code == 200 and response.json()["state"] == "responded", response.content

    assert_problem(post(mf, f"{base}accept/", {"reason": "We accept our own answer"}), 403, "forbidden")
    assert fresh(CorrectiveActionRequest, car["id"]).state == "responded"

    response = post(cb, f"{base}accept/", {"reason": "Records verified"})
    assert response.status_code == 200 and response.json()["state"] == "accepted", response.content
    history = cb.get(f"{base}history/").json()
    assert [(h["transition"], h["target"], h["reason"]) for h in history] == [
        ("respond", "responded", "Response submitted."),
        ("accept", "accepted", "Records verified"),
    ]
    assert mf.get(base).json()["response"] == "Calibration records attached; QP-12 revised"


@pytest.mark.req("SA-01")
@pytest.mark.req("PL-03")
def test_only_the_cb_issues_cars_and_a_sent_back_response_is_awaited_again(world):
    cb, mf = cb_api(world), mf_api(world)
    cert = world.a.records[Certificate]
    assert_problem(post(mf, "/api/v1/cars/", {"certificate": cert.pk, "request": "x"}), 403, "forbidden")
    body = assert_problem(post(cb, "/api/v1/cars/", {"request": "About what?"}), 400, "validation_failed")
    assert {e["field"] for e in body["errors"]} == {"certificate"}
    past = (today() - timedelta(days=1)).isoformat()
    body = assert_problem(
        post(cb, "/api/v1/cars/", {"certificate": cert.pk, "request": "x", "due_on": past}), 400, "validation_failed"
    )
    assert {e["field"] for e in body["errors"]} == {"due_on"}

    car = world.a.records[CorrectiveActionRequest]
    assert post(mf, f"/api/v1/cars/{car.pk}/respond/", {"response": "Done"}).status_code == 200
    response = post(cb, f"/api/v1/cars/{car.pk}/send-back/", {"reason": "No evidence attached"})
    assert response.status_code == 200 and response.json()["state"] == "issued", response.content


@pytest.mark.req("SA-01")
@pytest.mark.req("PL-03")
def test_car_lists_filter_by_state_due_date_and_overdue(world):
    cb = cb_api(world)
    fixture = world.a.records[CorrectiveActionRequest]
    cert = world.a.records[Certificate]
    later = post(
        cb, "/api/v1/cars/", {"certificate": cert.pk, "request": "Later", "due_on": str(today() + timedelta(60))}
    )
    later_id = later.json()["id"]
    with scope(SYSTEM):  # the fixture's CAR was due yesterday and never answered
        CorrectiveActionRequest.objects.filter(pk=fixture.pk).update(due_on=today() - timedelta(days=1))

    assert ids(cb.get("/api/v1/cars/?overdue=true")) == {fixture.pk}
    assert ids(cb.get("/api/v1/cars/?overdue=false")) == {later_id}
    assert cb.get(f"/api/v1/cars/{fixture.pk}/").json()["overdue"] is True
    assert ids(cb.get(f"/api/v1/cars/?due_before={today().isoformat()}")) == {fixture.pk}
    assert ids(cb.get("/api/v1/cars/?state=issued&state=responded")) == {fixture.pk, later_id}
    assert ids(cb.get("/api/v1/cars/?state=accepted")) == set()
    assert ids(cb.get(f"/api/v1/cars/?certificate={cert.pk}&manufacturer={world.a.manufacturer.pk}")) == {
        fixture.pk,
        later_id,
    }
    assert ids(cb.get(f"/api/v1/cars/?certification_body={world.b.cb.pk}")) == set()


# --- SA-06: a change found at audit that was never notified -------------------------------------------------


@pytest.mark.req("SA-06")
@pytest.mark.req("PL-03")
def test_a_change_found_at_audit_gets_a_car(world):
    auditor, _p = world.a.users[Role.CB_AUDITOR]
    audit = world.a.records[SurveillanceAudit]
    body = {"audit": audit.pk, "title": "Moulding compound changed", "description": "New supplier since March"}

    assert_problem(post(mf_api(world), "/api/v1/cars/found-at-audit/", body), 403, "forbidden")
    foreign = token_client(world.b.tokens["cb"][0])
    problem = assert_problem(post(foreign, "/api/v1/cars/found-at-audit/", body), 400, "validation_failed")
    assert {e["field"] for e in problem["errors"]} == {"audit"}

    response = post(session(auditor), "/api/v1/cars/found-at-audit/", body)
    assert response.status_code == 201, response.content
    car = response.json()
    assert car["state"] == "issued" and car["certificate"] == audit.certificate_id and "SA-06" in car["request"]
    pcn = fresh(ProcessChangeNotification, car["pcn"])
    assert pcn.found_at_audit and pcn.title == "Moulding compound changed"
    assert mf_api(world).get(f"/api/v1/cars/{car['id']}/").json()["pcn"] == pcn.pk


# --- supervisory requests to suspend, and the bulletin (SA-02, SA-03) ----------------------------------------


@pytest.mark.req("SA-02")
@pytest.mark.req("SA-03")
@pytest.mark.req("PL-03")
def test_a_supervisory_request_accepted_by_the_cb_suspends_the_certificate_and_is_published(world):
    sb_user, _p = world.a.users[Role.SB_VIEWER]
    sb_de_user, _p = world.b.users[Role.SB_VIEWER]
    sb, sb_de, cb = session(sb_user), session(sb_de_user), cb_api(world)
    cert = world.a.records[Certificate]
    body = {"certificate": cert.pk, "reason": "Market samples failed twice"}

    problem = assert_problem(post(sb, "/api/v1/certificate-suspension-requests/", body), 400, "validation_failed")
    assert "already open" in problem["errors"][0]["message"]
    fixture = world.a.records[CertificateSuspensionRequest]
    response = post(cb, f"/api/v1/certificate-suspension-requests/{fixture.pk}/decline/", {"reason": "Not founded"})
    assert response.status_code == 200 and response.json()["state"] == "declined", response.content

    problem = assert_problem(post(sb_de, "/api/v1/certificate-suspension-requests/", body), 400, "validation_failed")
    assert {e["field"] for e in problem["errors"]} == {"certificate"}
    response = post(sb, "/api/v1/certificate-suspension-requests/", body)
    assert response.status_code == 201, response.content
    request = response.json()
    assert (request["state"], request["certificate_number"], request["supervisory_body_name"]) == (
        "open",
        cert.number,
        "GB Supervisory Body",
    )
    base = f"/api/v1/certificate-suspension-requests/{request['id']}/"
    assert_problem(post(sb, f"{base}accept/", {"reason": "We decide"}), 403, "forbidden")
    assert fresh(Certificate, cert.pk).state == "valid"

    response = post(cb, f"{base}accept/", {"reason": "Confirmed by our own tests"})
    assert response.status_code == 200 and response.json()["state"] == "accepted", response.content
    assert cb.get(f"/api/v1/certificates/{cert.pk}/").json()["state"] == "suspended"

    public = APIClient()  # anybody reads the bulletin
    response = public.get(f"/api/v1/bulletin-notices/?certificate_number={cert.number.lower()}")
    assert response.status_code == 200, response.content
    [notice] = response.json()["results"]
    assert notice["kind"] == "suspension" and notice["manufacturer_name"] == "Alphaside Components"
    assert "Confirmed by our own tests" in notice["reason_summary"]
    assert ids(public.get(f"/api/v1/bulletin-notices/?number={notice['number']}")) == {notice["id"]}
    assert notice["id"] in ids(public.get(f"/api/v1/bulletin-notices/?month={timezone.now():%Y-%m}&kind=suspension"))
    assert ids(public.get("/api/v1/bulletin-notices/?month=2001-01")) == set()
    assert ids(public.get("/api/v1/bulletin-notices/?kind=withdrawal")) == set()
    assert_problem(public.get("/api/v1/bulletin-notices/?month=March"), 400, "validation_failed")
    assert_problem(post(public, "/api/v1/certificate-suspension-requests/", body), 401, "not_authenticated")


# --- appeals (SA-04) ----------------------------------------------------------------------------------------


@pytest.mark.req("SA-04")
@pytest.mark.req("PL-03")
def test_an_appeal_is_decided_by_someone_not_involved_and_upheld_reinstates_the_certificate(world):
    manager_user, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    admin_user, _p = world.a.users[Role.CB_ADMIN]
    mf = mf_api(world)
    cert = world.a.records[Certificate]
    response = post(session(manager_user), f"/api/v1/certificates/{cert.pk}/suspend/", {"reason": "Complaint"})
    assert response.status_code == 200 and response.json()["state"] == "suspended", response.content

    # The manufacturer finds the decision it may appeal; the fixture's rejection is already under appeal.
    response = mf.get("/api/v1/appeals/appealable-decisions/")
    assert response.status_code == 200, response.content
    [decision] = response.json()["results"]
    assert (decision["record_type"], decision["record_id"], decision["transition"], decision["reason"]) == (
        "certification.certificate",
        cert.pk,
        "suspend",
        "Complaint",
    )
    assert decision["appeal_until"] == (today() + timedelta(days=30)).isoformat()

    other_mf = token_client(world.b.tokens["manufacturer"][0])
    problem = assert_problem(
        post(other_mf, "/api/v1/appeals/", {"decision": decision["id"], "grounds": "x"}), 400, "validation_failed"
    )
    assert {e["field"] for e in problem["errors"]} == {"decision"}
    response = post(mf, "/api/v1/appeals/", {"decision": decision["id"], "grounds": "The complaint named another firm"})
    assert response.status_code == 201, response.content
    appeal = response.json()
    base = f"/api/v1/appeals/{appeal['id']}/"
    shown = cb_api(world).get(base).json()["decision"]
    assert (shown["transition"], shown["record"], shown["decided_by"], shown["reason"]) == (
        "suspend",
        cert.number,
        manager.label,
        "Complaint",
    )
    assert shown["decided_at"] and shown["source"] == "valid" and shown["target"] == "suspended"
    assert mf.get("/api/v1/appeals/appealable-decisions/").json()["results"] == []

    problem = assert_problem(post(session(manager_user), f"{base}uphold/", {"reason": "x"}), 403, "forbidden")
    assert "another person" in problem["detail"]
    assert_problem(post(cb_api(world), f"{base}uphold/", {"reason": "x"}), 403, "forbidden")  # a token is no person
    assert fresh(Certificate, cert.pk).state == "suspended"

    response = post(session(admin_user), f"{base}uphold/", {"reason": "Wrong supplier named"})
    assert response.status_code == 200 and response.json()["state"] == "upheld", response.content
    assert fresh(Certificate, cert.pk).state == "valid"
    notices = APIClient().get(f"/api/v1/bulletin-notices/?certificate_number={cert.number}").json()["results"]
    assert [n["kind"] for n in notices] == ["appeal_upheld", "reinstatement", "suspension"]  # newest first
    assert ids(mf.get("/api/v1/appeals/?state=upheld")) == {appeal["id"]}
    assert ids(mf.get("/api/v1/appeals/?state=lodged")) == {world.a.records[Appeal].pk}


# --- defect reports (SA-05) ---------------------------------------------------------------------------------


@pytest.mark.req("SA-05")
@pytest.mark.req("PL-03")
def test_a_defect_report_closed_with_a_special_audit_plans_one(world):
    cb = cb_api(world)
    cert = world.a.records[Certificate]
    report = world.a.records[DefectReport]
    base = f"/api/v1/defect-reports/{report.pk}/"
    response = post(cb, f"{base}investigate/", {})
    assert response.status_code == 200 and response.json()["state"] == "investigating", response.content
    problem = assert_problem(post(cb, f"{base}close/", {"reason": "Process issue"}), 400, "validation_failed")
    assert {e["field"] for e in problem["errors"]} == {"outcome"}
    assert_problem(post(mf_api(world), f"{base}close/", {"outcome": "no_action", "reason": "Fine"}), 403, "forbidden")

    response = post(cb, f"{base}close/", {"outcome": "special_audit", "reason": "Cracks point to the reflow line"})
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["outcome"]) == ("closed", "special_audit")
    audits = cb.get(f"/api/v1/audits/?kind=special&certificate={cert.pk}").json()["results"]
    assert [(a["trigger"], a["state"]) for a in audits] == [("defect", "planned")]
    assert [h["transition"] for h in cb.get(f"{base}history/").json()] == ["investigate", "close"]
    assert_problem(post(cb, f"{base}close/", {"outcome": "no_action", "reason": "again"}), 409, "illegal_transition")


@pytest.mark.req("SA-05")
@pytest.mark.req("PL-03")
def test_signed_in_organisations_report_defects_and_see_only_what_concerns_them(world):
    cert = world.a.records[Certificate]
    report = {
        "reporter_kind": "customer",
        "reporter_name": "R. Lee",
        "reporter_email": "r.lee@example.org",
        "certificate_number": cert.number,
        "component": "MLCC 0402 lot 7781",
        "description": "Cracked terminations after reflow on 3 boards",
    }
    response = post(mf_api(world), "/api/v1/defect-reports/", {**report, "reporter_kind": "manufacturer"})
    assert response.status_code == 201, response.content
    own = response.json()
    assert (own["certificate"], own["certification_body"], own["state"]) == (cert.pk, world.a.cb.pk, "received")

    # Side B's manufacturer reports a defect in side A's component: received, but it is side A's record.
    response = post(token_client(world.b.tokens["manufacturer"][0]), "/api/v1/defect-reports/", report)
    assert response.status_code == 202, response.content
    assert set(response.json()) == {"id", "certificate_number", "component", "created_at"}
    assert fresh(DefectReport, response.json()["id"]).certification_body_id == world.a.cb.pk
    assert response.json()["id"] in ids(cb_api(world).get("/api/v1/defect-reports/?state=received"))

    assert_problem(post(APIClient(), "/api/v1/defect-reports/", report), 401, "not_authenticated")
    problem = assert_problem(
        post(mf_api(world), "/api/v1/defect-reports/", {**report, "description": "bad"}), 400, "validation_failed"
    )
    assert {e["field"] for e in problem["errors"]} == {"description"}


# --- isolation (PL-01) ----------------------------------------------------------------------------------------


@pytest.mark.req("SA-01")
@pytest.mark.req("SA-02")
@pytest.mark.req("SA-04")
@pytest.mark.req("SA-05")
@pytest.mark.req("PL-01")
@pytest.mark.req("PL-03")
def test_side_b_and_the_other_countrys_supervisory_body_never_see_side_a_sanctions(world):
    records = world.a.records
    resources = {
        "cars": records[CorrectiveActionRequest].pk,
        "certificate-suspension-requests": records[CertificateSuspensionRequest].pk,
        "appeals": records[Appeal].pk,
        "defect-reports": records[DefectReport].pk,
    }
    outsiders = [(f"session:{role}", session(user)) for role, (user, _p) in world.b.users.items()]
    outsiders += [(f"token:{kind}", token_client(token)) for kind, (token, _p) in world.b.tokens.items()]
    assert any(label == f"session:{Role.SB_VIEWER}" for label, _c in outsiders)  # Germany's supervisory body
    for resource, pk in resources.items():
        for label, client in outsiders:
            assert client.get(f"/api/v1/{resource}/{pk}/").status_code == 404, (label, resource)
            assert client.get(f"/api/v1/{resource}/{pk}/history/").status_code == 404, (label, resource)
            assert pk not in ids(client.get(f"/api/v1/{resource}/")), (label, resource)
    transitions = [
        ("cars", "accept", {"reason": "x"}),
        ("cars", "respond", {"response": "x"}),
        ("certificate-suspension-requests", "accept", {"reason": "x"}),
        ("appeals", "uphold", {"reason": "x"}),
        ("defect-reports", "close", {"outcome": "no_action", "reason": "x"}),
    ]
    for resource, name, body in transitions:
        for label, client in outsiders:
            response = post(client, f"/api/v1/{resource}/{resources[resource]}/{name}/", body)
            assert response.status_code == 404, (label, resource, name, response.status_code)
    with scope(SYSTEM):
        assert CorrectiveActionRequest.objects.get(pk=resources["cars"]).state == "issued"
        assert Appeal.objects.get(pk=resources["appeals"]).state == "lodged"
    # The mirror image: Great Britain's supervisory body sees them, so the 404s above mean something.
    sb_user, _p = world.a.users[Role.SB_VIEWER]
    own = session(sb_user)
    for resource, pk in resources.items():
        assert own.get(f"/api/v1/{resource}/{pk}/").status_code == 200, resource


# --- PL-03: a page of a list costs the same few queries whatever its length -----------------------------------


@pytest.mark.req("PL-03")
def test_sanction_lists_do_not_query_per_row(world):
    cb = cb_api(world)
    paths = (
        "/api/v1/cars/",
        "/api/v1/certificate-suspension-requests/",
        "/api/v1/appeals/",
        "/api/v1/defect-reports/",
        "/api/v1/bulletin-notices/",
        "/api/v1/appeals/appealable-decisions/",
    )
    cert = world.a.records[Certificate]
    with scope(SYSTEM):
        decision = TransitionLog.objects.get(pk=world.a.records[Appeal].decision_id)

    def add_rows(tag: str) -> None:

        with scope(SYSTEM):
            CorrectiveActionRequest.objects.create(
                certification_body=world.a.cb,
                manufacturer=world.a.manufacturer,
                certificate=cert,
                number=f"CAR-{tag}",
                request="x",
                due_on=today(),
                issued_by_label="test",
            )
            CertificateSuspensionRequest.objects.create(
                certification_body=world.a.cb,
                manufacturer=world.a.manufacturer,
                certificate=cert,
                supervisory_body=world.a.records[CertificateSuspensionRequest].supervisory_body,
                reason="x",
                requested_by_label="test",
            )
            log_append(  # a decision that can still be appealed
                instance=cert,
                transition="suspend",
                source="valid",
                target="suspended",
                reason=tag,
                actor=SYSTEM,
                field="state",
            )
            Appeal.objects.create(
                certification_body=world.a.cb,
                manufacturer=world.a.manufacturer,
                decision=decision,
                grounds=tag,
                lodged_by_label="test",
                response_due_on=today(),
            )
            DefectReport.objects.create(
                certification_body=world.a.cb,
                manufacturer=world.a.manufacturer,
                certificate=cert,
                reporter_kind="public",
                reporter_name="x",
                reporter_email="x@example.org",
                component=tag,
                description="x",
            )
            notice_publish(kind="suspension", reason=tag, certificate=cert)

    def counts() -> list[int]:
        result = []
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                response = cb.get(path)
            assert response.status_code == 200 and response.json()["results"], path
            result.append(len(queries))
        return result

    add_rows("first")
    counts()  # warm-up: the token's first use of the day is recorded once
    before = counts()
    for i in range(3):
        add_rows(f"more-{i}")
    assert counts() == before
