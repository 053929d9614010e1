"""The certification API (PL-03): applications through the stages, evidence, certificates, contacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from bodies.models import (
    Auditor,
    AuditorCompetence,
    AuditorTraining,
    IndependenceDeclaration,
    Scheme,
    Technology,
)
from bodies.services import certification_body_transition
from certification.models import Application, Certificate, Evidence
from iecq.dates import add_years
from iecq.roles import Role
from iecq.tenancy import scope
from manufacturers.models import Contact, Site

from .conftest import token_client
from .factories import SYSTEM, qualify_for_approval
from .test_api import assert_problem

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def session(user) -> APIClient:
    """An API client signed in as a person (a certification decision needs one, MF-03)."""
    client = APIClient()
    client.force_login(user)
    return client


def pdf_upload(name: str = "quality manual.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@dataclass
class Ready:
    """Side A's CB approved, with what an application names."""

    scheme: Scheme
    technology: Technology
    site: Site


@pytest.fixture
def ready(world) -> Ready:
    qualify_for_approval(world.a.cb)
    _u, operator = world.operator
    for step in ("start_assessment", "approve"):
        certification_body_transition(actor=operator, pk=world.a.cb.pk, name=step, reason="test approval")
    with scope(SYSTEM):
        return Ready(
            scheme=Scheme.objects.get(code="ac"),
            technology=Technology.objects.get(code="capacitors"),
            site=Site.objects.filter(manufacturer=world.a.manufacturer).get(),
        )


def inquiry(world, ready: Ready, client=None, **extra) -> dict:
    client = client or token_client(world.a.tokens["manufacturer"][0])
    body = {
        "certification_body": world.a.cb.pk,
        "scheme": ready.scheme.pk,
        "technologies": [ready.technology.pk],
        "component_types": "Multilayer ceramic capacitors, 0402",
        "sites": [ready.site.pk],
        **extra,
    }
    response = client.post("/api/v1/applications/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def post(client, path: str, body: dict | None = None):
    return client.post(path, body or {}, format="json")


def make_auditor(world, name: str, *, user=None, qualified: bool = True, conflict: bool = False) -> Auditor:
    """An auditor of side A's CB: qualified, trained, competent and declared, unless told otherwise."""
    today = timezone.now().date()
    with scope(SYSTEM):
        auditor = Auditor.objects.create(
            certification_body=world.a.cb,
            user=user,
            name=name,
            email=f"{name.lower().replace(' ', '.')}@example.org",
            qualified_until=today + timedelta(days=365 if qualified else -1),
        )
        if qualified:
            tech = Technology.objects.get(code="capacitors")
            AuditorTraining.objects.create(auditor=auditor, course="IECQ QC 001003", completed_on=today, hours=16)
            AuditorCompetence.objects.create(auditor=auditor, technology=tech, since=today)
            declaration = IndependenceDeclaration.objects.create(
                certification_body=world.a.cb,
                declarant_name=name,
                auditor=auditor,
                signed_on=today,
                valid_until=today + timedelta(days=365),
                no_conflicts=not conflict,
            )
            if conflict:
                declaration.conflicted_manufacturers.add(world.a.manufacturer)
    return auditor


# --- MF-04 / MF-02: the manufacturer applies, uploads and submits ------------------------------------


@pytest.mark.req("MF-04")
@pytest.mark.req("MF-02")
def test_a_manufacturer_applies_uploads_evidence_and_submits(world, ready):
    mf = token_client(world.a.tokens["manufacturer"][0])
    app = inquiry(world, ready, mf)
    assert app["state"] == "inquiry" and app["reference"].startswith("APP-")
    assert app["manufacturer"] == world.a.manufacturer.pk and app["technologies"] == [ready.technology.pk]

    today = timezone.now().date().isoformat()
    upload = {"application": app["id"], "title": "Quality manual", "effective_on": today, "file": pdf_upload()}
    response = mf.post("/api/v1/evidence/", upload, format="multipart")
    assert response.status_code == 201, response.content
    evidence = response.json()
    assert evidence["stage"] == "inquiry" and evidence["content_type"] == "application/pdf"
    assert evidence["original_name"] == "quality manual.pdf" and evidence["size"] == len(PDF)

    response = post(mf, f"/api/v1/applications/{app['id']}/submit/")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "submitted" and response.json()["submitted_on"] == today

    listed = mf.get(f"/api/v1/evidence/?application={app['id']}").json()["results"]
    assert [e["id"] for e in listed] == [evidence["id"]]
    history = mf.get(f"/api/v1/applications/{app['id']}/history/").json()
    assert [(h["transition"], h["source"], h["target"]) for h in history] == [("submit", "inquiry", "submitted")]
    assert "manufacturer token" in history[0]["actor"]


@pytest.mark.req("MF-04")
def test_an_inquiry_changes_only_while_it_is_one(world, ready):
    mf = token_client(world.a.tokens["manufacturer"][0])
    app = inquiry(world, ready, mf)
    path = f"/api/v1/applications/{app['id']}/"
    response = mf.patch(path, {"component_types": "Tantalum capacitors"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["component_types"] == "Tantalum capacitors"
    body = assert_problem(
        mf.patch(path, {"certification_body": world.public_cb.pk}, format="json"), 400, "validation_failed"
    )
    assert [e["field"] for e in body["errors"]] == ["certification_body"]
    post(mf, f"{path}submit/")
    assert_problem(mf.patch(path, {"component_types": "Later"}, format="json"), 400, "validation_failed")
    with scope(SYSTEM):
        assert Application.objects.get(pk=app["id"]).component_types == "Tantalum capacitors"


@pytest.mark.req("MF-04")
def test_an_application_names_only_the_applicants_own_sites_and_visible_cbs(world, ready):
    mf = token_client(world.a.tokens["manufacturer"][0])
    with scope(SYSTEM):
        foreign_site = Site.objects.filter(manufacturer=world.b.manufacturer).get()
    body = {
        "certification_body": world.a.cb.pk,
        "scheme": ready.scheme.pk,
        "technologies": [ready.technology.pk],
        "component_types": "MLCC",
        "sites": [foreign_site.pk],
    }
    problem = assert_problem(mf.post("/api/v1/applications/", body, format="json"), 400, "validation_failed")
    assert {e["field"] for e in problem["errors"]} == {"sites"}
    body = {**body, "sites": [ready.site.pk], "certification_body": world.b.cb.pk}  # B's CB: not approved, no client
    problem = assert_problem(mf.post("/api/v1/applications/", body, format="json"), 400, "validation_failed")
    assert {e["field"] for e in problem["errors"]} == {"certification_body"}
    # CB staff record an application for a client of theirs, never for another CB's client.
    cb = token_client(world.a.tokens["cb"][0])
    recorded = inquiry(world, ready, cb, manufacturer=world.a.manufacturer.pk)
    assert recorded["manufacturer"] == world.a.manufacturer.pk
    problem = assert_problem(
        cb.post(
            "/api/v1/applications/",
            {**body, "certification_body": world.a.cb.pk, "manufacturer": world.b.manufacturer.pk},
            format="json",
        ),
        400,
        "validation_failed",
    )
    assert "manufacturer" in {e["field"] for e in problem["errors"]}


# --- MF-01 / MF-03 / CE-01: through the stages to a certificate -----------------------------------------


def to_review(world, ready) -> tuple[int, APIClient]:
    """An application submitted by the manufacturer and under review by side A's certification manager."""
    app = inquiry(world, ready)
    assert (
        post(token_client(world.a.tokens["manufacturer"][0]), f"/api/v1/applications/{app['id']}/submit/").status_code
        == 200
    )
    manager = session(world.a.users[Role.CB_CERTIFICATION_MANAGER][0])
    response = post(manager, f"/api/v1/applications/{app['id']}/start-review/")
    assert response.status_code == 200, response.content
    return app["id"], manager


@pytest.mark.req("CB-03")
@pytest.mark.req("CB-04")
def test_a_conflicted_or_unqualified_auditor_is_refused_with_every_reason(world, ready):
    app_id, manager = to_review(world, ready)
    team = f"/api/v1/applications/{app_id}/team/"

    conflicted = make_auditor(world, "Conflicted Auditor", conflict=True)
    body = assert_problem(post(manager, team, {"auditor": conflicted.pk}), 400, "auditor_not_assignable")
    assert [e["field"] for e in body["errors"]] == ["auditor"]
    assert "declared a conflict of interest" in body["errors"][0]["message"]

    unqualified = make_auditor(world, "Unqualified Auditor", qualified=False)
    body = assert_problem(
        post(manager, team, {"auditor": unqualified.pk, "role": "lead"}), 400, "auditor_not_assignable"
    )
    messages = [e["message"] for e in body["errors"]]
    assert {e["field"] for e in body["errors"]} == {"auditor"} and len(messages) == 4
    assert any("qualification expired" in m for m in messages)
    assert any("no documented training" in m for m in messages)
    assert any("not competent in" in m for m in messages)
    assert any("no declaration of interests in force" in m for m in messages)

    foreign = world.b.records[Auditor]
    body = assert_problem(post(manager, team, {"auditor": foreign.pk}), 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["auditor"]
    assert manager.get(team).json() == []

    qualified = make_auditor(world, "Qualified Auditor")
    response = post(manager, team, {"auditor": qualified.pk, "role": "lead"})
    assert response.status_code == 201, response.content
    assert manager.get(team).json()[0]["auditor_name"] == "Qualified Auditor"
    # The assignment is the CB manager's: the manufacturer sees the team but cannot change it.
    mf = token_client(world.a.tokens["manufacturer"][0])
    assert [m["role"] for m in mf.get(team).json()] == ["lead"]
    assert_problem(post(mf, team, {"auditor": qualified.pk}), 400, "validation_failed")  # invisible to it


@pytest.mark.req("MF-01")
@pytest.mark.req("MF-03")
@pytest.mark.req("CE-01")
def test_the_auditor_cannot_certify_another_manager_can_and_a_certificate_is_issued(world, ready):
    app_id, manager = to_review(world, ready)
    base = f"/api/v1/applications/{app_id}/"
    assert_problem(post(manager, f"{base}start-qms-assessment/"), 409, "conditions_not_met")  # no team yet
    manager_user = world.a.users[Role.CB_CERTIFICATION_MANAGER][0]
    make_auditor(world, "Manager Auditor", user=manager_user)
    with scope(SYSTEM):
        own_auditor = Auditor.objects.get(name="Manager Auditor")
    assert post(manager, f"{base}team/", {"auditor": own_auditor.pk, "role": "lead"}).status_code == 201

    for step, state in [
        ("start-qms-assessment", "qms_assessment"),
        ("accept-qms", "qms_accepted"),
        ("start-qualification", "technology_qualification"),
        ("start-product-certification", "product_certification"),
    ]:
        response = post(manager, f"{base}{step}/", {"reason": f"{step} done"})
        assert response.status_code == 200, (step, response.content)
        assert response.json()["state"] == state

    body = assert_problem(post(manager, f"{base}certify/", {"reason": "all stages passed"}), 403, "forbidden")
    assert "MF-03" in body["detail"]
    with scope(SYSTEM):
        assert Application.objects.get(pk=app_id).state == "product_certification"
        assert not Certificate.objects.filter(application_id=app_id).exists()
    # An API token is not a person who can be checked against the team: it may not decide either.
    body = assert_problem(post(token_client(world.a.tokens["cb"][0]), f"{base}certify/"), 403, "forbidden")
    assert "MF-03" in body["detail"]

    admin = session(world.a.users[Role.CB_ADMIN][0])
    response = post(admin, f"{base}certify/", {"reason": "all stages passed"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "certified"

    mf = token_client(world.a.tokens["manufacturer"][0])
    certificates = mf.get(f"/api/v1/certificates/?manufacturer={world.a.manufacturer.pk}").json()["results"]
    issued = [c for c in certificates if c["application"] == app_id]
    assert len(issued) == 1
    cert = issued[0]
    today = timezone.now().date()
    assert cert["number"] == f"IECQ-AC-GB{world.a.cb.pk:03d}-00001"
    assert len({c["number"] for c in certificates}) == len(certificates) == 2  # with the fixture's certificate
    assert cert["issued_on"] == today.isoformat()
    assert cert["expires_on"] == add_years(today, 3).isoformat()
    assert cert["revision"] == 1 and cert["state"] == "valid" and cert["mark_allowed"] is True
    assert cert["sites"] == [ready.site.pk] and cert["technologies"] == [ready.technology.pk]
    revisions = mf.get(f"/api/v1/certificates/{cert['id']}/revisions/").json()
    assert [r["number"] for r in revisions] == [1]
    assert revisions[0]["snapshot"]["number"] == cert["number"]

    history = mf.get(f"{base}history/").json()
    assert [h["transition"] for h in history] == [
        "submit",
        "start_review",
        "start_qms_assessment",
        "accept_qms",
        "start_qualification",
        "start_product_certification",
        "certify",
    ]
    assert history[-1]["actor"] == world.a.users[Role.CB_ADMIN][1].label


# --- CE-02 / CE-01: decisions on certificates make revisions ------------------------------------------


@pytest.mark.req("CE-02")
@pytest.mark.req("CE-01")
def test_suspend_reinstate_withdraw_make_revisions(world):
    cb = token_client(world.a.tokens["cb"][0])
    cert = world.a.records[Certificate]
    base = f"/api/v1/certificates/{cert.pk}/"

    assert_problem(post(cb, f"{base}suspend/"), 400, "validation_failed")  # a reason is required
    assert_problem(
        post(token_client(world.a.tokens["manufacturer"][0]), f"{base}suspend/", {"reason": "x"}), 403, "forbidden"
    )
    response = post(cb, f"{base}suspend/", {"reason": "Major nonconformity at audit"})
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["revision"], response.json()["mark_allowed"]) == (
        "suspended",
        2,
        False,
    )
    assert post(cb, f"{base}reinstate/", {"reason": "Corrective action verified"}).json()["state"] == "valid"
    assert post(cb, f"{base}withdraw/", {"reason": "Manufacturer ceased production"}).json()["state"] == "withdrawn"
    assert_problem(post(cb, f"{base}reinstate/", {"reason": "too late"}), 409, "illegal_transition")

    revisions = cb.get(f"{base}revisions/").json()
    assert [(r["number"], r["snapshot"].get("state"), r["reason"]) for r in revisions] == [
        (4, "withdrawn", "Manufacturer ceased production"),
        (3, "valid", "Corrective action verified"),
        (2, "suspended", "Major nonconformity at audit"),
        (1, None, "issued"),  # the fixture's first revision carries only the number
    ]
    history = cb.get(f"{base}history/").json()
    assert [(h["source"], h["target"]) for h in history] == [
        ("valid", "suspended"),
        ("suspended", "valid"),
        ("valid", "withdrawn"),
    ]
    assert cb.get("/api/v1/certificates/?state=withdrawn").json()["results"][0]["id"] == cert.pk


@pytest.mark.req("CE-01")
def test_a_scope_change_is_a_new_revision(world):
    cb = token_client(world.a.tokens["cb"][0])
    cert = world.a.records[Certificate]
    base = f"/api/v1/certificates/{cert.pk}/"
    assert_problem(post(cb, f"{base}scope/", {"component_types": "MLCC 0201"}), 400, "validation_failed")
    body = assert_problem(post(cb, f"{base}scope/", {"reason": "x", "state": "valid"}), 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["state"]
    response = post(cb, f"{base}scope/", {"reason": "Extension to 0201", "component_types": "MLCC 0201 and 0402"})
    assert response.status_code == 200, response.content
    assert response.json()["component_types"] == "MLCC 0201 and 0402" and response.json()["revision"] == 2
    latest = cb.get(f"{base}revisions/").json()[0]
    assert latest["snapshot"]["component_types"] == "MLCC 0201 and 0402" and latest["reason"] == "Extension to 0201"
    mf = token_client(world.a.tokens["manufacturer"][0])
    assert_problem(post(mf, f"{base}scope/", {"reason": "mine", "component_types": "All"}), 403, "forbidden")


@pytest.mark.req("CE-02")
def test_the_operator_transfers_a_certificate_to_another_approved_cb(world):
    cert = world.a.records[Certificate]
    base = f"/api/v1/certificates/{cert.pk}/"
    cb = token_client(world.a.tokens["cb"][0])
    operator = world.operator_api()
    body = {"to_certification_body": world.public_cb.pk, "reason": "The CB ceases its activity"}
    assert_problem(post(cb, f"{base}transfer/", body), 403, "forbidden")
    problem = assert_problem(
        post(operator, f"{base}transfer/", {**body, "to_certification_body": world.b.cb.pk}), 400, "validation_failed"
    )
    assert {e["field"] for e in problem["errors"]} == {"to_certification_body"}  # B's CB is not approved
    response = post(operator, f"{base}transfer/", body)
    assert response.status_code == 200, response.content
    assert response.json()["certification_body"] == world.public_cb.pk and response.json()["revision"] == 2
    assert operator.get(f"{base}history/").json()[-1]["transition"] == "transfer"
    assert_problem(cb.get(base), 404, "not_found")  # the former CB no longer sees it


# --- PL-01: other tenants see nothing -------------------------------------------------------------------


@pytest.mark.req("PL-01")
@pytest.mark.req("MF-05")
def test_other_manufacturers_and_foreign_supervisors_get_404(world):
    app = world.a.records[Application]
    evidence = world.a.records[Evidence]
    cert = world.a.records[Certificate]
    paths = [
        f"/api/v1/applications/{app.pk}/",
        f"/api/v1/applications/{app.pk}/history/",
        f"/api/v1/applications/{app.pk}/team/",
        f"/api/v1/evidence/{evidence.pk}/",
        f"/api/v1/evidence/{evidence.pk}/download/",
        f"/api/v1/certificates/{cert.pk}/",
        f"/api/v1/certificates/{cert.pk}/revisions/",
        f"/api/v1/certificates/{cert.pk}/pdf/",
    ]
    other_manufacturer = token_client(world.b.tokens["manufacturer"][0])
    foreign_supervisor = session(world.b.users[Role.SB_VIEWER][0])  # Germany; side A is in Great Britain
    own_supervisor = session(world.a.users[Role.SB_VIEWER][0])
    for path in paths:
        assert_problem(other_manufacturer.get(path), 404, "not_found")
        assert_problem(foreign_supervisor.get(path), 404, "not_found")
        assert own_supervisor.get(path).status_code == 200, path  # so the 404s above mean something
    for collection in ("applications", "evidence", "certificates"):
        for client in (other_manufacturer, foreign_supervisor):
            assert "Alphaside" not in client.get(f"/api/v1/{collection}/").content.decode()
    assert_problem(
        post(other_manufacturer, f"/api/v1/applications/{app.pk}/withdraw/", {"reason": "x"}), 404, "not_found"
    )
    # The supervisory body of the country sees, but decides nothing.
    assert_problem(post(own_supervisor, f"/api/v1/certificates/{cert.pk}/suspend/", {"reason": "x"}), 403, "forbidden")


# --- MF-02: evidence is stored safely and served as an attachment ----------------------------------------


@pytest.mark.req("MF-02")
def test_evidence_download_is_an_attachment_with_nosniff_and_hides_the_storage_path(world):
    cb = token_client(world.a.tokens["cb"][0])
    app = world.a.records[Application]
    upload = {
        "application": app.pk,
        "title": "Audit plan",
        "effective_on": timezone.now().date().isoformat(),
        "file": pdf_upload("audit plan.pdf"),
    }
    response = cb.post("/api/v1/evidence/", upload, format="multipart")
    assert response.status_code == 201, response.content
    metadata = response.json()
    with scope(SYSTEM):
        stored = Evidence.objects.get(pk=metadata["id"])
    assert stored.storage_name not in response.content.decode() and "file" not in metadata
    assert stored.storage_name not in cb.get(f"/api/v1/evidence/{stored.pk}/").content.decode()

    download = cb.get(metadata["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="audit plan.pdf"'
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.req("MF-02")
def test_disguised_empty_and_oversized_files_are_refused(world, settings):
    cb = token_client(world.a.tokens["cb"][0])
    app = world.a.records[Application]
    today = timezone.now().date().isoformat()

    def upload(file):
        body = {"application": app.pk, "title": "Document", "effective_on": today, "file": file}
        return cb.post("/api/v1/evidence/", body, format="multipart")

    html = SimpleUploadedFile("report.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")
    body = assert_problem(upload(html), 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["file"] and "PDF, PNG and JPEG" in body["errors"][0]["message"]

    assert [
        e["field"] for e in assert_problem(upload(pdf_upload(content=b"")), 400, "validation_failed")["errors"]
    ] == ["file"]

    settings.IECQ_EVIDENCE_MAX_BYTES = 64
    body = assert_problem(upload(pdf_upload(content=PDF + b" " * 64)), 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["file"] and "larger than" in body["errors"][0]["message"]
    assert upload(pdf_upload(content=PDF[:64])).status_code == 201  # at the limit: accepted

    assert_problem(
        cb.post("/api/v1/evidence/", {"application": app.pk, "title": "x"}, format="json"),
        415,
        "unsupported_media_type",
    )
    with scope(SYSTEM):
        assert Evidence.objects.filter(application=app).count() == 2  # the fixture's and the one at the limit


# --- CE-03: the certificate PDF ---------------------------------------------------------------------------


@pytest.mark.req("CE-03")
def test_the_certificate_pdf_is_a_pdf_attachment(world):
    cert = world.a.records[Certificate]
    response = token_client(world.a.tokens["manufacturer"][0]).get(f"/api/v1/certificates/{cert.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{cert.number}.pdf"'
    assert response.content.startswith(b"%PDF")


# --- the register of refused and withdrawn applications ---------------------------------------------------


@pytest.mark.req("MF-01")
def test_refused_and_withdrawn_applications_are_listed_together(world, ready):
    mf = token_client(world.a.tokens["manufacturer"][0])
    cb = token_client(world.a.tokens["cb"][0])
    rejected = inquiry(world, ready, mf)["id"]
    withdrawn = inquiry(world, ready, mf)["id"]
    still_open = inquiry(world, ready, mf)["id"]
    post(mf, f"/api/v1/applications/{rejected}/submit/")
    assert_problem(post(cb, f"/api/v1/applications/{rejected}/reject/"), 400, "validation_failed")  # no reason
    assert post(cb, f"/api/v1/applications/{rejected}/reject/", {"reason": "Outside our scheme"}).status_code == 200
    assert_problem(post(cb, f"/api/v1/applications/{withdrawn}/withdraw/", {"reason": "x"}), 403, "forbidden")
    assert post(mf, f"/api/v1/applications/{withdrawn}/withdraw/", {"reason": "Product line sold"}).status_code == 200

    register = "/api/v1/applications/?state=rejected&state=withdrawn"
    for client in (cb, session(world.a.users[Role.SB_VIEWER][0]), mf):
        rows = client.get(register).json()["results"]
        assert {(r["id"], r["state"]) for r in rows} == {(rejected, "rejected"), (withdrawn, "withdrawn")}
    assert still_open in [r["id"] for r in cb.get("/api/v1/applications/?state=inquiry").json()["results"]]
    assert [r["id"] for r in cb.get("/api/v1/applications/?state=rejected").json()["results"]] == [rejected]
    assert_problem(cb.get("/api/v1/applications/?state=refused"), 400, "validation_failed")
    assert token_client(world.b.tokens["cb"][0]).get(register).json()["results"] == []


# --- MF-05: contacts ------------------------------------------------------------------------------------------


@pytest.mark.req("MF-05")
def test_contacts_are_kept_by_the_manufacturer_with_one_email_each(world):
    mf = token_client(world.a.tokens["manufacturer"][0])
    manufacturer = world.a.manufacturer.pk
    body = {
        "manufacturer": manufacturer,
        "name": "Ada Quality",
        "email": "Quality@alphaside.example",
        "function": "Quality manager",
        "is_primary": True,
    }
    response = mf.post("/api/v1/contacts/", body, format="json")
    assert response.status_code == 201, response.content
    ada = response.json()
    assert ada["is_primary"] is True and ada["email"] == "Quality@alphaside.example"

    problem = assert_problem(
        mf.post(
            "/api/v1/contacts/", {**body, "name": "Someone else", "email": "quality@ALPHASIDE.example"}, format="json"
        ),
        400,
        "validation_failed",
    )
    assert [e["field"] for e in problem["errors"]] == ["email"]
    fixture_contact = world.a.records[Contact]
    problem = assert_problem(
        mf.patch(f"/api/v1/contacts/{ada['id']}/", {"email": fixture_contact.email}, format="json"),
        400,
        "validation_failed",
    )
    assert [e["field"] for e in problem["errors"]] == ["email"]

    response = mf.patch(f"/api/v1/contacts/{ada['id']}/", {"phone": "+44 20 7946 0000"}, format="json")
    assert response.status_code == 200 and response.json()["phone"] == "+44 20 7946 0000"
    assert_problem(
        mf.patch(f"/api/v1/contacts/{ada['id']}/", {"manufacturer": world.b.manufacturer.pk}, format="json"),
        400,
        "validation_failed",
    )

    # A new primary contact replaces the previous one.
    operator = world.operator_api()
    response = operator.post(
        "/api/v1/contacts/",
        {"manufacturer": manufacturer, "name": "Bob Sales", "email": "bob@alphaside.example", "is_primary": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    cb = token_client(world.a.tokens["cb"][0])
    listed = cb.get(f"/api/v1/contacts/?manufacturer={manufacturer}").json()["results"]
    assert {c["name"]: c["is_primary"] for c in listed} == {
        "Ada Quality": False,
        "Bob Sales": True,
        fixture_contact.name: False,
    }
    # CB staff read their clients' contacts but do not keep them; a submitter neither.
    assert_problem(
        cb.post("/api/v1/contacts/", {**body, "email": "cb@alphaside.example"}, format="json"), 403, "forbidden"
    )
    submitter = session(world.a.users[Role.MF_SUBMITTER][0])
    assert_problem(
        submitter.post("/api/v1/contacts/", {**body, "email": "s@alphaside.example"}, format="json"), 403, "forbidden"
    )
    assert_problem(
        token_client(world.b.tokens["manufacturer"][0]).get(f"/api/v1/contacts/{ada['id']}/"), 404, "not_found"
    )
    with scope(SYSTEM):
        assert Contact.objects.filter(manufacturer_id=manufacturer).count() == 3


# --- PL-03: a page of a list costs the same few queries whatever its length ---------------------------------


@pytest.mark.req("PL-03")
def test_lists_do_not_query_per_row(world, ready):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cb = token_client(world.a.tokens["cb"][0])
    mf = token_client(world.a.tokens["manufacturer"][0])
    paths = ("/api/v1/applications/", "/api/v1/evidence/", "/api/v1/certificates/", "/api/v1/contacts/")

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
    today = timezone.now().date().isoformat()
    fixture_cert = world.a.records[Certificate]
    for i in range(3):
        app = inquiry(world, ready, mf)
        upload = {"application": app["id"], "title": f"Doc {i}", "effective_on": today, "file": pdf_upload()}
        assert mf.post("/api/v1/evidence/", upload, format="multipart").status_code == 201
        contact = {"manufacturer": world.a.manufacturer.pk, "name": f"Person {i}", "email": f"p{i}@alphaside.example"}
        assert mf.post("/api/v1/contacts/", contact, format="json").status_code == 201
        with scope(SYSTEM):
            cert = Certificate.objects.create(
                number=f"IECQ-AC-PAGE-{i}",
                manufacturer=world.a.manufacturer,
                certification_body=world.a.cb,
                scheme=ready.scheme,
                component_types="MLCC",
                issued_on=fixture_cert.issued_on,
                period_start=fixture_cert.period_start,
                expires_on=fixture_cert.expires_on,
            )
            cert.technologies.add(ready.technology)
            cert.sites.add(ready.site)
    assert counts() == before
    assert len(cb.get("/api/v1/certificates/").json()["results"]) == 4
