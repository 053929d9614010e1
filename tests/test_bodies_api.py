"""The bodies API: reference data, CB approval, auditors, laboratories and oversight (CB-01 … CB-10, PL-03)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bodies.choices import REQUIREMENT_TABLE
from bodies.choices import CertificationBodyState as S
from bodies.models import (
    AccreditationBody,
    Auditor,
    CBAssessment,
    CBSuspensionRequest,
    CertificationBody,
    LabAction,
    ProficiencyRound,
    RequirementAssessment,
    Technology,
    TestLaboratory,
)
from iecq.dates import add_months
from iecq.roles import Role
from iecq.tenancy import scope

from .conftest import token_client
from .factories import SYSTEM, make_token, qualify_for_approval
from .test_api import assert_problem

API = "/api/v1"
MISSING_PK = 987_654_321


def today():
    return timezone.now().date()


def cb_api(side):
    """Side's CB administrator, through an all-scopes API token."""
    return token_client(side.tokens["cb"][0])


def supervisor_api(side):
    """Side's national supervisory body, through an API token of its viewer."""
    user, _p = side.users[Role.SB_VIEWER]
    return token_client(make_token(side.supervisor_org, Role.SB_VIEWER, user)[0])


def capacitors() -> Technology:
    return Technology.objects.get(code="capacitors")


def created(response) -> dict:
    assert response.status_code == 201, response.content
    return response.json()


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def error_fields(body: dict) -> set[str]:
    return {e["field"] for e in body["errors"]}


# --- reference data -----------------------------------------------------------------------------------


@pytest.mark.req("PL-03")
def test_the_operator_maintains_reference_data_and_nobody_else_may(world, api):
    operator = world.operator_api()
    tech = created(operator.post(f"{API}/technologies/", {"code": "resistors", "name": "Resistors"}, format="json"))
    changed = ok(operator.patch(f"{API}/technologies/{tech['id']}/", {"description": "Fixed resistors"}, format="json"))
    assert changed == {**tech, "description": "Fixed resistors"}
    scheme = created(
        operator.post(
            f"{API}/schemes/",
            {"code": "iecq-ap", "name": "IECQ AP", "document_reference": "IECQ 03-1", "edition": "4.0"},
            format="json",
        )
    )
    body = created(
        operator.post(
            f"{API}/accreditation-bodies/",
            {"name": "Swiss Accreditation Service", "acronym": "SAS", "country": "CH", "iaf_mla_signatory": True},
            format="json",
        )
    )
    assert body["iaf_mla_signatory"] is True and body["iaf_mla_product_certification"] is False
    round_ = created(
        operator.post(
            f"{API}/proficiency-rounds/",
            {
                "provider": "PTB",
                "code": "PT-R-1",
                "title": "Resistance",
                "held_on": str(today()),
                "technology": tech["id"],
            },
            format="json",
        )
    )
    assert round_["technology"] == tech["id"]

    # Anybody reads reference data, signed in or not.
    assert "Resistors" in [t["name"] for t in api.get(f"{API}/technologies/").json()["results"]]
    assert ok(api.get(f"{API}/schemes/{scheme['id']}/"))["edition"] == "4.0"
    assert [r["code"] for r in api.get(f"{API}/proficiency-rounds/?technology={tech['id']}").json()["results"]] == [
        "PT-R-1"
    ]

    cb = cb_api(world.a)
    assert_problem(
        cb.post(f"{API}/technologies/", {"code": "diodes", "name": "Diodes"}, format="json"), 403, "forbidden"
    )
    assert_problem(cb.patch(f"{API}/technologies/{tech['id']}/", {"name": "Mine"}, format="json"), 403, "forbidden")
    assert_problem(
        cb.patch(f"{API}/accreditation-bodies/{body['id']}/", {"iaf_mla_product_certification": True}, format="json"),
        403,
        "forbidden",
    )
    assert_problem(api.post(f"{API}/schemes/", {"code": "x"}, format="json"), 401, "not_authenticated")
    assert not Technology.objects.filter(code="diodes").exists()
    assert Technology.objects.get(pk=tech["id"]).name == "Resistors"
    # A proficiency round is announced, never edited: PATCH is not offered.
    assert operator.patch(f"{API}/proficiency-rounds/{round_['id']}/", {"title": "x"}, format="json").status_code == 405


@pytest.mark.req("PL-03")
def test_reference_data_refuses_duplicates_and_unknown_records(world):
    operator = world.operator_api()
    body = assert_problem(
        operator.post(f"{API}/technologies/", {"code": "CAPACITORS", "name": "Caps"}, format="json"),
        400,
        "validation_failed",
    )
    assert error_fields(body) == {"code"}
    assert_problem(operator.get(f"{API}/technologies/{MISSING_PK}/"), 404, "not_found")
    assert_problem(operator.patch(f"{API}/schemes/{MISSING_PK}/", {"edition": "5"}, format="json"), 404, "not_found")


# --- CB approval (CB-01, CB-06, CB-07) ------------------------------------------------------------------


@pytest.mark.req("CB-01")
@pytest.mark.req("CB-06")
@pytest.mark.req("CB-07")
def test_approval_is_refused_with_its_reasons_until_accreditation_and_assessments_are_recorded(world):
    operator = world.operator_api()
    cb = created(
        operator.post(
            f"{API}/certification-bodies/",
            {"name": "Rhein Zertifizierung", "country": "DE", "technologies": [capacitors().pk]},
            format="json",
        )
    )
    assert cb["state"] == S.APPLIED and cb["technologies"] == [capacitors().pk] and cb["approved_on"] is None
    url = f"{API}/certification-bodies/{cb['id']}"
    ok(operator.post(f"{url}/start-assessment/", {"reason": "file complete"}, format="json"))

    blockers = ok(operator.get(f"{url}/approval-blockers/"))
    assert blockers["approvable"] is False
    assert sum(b.startswith("CB-01") for b in blockers["blockers"]) == 1
    assert sum(b.startswith("CB-06") for b in blockers["blockers"]) == 5
    refused = assert_problem(operator.post(f"{url}/approve/", {}, format="json"), 409, "conditions_not_met")
    assert [e["message"] for e in refused["errors"]] == blockers["blockers"]
    assert {e["field"] for e in refused["errors"]} == {"conditions"}

    # An accreditation from a body that does not sign the MLA for product certification does not count (CB-01).
    dakks = created(
        operator.post(
            f"{API}/accreditation-bodies/",
            {"name": "Deutsche Akkreditierungsstelle", "acronym": "DAkkS", "country": "DE", "iaf_mla_signatory": True},
            format="json",
        )
    )
    accreditation = created(
        operator.post(
            f"{API}/accreditations/",
            {
                "certification_body": cb["id"],
                "accreditation_body": dakks["id"],
                "certificate_number": "D-ZE-12345-01",
                "scope": "Product certification of electronic components",
                "valid_from": str(today() - timedelta(days=10)),
                "valid_until": str(today() + timedelta(days=700)),
            },
            format="json",
        )
    )
    assert accreditation["in_force"] is False
    assert any(b.startswith("CB-01") for b in ok(operator.get(f"{url}/approval-blockers/"))["blockers"])
    ok(
        operator.patch(
            f"{API}/accreditation-bodies/{dakks['id']}/", {"iaf_mla_product_certification": True}, format="json"
        )
    )
    assert ok(operator.get(f"{API}/accreditations/{accreditation['id']}/"))["in_force"] is True
    assert not any(b.startswith("CB-01") for b in ok(operator.get(f"{url}/approval-blockers/"))["blockers"])

    for category, (_criteria, methods) in REQUIREMENT_TABLE.items():
        created(
            operator.post(
                f"{API}/requirement-assessments/",
                {
                    "certification_body": cb["id"],
                    "category": category,
                    "method": methods[-1],
                    "result": "verified",
                    "evidence": f"{category} examined on site",
                    "assessed_on": str(today()),
                },
                format="json",
            )
        )
    assert ok(operator.get(f"{url}/approval-blockers/")) == {"approvable": True, "blockers": []}
    approved = ok(operator.post(f"{url}/approve/", {"reason": "all five categories verified"}, format="json"))
    assert approved["state"] == S.APPROVED
    assert approved["approved_on"] == str(today())
    assert approved["approval_valid_until"] > str(today()) and approved["next_surveillance_due"] > str(today())
    history = ok(operator.get(f"{url}/history/"))
    assert [(h["transition"], h["reason"]) for h in history] == [
        ("start_assessment", "file complete"),
        ("approve", "all five categories verified"),
    ]


@pytest.mark.req("CB-06")
def test_a_not_verified_category_keeps_blocking_approval(world):
    operator = world.operator_api()
    qualify_for_approval(world.a.cb)
    created(
        operator.post(
            f"{API}/requirement-assessments/",
            {
                "certification_body": world.a.cb.pk,
                "category": "quality_system",
                "method": "full_quality_system_audit",
                "result": "not_verified",
                "evidence": "No management review in two years",
                "assessed_on": str(today()),
            },
            format="json",
        )
    )
    blockers = ok(operator.get(f"{API}/certification-bodies/{world.a.cb.pk}/approval-blockers/"))
    assert blockers == {"approvable": False, "blockers": ["CB-06: Quality system was not verified."]}


@pytest.mark.req("CB-01")
def test_approval_conditions_are_shown_only_to_those_who_see_the_records_behind_them(world):
    url = f"{API}/certification-bodies/{world.a.cb.pk}/approval-blockers/"
    assert ok(cb_api(world.a).get(url))["approvable"] is False
    assert ok(supervisor_api(world.a).get(url))["approvable"] is False
    # The CB's client sees the CB but not its accreditations: it would get a wrong answer, so it gets none.
    assert_problem(token_client(world.a.tokens["manufacturer"][0]).get(url), 403, "forbidden")
    assert_problem(cb_api(world.b).get(url), 404, "not_found")
    assert_problem(supervisor_api(world.b).get(url), 404, "not_found")


@pytest.mark.req("CB-02")
def test_only_the_operator_changes_a_cb_scope(world):
    resistors = created(
        world.operator_api().post(f"{API}/technologies/", {"code": "resistors", "name": "Resistors"}, format="json")
    )
    url = f"{API}/certification-bodies/{world.a.cb.pk}/"
    assert_problem(cb_api(world.a).patch(url, {"technologies": [resistors["id"]]}, format="json"), 403, "forbidden")
    changed = ok(world.operator_api().patch(url, {"technologies": [capacitors().pk, resistors["id"]]}, format="json"))
    assert sorted(changed["technologies"]) == sorted([capacitors().pk, resistors["id"]])
    assert ok(cb_api(world.a).get(url))["technologies"] == changed["technologies"]


@pytest.mark.req("PL-03")
def test_a_page_of_cbs_costs_the_same_queries_whatever_its_length(world):
    operator = world.operator_api()
    operator.get(f"{API}/certification-bodies/")  # warms per-process caches (content types, token use)
    with CaptureQueriesContext(connection) as few:
        assert len(ok(operator.get(f"{API}/certification-bodies/"))["results"]) == 3
    with scope(SYSTEM):
        for i in range(6):
            extra = CertificationBody.objects.create(name=f"Extra CB {i}", country="FR")
            extra.technologies.add(capacitors())
    with CaptureQueriesContext(connection) as many:
        assert len(ok(operator.get(f"{API}/certification-bodies/"))["results"]) == 9
    assert len(many) == len(few)


# --- auditors (CB-03, CB-04) ----------------------------------------------------------------------------


def check(client, auditor_id: int, **body) -> dict:
    return ok(client.post(f"{API}/auditors/{auditor_id}/assignment-check/", body, format="json"))


@pytest.mark.req("CB-04")
def test_assignment_check_names_an_expired_qualification_and_a_missing_competence(world):
    client = cb_api(world.a)
    auditor = world.a.records[Auditor]
    mf = world.a.manufacturer.pk
    assert check(client, auditor.pk, manufacturer=mf, technology=capacitors().pk) == {
        "assignable": True,
        "problems": [],
    }
    later = check(
        client, auditor.pk, manufacturer=mf, technology=capacitors().pk, on=str(today() + timedelta(days=400))
    )
    assert later["assignable"] is False
    assert any("qualification expired" in p for p in later["problems"])

    resistors = created(
        world.operator_api().post(f"{API}/technologies/", {"code": "resistors", "name": "Resistors"}, format="json")
    )
    answer = check(client, auditor.pk, manufacturer=mf, technology=resistors["id"])
    assert answer == {"assignable": False, "problems": ["CB-04: Alphaside Auditor is not competent in Resistors."]}


@pytest.mark.req("CB-04")
def test_a_new_auditor_becomes_assignable_once_trained_competent_and_declared(world):
    client = cb_api(world.a)
    auditor = created(
        client.post(
            f"{API}/auditors/",
            {"name": "Ada Lovelace", "email": "ada@example.org", "qualified_until": str(today() + timedelta(days=90))},
            format="json",
        )
    )
    assert auditor["certification_body"] == world.a.cb.pk and auditor["is_active"] is True
    body = {"manufacturer": world.a.manufacturer.pk, "technology": capacitors().pk}
    assert len(check(client, auditor["id"], **body)["problems"]) == 3  # training, competence, declaration
    created(
        client.post(
            f"{API}/auditor-trainings/",
            {"auditor": auditor["id"], "course": "IECQ auditor course", "completed_on": str(today()), "hours": "24"},
            format="json",
        )
    )
    created(
        client.post(
            f"{API}/auditor-competences/",
            {"auditor": auditor["id"], "technology": capacitors().pk, "since": str(today())},
            format="json",
        )
    )
    created(
        client.post(
            f"{API}/declarations/",
            {"auditor": auditor["id"], "signed_on": str(today()), "no_conflicts": True},
            format="json",
        )
    )
    assert check(client, auditor["id"], **body) == {"assignable": True, "problems": []}
    ok(client.patch(f"{API}/auditors/{auditor['id']}/", {"is_active": False}, format="json"))
    assert check(client, auditor["id"], **body)["problems"] == ["Ada Lovelace is no longer active."]


@pytest.mark.req("CB-03")
def test_a_declared_conflict_blocks_the_auditor_from_that_manufacturer(world):
    client = cb_api(world.a)
    auditor = world.a.records[Auditor]
    declaration = created(
        client.post(
            f"{API}/declarations/",
            {
                "auditor": auditor.pk,
                "signed_on": str(today()),
                "interests": "Former quality engineer there",
                "conflicted_manufacturers": [world.a.manufacturer.pk],
            },
            format="json",
        )
    )
    assert declaration["conflicted_manufacturers"] == [world.a.manufacturer.pk]
    assert declaration["declarant_name"] == "Alphaside Auditor"
    answer = check(client, auditor.pk, manufacturer=world.a.manufacturer.pk, technology=capacitors().pk)
    assert answer["assignable"] is False
    assert answer["problems"] == [
        f"CB-03: Alphaside Auditor declared a conflict of interest with this manufacturer on {today().isoformat()}."
    ]


@pytest.mark.req("CB-03")
def test_a_declaration_cannot_name_a_manufacturer_the_cb_cannot_see(world):
    client = cb_api(world.a)
    base = {"auditor": world.a.records[Auditor].pk, "signed_on": str(today()), "interests": "Shares"}
    foreign = assert_problem(
        client.post(
            f"{API}/declarations/", {**base, "conflicted_manufacturers": [world.b.manufacturer.pk]}, format="json"
        ),
        400,
        "validation_failed",
    )
    missing = assert_problem(
        client.post(f"{API}/declarations/", {**base, "conflicted_manufacturers": [MISSING_PK]}, format="json"),
        400,
        "validation_failed",
    )
    assert [e["field"] for e in foreign["errors"]] == ["conflicted_manufacturers"]
    assert [e["message"].replace(str(world.b.manufacturer.pk), "#") for e in foreign["errors"]] == [
        e["message"].replace(str(MISSING_PK), "#") for e in missing["errors"]
    ]


@pytest.mark.req("PL-01")
def test_assignment_check_answers_404_for_what_the_caller_cannot_see(world):
    client = cb_api(world.a)
    own = world.a.records[Auditor].pk
    tech = capacitors().pk
    for auditor, manufacturer in (
        (world.b.records[Auditor].pk, world.a.manufacturer.pk),
        (MISSING_PK, world.a.manufacturer.pk),
        (own, world.b.manufacturer.pk),
        (own, MISSING_PK),
    ):
        response = client.post(
            f"{API}/auditors/{auditor}/assignment-check/",
            {"manufacturer": manufacturer, "technology": tech},
            format="json",
        )
        assert_problem(response, 404, "not_found")
    body = assert_problem(
        client.post(f"{API}/auditors/{own}/assignment-check/", {"manufacturer": "x", "colour": 1}, format="json"),
        400,
        "validation_failed",
    )
    assert error_fields(body) == {"manufacturer", "technology", "colour"}


# --- laboratories (CB-05, CB-10) ----------------------------------------------------------------------


@pytest.mark.req("CB-05")
def test_an_unsatisfactory_z_score_opens_an_action_and_a_satisfactory_one_does_not(world):
    client = cb_api(world.a)
    lab = world.a.records[TestLaboratory].pk
    round_ = ProficiencyRound.objects.get(code="PT-2026-01").pk

    def record(measurand: str, z: str) -> dict:
        return created(
            client.post(
                f"{API}/proficiency-results/",
                {"round": round_, "laboratory": lab, "measurand": measurand, "z_score": z},
                format="json",
            )
        )

    bad = record("ESR at 100 kHz", "-3.000")
    assert bad["classification"] == "unsatisfactory" and bad["z_score"] == "-3.000"
    action = ok(client.get(f"{API}/lab-actions/{bad['action']}/"))
    assert action["result"] == bad["id"] and action["state"] == "open"
    good = record("Capacitance at 1 kHz", "2.000")
    assert good["classification"] == "satisfactory" and good["action"] is None
    doubtful = record("Dissipation factor", "2.500")
    assert doubtful["classification"] == "questionable" and doubtful["action"] is None
    with scope(SYSTEM):
        assert not LabAction.objects.filter(result_id__in=[good["id"], doubtful["id"]]).exists()
    listed = client.get(f"{API}/proficiency-results/?laboratory={lab}&unsatisfactory=true").json()["results"]
    assert {r["measurand"] for r in listed} == {"ESR at 100 kHz", "Alphaside capacitance"}

    assert_problem(
        client.post(f"{API}/lab-actions/{bad['action']}/close/", {}, format="json"), 400, "validation_failed"
    )
    closed = ok(
        client.post(
            f"{API}/lab-actions/{bad['action']}/close/", {"reason": "Fixture re-made, PT-R2 z=0.4"}, format="json"
        )
    )
    assert closed["state"] == "closed" and closed["closed_on"] == str(today())
    assert [h["transition"] for h in ok(client.get(f"{API}/lab-actions/{bad['action']}/history/"))] == ["close"]


@pytest.mark.req("CB-10")
def test_equipment_shows_overdue_calibration_until_it_is_calibrated(world):
    client = cb_api(world.a)
    lab = world.a.records[TestLaboratory].pk

    def add(asset: str, calibrated_on) -> dict:
        return created(
            client.post(
                f"{API}/equipment/",
                {
                    "laboratory": lab,
                    "name": "LCR meter",
                    "asset_number": asset,
                    "calibrated_on": str(calibrated_on),
                    "certificate_reference": f"CAL-{asset}",
                    "calibration_interval_months": 12,
                },
                format="json",
            )
        )

    overdue = add("LCR-OLD", add_months(today(), -13))
    current = add("LCR-NEW", today())
    assert overdue["calibration_overdue"] is True
    assert overdue["calibration_due_on"] == str(add_months(today(), -1))
    assert current["calibration_overdue"] is False
    assert current["calibration_due_on"] == str(add_months(today(), 12))
    due = client.get(f"{API}/equipment/?calibration_due_before={today()}").json()["results"]
    assert [e["asset_number"] for e in due] == ["LCR-OLD"]

    record = created(
        client.post(
            f"{API}/calibration-records/",
            {"equipment": overdue["id"], "calibrated_on": str(today()), "certificate_reference": "CAL-2"},
            format="json",
        )
    )
    assert record["due_on"] == str(add_months(today(), 12))
    again = ok(client.get(f"{API}/equipment/{overdue['id']}/"))
    assert again["calibration_overdue"] is False and again["last_calibrated_on"] == str(today())


@pytest.mark.req("CB-10")
def test_a_laboratory_is_registered_for_the_own_cb_and_keeps_its_country(world):
    client = cb_api(world.a)
    lab = created(client.post(f"{API}/laboratories/", {"name": "Severn Test House", "country": "GB"}, format="json"))
    assert lab["owner"] == world.a.cb.pk and lab["is_active"] is True
    body = assert_problem(
        client.patch(f"{API}/laboratories/{lab['id']}/", {"country": "FR", "is_active": False}, format="json"),
        400,
        "validation_failed",
    )
    assert error_fields(body) == {"country"}
    assert (
        ok(client.patch(f"{API}/laboratories/{lab['id']}/", {"is_active": False}, format="json"))["is_active"] is False
    )


# --- oversight (CB-07, CB-08) -------------------------------------------------------------------------


def approve_side_a(world):
    """Side A's CB, qualified and approved, with the fixture's open suspension request declined."""
    operator = world.operator_api()
    qualify_for_approval(world.a.cb, marker="s")
    url = f"{API}/certification-bodies/{world.a.cb.pk}"
    ok(operator.post(f"{url}/start-assessment/", {}, format="json"))
    ok(operator.post(f"{url}/approve/", {}, format="json"))
    request = world.a.records[CBSuspensionRequest].pk
    declined = ok(
        operator.post(
            f"{API}/cb-suspension-requests/{request}/decline/", {"reason": "not substantiated"}, format="json"
        )
    )
    assert declined["state"] == "declined"


@pytest.mark.req("CB-07")
@pytest.mark.req("CB-08")
def test_the_supervisory_body_of_the_cb_country_oversees_it_and_another_country_cannot(world):
    approve_side_a(world)
    gb, de = supervisor_api(world.a), supervisor_api(world.b)
    cb = world.a.cb.pk
    assessment = world.a.records[CBAssessment].pk
    finding = {"certification_body": cb, "severity": "major", "description": "Auditors without valid qualification"}
    suspension = {"certification_body": cb, "reason": "Witness audit showed unqualified auditors"}

    # Germany's body sees the approved (public) CB but may not act on it; it cannot see the assessment at all.
    assert_problem(de.post(f"{API}/oversight-findings/", finding, format="json"), 403, "forbidden")
    assert_problem(de.post(f"{API}/cb-suspension-requests/", suspension, format="json"), 403, "forbidden")
    assert_problem(de.post(f"{API}/cb-assessments/{assessment}/join/", format="json"), 404, "not_found")

    recorded = created(gb.post(f"{API}/oversight-findings/", finding, format="json"))
    gb_body = recorded["supervisory_body"]
    assert gb_body is not None and recorded["recorded_by_label"].startswith("API token")
    joined = ok(gb.post(f"{API}/cb-assessments/{assessment}/join/", format="json"))
    assert joined["supervisory_participants"] == [gb_body]
    requested = created(gb.post(f"{API}/cb-suspension-requests/", suspension, format="json"))
    assert requested["state"] == "open" and requested["supervisory_body"] == gb_body
    assert_problem(de.get(f"{API}/cb-suspension-requests/{requested['id']}/"), 404, "not_found")
    assert recorded["id"] not in [f["id"] for f in de.get(f"{API}/oversight-findings/").json()["results"]]
    assert recorded["id"] in [f["id"] for f in gb.get(f"{API}/oversight-findings/").json()["results"]]
    # Requesting is not deciding: only the operator accepts.
    assert_problem(
        gb.post(f"{API}/cb-suspension-requests/{requested['id']}/accept/", {"reason": "x"}, format="json"),
        403,
        "forbidden",
    )


@pytest.mark.req("CB-07")
def test_accepting_a_suspension_request_suspends_the_cb_in_the_same_transaction(world):
    approve_side_a(world)
    operator = world.operator_api()
    cb_url = f"{API}/certification-bodies/{world.a.cb.pk}/"
    reason = {"certification_body": world.a.cb.pk, "reason": "Witness audit showed unqualified auditors"}
    first = created(supervisor_api(world.a).post(f"{API}/cb-suspension-requests/", reason, format="json"))
    accepted = ok(
        operator.post(f"{API}/cb-suspension-requests/{first['id']}/accept/", {"reason": "Confirmed"}, format="json")
    )
    assert accepted["state"] == "accepted"
    assert ok(operator.get(cb_url))["state"] == S.SUSPENDED
    last = ok(operator.get(f"{cb_url}history/"))[-1]
    assert last["transition"] == "suspend" and last["reason"].startswith("At the request of GB Supervisory Body")
    assert [h["transition"] for h in ok(operator.get(f"{API}/cb-suspension-requests/{first['id']}/history/"))] == [
        "accept"
    ]

    # A request whose effect cannot happen is not accepted either: the decision and its effect commit together.
    ok(operator.post(f"{cb_url}reinstate/", {"reason": "auditors requalified"}, format="json"))
    second = created(supervisor_api(world.a).post(f"{API}/cb-suspension-requests/", reason, format="json"))
    ok(operator.post(f"{cb_url}suspend/", {"reason": "operator acted first"}, format="json"))
    assert_problem(
        operator.post(f"{API}/cb-suspension-requests/{second['id']}/accept/", {"reason": "Agreed"}, format="json"),
        409,
        "illegal_transition",
    )
    assert ok(operator.get(f"{API}/cb-suspension-requests/{second['id']}/"))["state"] == "open"
    assert ok(operator.get(f"{API}/cb-suspension-requests/{second['id']}/history/")) == []


@pytest.mark.req("CB-08")
def test_the_operator_plans_and_completes_an_annual_surveillance(world):
    approve_side_a(world)
    operator = world.operator_api()
    planned = created(
        operator.post(
            f"{API}/cb-assessments/",
            {
                "certification_body": world.a.cb.pk,
                "kind": "annual_surveillance",
                "planned_on": str(today()),
                "lead_assessor": "M. Curie",
            },
            format="json",
        )
    )
    assert planned["state"] == "planned"
    assert_problem(
        cb_api(world.a).post(f"{API}/cb-assessments/{planned['id']}/complete/", {}, format="json"), 403, "forbidden"
    )
    done = ok(operator.post(f"{API}/cb-assessments/{planned['id']}/complete/", {}, format="json"))
    assert done["state"] == "completed" and done["completed_on"] == str(today())
    cb = ok(operator.get(f"{API}/certification-bodies/{world.a.cb.pk}/"))
    assert cb["next_surveillance_due"] == str(add_months(today(), 12))
    assert_problem(
        supervisor_api(world.a).post(f"{API}/cb-assessments/{planned['id']}/join/", format="json"),
        400,
        "validation_failed",
    )


@pytest.mark.req("PL-03")
def test_the_operator_registers_supervisory_bodies_and_decides_on_them(world):
    operator = world.operator_api()
    names = {b["country"]: b["name"] for b in operator.get(f"{API}/supervisory-bodies/").json()["results"]}
    assert names == {"GB": "GB Supervisory Body", "DE": "DE Supervisory Body"}
    body = created(
        operator.post(f"{API}/supervisory-bodies/", {"name": "COFRAC oversight", "country": "FR"}, format="json")
    )
    duplicate = assert_problem(
        operator.post(f"{API}/supervisory-bodies/", {"name": "Another", "country": "FR"}, format="json"),
        400,
        "validation_failed",
    )
    assert error_fields(duplicate) == {"country"}
    assert_problem(
        supervisor_api(world.a).post(f"{API}/supervisory-bodies/", {"name": "X", "country": "IT"}, format="json"),
        403,
        "forbidden",
    )
    deactivated = ok(
        operator.post(f"{API}/supervisory-bodies/{body['id']}/deactivate/", {"reason": "merged"}, format="json")
    )
    assert deactivated["state"] == "inactive"
    assert [b["country"] for b in operator.get(f"{API}/supervisory-bodies/?state=inactive").json()["results"]] == ["FR"]
    assert [h["transition"] for h in ok(operator.get(f"{API}/supervisory-bodies/{body['id']}/history/"))] == [
        "deactivate"
    ]


@pytest.mark.req("PL-03")
def test_supervisory_bodies_are_listed_publicly(world, api):
    for client in (api, cb_api(world.a), supervisor_api(world.b)):
        names = {b["country"]: b["name"] for b in client.get(f"{API}/supervisory-bodies/").json()["results"]}
        assert names == {"GB": "GB Supervisory Body", "DE": "DE Supervisory Body"}


# --- invalid input (PL-03) ----------------------------------------------------------------------------


@pytest.mark.req("PL-03")
@pytest.mark.req("CB-06")
def test_requirement_assessments_refuse_bad_dates_unknown_categories_and_foreign_methods(world):
    operator = world.operator_api()
    valid = {
        "certification_body": world.a.cb.pk,
        "category": "organizational",
        "method": "documentation_review",
        "result": "verified",
        "evidence": "Articles of association",
        "assessed_on": str(today()),
    }
    url = f"{API}/requirement-assessments/"
    with scope(SYSTEM):
        before = RequirementAssessment.objects.count()
    body = assert_problem(
        operator.post(url, {**valid, "category": "astrology", "assessed_on": "2026-02-30"}, format="json"),
        400,
        "validation_failed",
    )
    assert error_fields(body) == {"category", "assessed_on"}
    body = assert_problem(
        operator.post(url, {**valid, "method": "witness_audit"}, format="json"), 400, "validation_failed"
    )
    assert error_fields(body) == {"method"}
    body = assert_problem(
        operator.post(url, {**valid, "assessed_on": str(today() + timedelta(days=1))}, format="json"),
        400,
        "validation_failed",
    )
    assert error_fields(body) == {"assessed_on"}
    body = assert_problem(operator.post(url, {**valid, "assessed_by": 1}, format="json"), 400, "validation_failed")
    assert error_fields(body) == {"assessed_by"}
    with scope(SYSTEM):
        assert RequirementAssessment.objects.count() == before
    # An assessment is recorded, never edited.
    own = world.a.records[RequirementAssessment].pk
    assert operator.patch(f"{url}{own}/", {"result": "not_verified"}, format="json").status_code == 405
    # Only the operator assesses.
    assert_problem(cb_api(world.a).post(url, valid, format="json"), 403, "forbidden")


@pytest.mark.req("PL-03")
@pytest.mark.req("CB-01")
def test_accreditations_refuse_bad_periods_foreign_cbs_and_fields_out_of_place(world):
    client = cb_api(world.a)
    valid = {
        "certification_body": world.a.cb.pk,
        "accreditation_body": AccreditationBody.objects.get(acronym="UKAS").pk,
        "certificate_number": "UKAS-0999",
        "scope": "Product certification",
        "valid_from": str(today()),
        "valid_until": str(today() + timedelta(days=365)),
    }
    url = f"{API}/accreditations/"
    body = assert_problem(
        client.post(url, {**valid, "valid_until": str(today() - timedelta(days=1))}, format="json"),
        400,
        "validation_failed",
    )
    assert error_fields(body) == {"valid_until"}
    body = assert_problem(
        client.post(url, {**valid, "valid_from": "yesterday"}, format="json"), 400, "validation_failed"
    )
    assert error_fields(body) == {"valid_from"}
    body = assert_problem(
        client.post(url, {**valid, "withdrawn_on": str(today())}, format="json"), 400, "validation_failed"
    )
    assert error_fields(body) == {"withdrawn_on"}
    foreign = assert_problem(
        client.post(url, {**valid, "certification_body": world.b.cb.pk}, format="json"), 400, "validation_failed"
    )
    missing = assert_problem(
        client.post(url, {**valid, "certification_body": MISSING_PK}, format="json"), 400, "validation_failed"
    )
    assert [(e["field"], e["code"]) for e in foreign["errors"]] == [("certification_body", "does_not_exist")]
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [("certification_body", "does_not_exist")]

    recorded = created(client.post(url, valid, format="json"))
    assert recorded["in_force"] is True
    body = assert_problem(
        client.patch(f"{url}{recorded['id']}/", {"certificate_number": "UKAS-1"}, format="json"),
        400,
        "validation_failed",
    )
    assert error_fields(body) == {"certificate_number"}
    withdrawn = ok(client.patch(f"{url}{recorded['id']}/", {"withdrawn_on": str(today())}, format="json"))
    assert withdrawn["withdrawn_on"] == str(today()) and withdrawn["in_force"] is False


@pytest.mark.req("PL-03")
def test_unknown_fields_are_refused_and_nothing_is_created(world):
    client = cb_api(world.a)
    response = client.post(
        f"{API}/auditors/",
        {
            "name": "Eve",
            "email": "eve@example.org",
            "qualified_until": str(today() + timedelta(days=30)),
            "is_active": True,
            "clearance": "top",
        },
        format="json",
    )
    body = assert_problem(response, 400, "validation_failed")
    assert error_fields(body) == {"clearance", "is_active"}
    with scope(SYSTEM):
        assert not Auditor.objects.filter(email="eve@example.org").exists()
    body = assert_problem(
        client.post(
            f"{API}/auditor-trainings/",
            {"auditor": world.a.records[Auditor].pk, "course": "x", "completed_on": "31/12/2025", "hours": "0"},
            format="json",
        ),
        400,
        "validation_failed",
    )
    assert error_fields(body) == {"completed_on", "hours"}


@pytest.mark.req("CB-04")
@pytest.mark.req("PL-03")
def test_a_read_only_token_may_ask_the_assignment_check_but_not_write(world):
    user, _p = world.a.users[Role.CB_ADMIN]
    token, _p = make_token(world.a.cb_org, Role.CB_CERTIFICATION_MANAGER, user, scopes=["bodies:read"])
    client = token_client(token)
    auditor = world.a.records[Auditor]
    with scope(SYSTEM):
        technology = Technology.objects.get(code="capacitors")
    answer = client.post(
        f"{API}/auditors/{auditor.pk}/assignment-check/",
        {"manufacturer": world.a.manufacturer.pk, "technology": technology.pk},
        format="json",
    )
    assert answer.status_code == 200 and answer.json()["assignable"] is True
    refused = client.patch(f"{API}/auditors/{auditor.pk}/", {"experience": "x"}, format="json")
    assert refused.status_code == 403
