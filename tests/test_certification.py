"""Applications through the qualification stages and certificates, through the services
(MF-01 … MF-05, CE-01 … CE-05)."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from bodies.models import Auditor, Scheme, Technology
from bodies.services import certification_body_transition, declaration_sign
from certification import services
from certification.choices import ApplicationState as A
from certification.choices import CertificateState as C
from certification.models import Application, Certificate, CertificateRevision, Evidence
from certification.pdf import render_certificate_pdf
from certification.register import RegisterQuery, register_entry, register_search
from iecq import signing
from iecq.errors import Forbidden, IllegalTransition, NotFound, ValidationFailed
from iecq.principals import system_principal
from iecq.roles import Role
from iecq.tenancy import scope
from manufacturers.models import Site

from .factories import SYSTEM, qualify_for_approval

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n"


def approve_a(world):
    _u, op = world.operator
    qualify_for_approval(world.a.cb, marker="cert")
    certification_body_transition(actor=op, pk=world.a.cb.pk, name="start_assessment")
    certification_body_transition(actor=op, pk=world.a.cb.pk, name="approve")


def apply(world, *, who=Role.MF_SUBMITTER):
    _u, applicant = world.a.users[who]
    with scope(SYSTEM):
        scheme = Scheme.objects.get(code="ac")
        tech = Technology.objects.get(code="capacitors")
        site = Site.objects.filter(manufacturer=world.a.manufacturer).first()
    return services.application_create(
        actor=applicant,
        certification_body=world.a.cb,
        scheme=scheme,
        technologies=[tech],
        component_types="Multilayer ceramic capacitors 0402",
        sites=[site],
    )


def through_qms(world, app):
    _u, mf = world.a.users[Role.MF_QUALITY_MANAGER]
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    services.application_transition(actor=mf, pk=app.pk, name="submit")
    services.application_transition(actor=mgr, pk=app.pk, name="start_review")
    services.evaluation_auditor_assign(actor=mgr, application=app, auditor=world.a.records[Auditor], role="lead")
    for name in ("start_qms_assessment", "accept_qms", "start_qualification", "start_product_certification"):
        services.application_transition(actor=mgr, pk=app.pk, name=name)
    return app


def state(model, pk):
    with scope(SYSTEM):
        return model.objects.get(pk=pk).state


@pytest.mark.req("MF-01")
@pytest.mark.req("MF-04")
def test_an_application_goes_through_every_stage_to_a_certificate(world):
    approve_a(world)
    app = through_qms(world, apply(world))
    _u, admin = world.a.users[Role.CB_ADMIN]
    services.application_transition(actor=admin, pk=app.pk, name="certify", reason="All stages passed")
    assert state(Application, app.pk) == A.CERTIFIED
    with scope(SYSTEM):
        cert = Certificate.objects.get(application=app)
        assert cert.revisions.count() == 1
    assert cert.state == C.VALID
    assert cert.expires_on.year == cert.issued_on.year + 3
    assert cert.number.startswith("IECQ-AC-GB")


@pytest.mark.req("MF-01")
def test_qms_not_accepted_sends_findings_back_and_the_manufacturer_resubmits(world):
    approve_a(world)
    app = apply(world)
    _u, mf = world.a.users[Role.MF_QUALITY_MANAGER]
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    services.application_transition(actor=mf, pk=app.pk, name="submit")
    services.application_transition(actor=mgr, pk=app.pk, name="start_review")
    with pytest.raises(IllegalTransition) as exc:  # no team yet
        services.application_transition(actor=mgr, pk=app.pk, name="start_qms_assessment")
    assert "audit team" in exc.value.errors["conditions"][0]
    services.evaluation_auditor_assign(actor=mgr, application=app, auditor=world.a.records[Auditor])
    services.application_transition(actor=mgr, pk=app.pk, name="start_qms_assessment")
    with pytest.raises(ValidationFailed):
        services.application_transition(actor=mgr, pk=app.pk, name="refuse_qms")  # findings are required
    services.application_transition(actor=mgr, pk=app.pk, name="refuse_qms", reason="No internal audit programme")
    with pytest.raises(Forbidden):  # the CB cannot resubmit for the manufacturer
        services.application_transition(actor=mgr, pk=app.pk, name="resubmit_qms", reason="x")
    services.application_transition(actor=mf, pk=app.pk, name="resubmit_qms", reason="Programme for 2027 adopted")
    assert state(Application, app.pk) == A.QMS_ASSESSMENT


@pytest.mark.req("MF-01")
def test_rejected_and_withdrawn_applications_stay_in_the_register(world):
    approve_a(world)
    first, second = apply(world), apply(world)
    _u, mf = world.a.users[Role.MF_ADMIN]
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    services.application_transition(actor=mf, pk=first.pk, name="submit")
    services.application_transition(actor=mgr, pk=first.pk, name="reject", reason="Outside the requested scheme")
    services.application_transition(actor=mf, pk=second.pk, name="withdraw", reason="Product line discontinued")
    _u, sb = world.a.users[Role.SB_VIEWER]
    with scope(sb):
        closed = set(Application.objects.filter(state__in=[A.REJECTED, A.WITHDRAWN]).values_list("pk", flat=True))
    assert {first.pk, second.pk} <= closed
    with pytest.raises(IllegalTransition):  # final
        services.application_transition(actor=mf, pk=second.pk, name="submit")


@pytest.mark.req("CB-02")
@pytest.mark.req("CB-01")
def test_a_cb_cannot_accept_an_application_outside_its_scope_or_unapproved(world):
    app = apply(world)  # side A's CB is only applied
    _u, mf = world.a.users[Role.MF_ADMIN]
    with pytest.raises(IllegalTransition) as exc:
        services.application_transition(actor=mf, pk=app.pk, name="submit")
    assert any("not approved" in r for r in exc.value.errors["conditions"])


@pytest.mark.req("MF-03")
def test_the_auditor_of_the_evaluation_cannot_decide_certification(world):
    approve_a(world)
    mgr_user, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    with scope(SYSTEM):
        Auditor.objects.filter(pk=world.a.records[Auditor].pk).update(user=mgr_user)
    app = through_qms(world, apply(world))
    with pytest.raises(Forbidden) as exc:
        services.application_transition(actor=mgr, pk=app.pk, name="certify")
    assert "MF-03" in str(exc.value)
    assert state(Application, app.pk) == A.PRODUCT_CERTIFICATION
    token_principal = world.a.tokens["cb"][1]
    with pytest.raises(Forbidden):  # a token is nobody we can hold to impartiality
        services.application_transition(actor=token_principal, pk=app.pk, name="certify")


@pytest.mark.req("CB-03")
@pytest.mark.req("MF-03")
def test_auditors_join_a_team_only_through_the_assignment_check(world):
    approve_a(world)
    app = apply(world)
    _u, mf = world.a.users[Role.MF_ADMIN]
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    services.application_transition(actor=mf, pk=app.pk, name="submit")
    declaration_sign(
        actor=mgr,
        auditor=world.a.records[Auditor],
        signed_on=timezone.now().date(),
        interests="Shareholder",
        conflicted_manufacturers=[world.a.manufacturer],
    )
    with pytest.raises(ValidationFailed) as exc:
        services.evaluation_auditor_assign(actor=mgr, application=app, auditor=world.a.records[Auditor])
    assert exc.value.code == "auditor_not_assignable"
    assert any("conflict" in p for p in exc.value.errors["auditor"])
    with pytest.raises(NotFound):  # another CB's auditor is not even visible
        services.evaluation_auditor_assign(actor=mgr, application=app, auditor=world.b.records[Auditor])


# --- evidence (MF-02) ----------------------------------------------------------------------------


@pytest.mark.req("MF-02")
def test_evidence_is_typed_by_content_stored_under_a_server_name(world):
    approve_a(world)
    app = apply(world)
    _u, mf = world.a.users[Role.MF_SUBMITTER]
    effective = timezone.now().date() - timedelta(days=40)
    evidence = services.evidence_upload(
        actor=mf,
        application=app,
        title="Quality manual rev. 7",
        effective_on=effective,
        file=SimpleUploadedFile("../../etc/passwd.pdf", PDF, content_type="text/html"),
    )
    assert evidence.content_type == "application/pdf" and evidence.stage == A.INQUIRY
    assert evidence.original_name == "passwd.pdf" and evidence.storage_name.endswith(".pdf")
    assert evidence.file.name == f"evidence/{evidence.storage_name}" and "passwd" not in evidence.file.name
    assert evidence.effective_on == effective and evidence.uploaded_at.date() == timezone.now().date()
    for name, content in [
        ("manual.pdf", b"<html><script>alert(1)</script>"),
        ("x.pdf", b""),
        ("photo.png", b"GIF89a...."),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            services.evidence_upload(
                actor=mf, application=app, title="x", effective_on=effective, file=SimpleUploadedFile(name, content)
            )
        assert "file" in exc.value.errors
    with scope(SYSTEM):
        assert Evidence.objects.filter(application=app).count() == 1


@pytest.mark.req("MF-02")
def test_oversized_evidence_is_refused(world, settings):
    settings.IECQ_EVIDENCE_MAX_BYTES = 1024
    approve_a(world)
    app = apply(world)
    _u, mf = world.a.users[Role.MF_SUBMITTER]
    with pytest.raises(ValidationFailed) as exc:
        services.evidence_upload(
            actor=mf,
            application=app,
            title="big",
            effective_on=timezone.now().date(),
            file=SimpleUploadedFile("big.pdf", PDF + b"0" * 2048),
        )
    assert "larger" in exc.value.errors["file"][0]


@pytest.mark.req("MF-02")
@pytest.mark.req("PL-01")
def test_another_manufacturer_cannot_add_or_see_evidence(world):
    approve_a(world)
    app = apply(world)
    _u, other = world.b.users[Role.MF_ADMIN]
    with pytest.raises(NotFound):
        services.evidence_upload(
            actor=other,
            application=app,
            title="x",
            effective_on=timezone.now().date(),
            file=SimpleUploadedFile("a.pdf", PDF),
        )


# --- certificates (CE-01, CE-02) --------------------------------------------------------------------


def issued(world):
    approve_a(world)
    app = through_qms(world, apply(world))
    _u, admin = world.a.users[Role.CB_ADMIN]
    services.application_transition(actor=admin, pk=app.pk, name="certify")
    with scope(SYSTEM):
        return Certificate.objects.get(application=app)


@pytest.mark.req("CE-01")
def test_numbers_are_unique_per_cb_and_scheme_and_follow_on(world):
    first = issued(world)
    app = through_qms(world, apply(world))
    _u, admin = world.a.users[Role.CB_ADMIN]
    services.application_transition(actor=admin, pk=app.pk, name="certify")
    with scope(SYSTEM):
        second = Certificate.objects.get(application=app)
    assert first.number != second.number
    assert int(second.number.rsplit("-", 1)[1]) == int(first.number.rsplit("-", 1)[1]) + 1


@pytest.mark.req("CE-02")
@pytest.mark.req("CE-01")
def test_each_change_is_a_new_revision_and_earlier_ones_stay(world):
    cert = issued(world)
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    services.certificate_transition(actor=mgr, pk=cert.pk, name="suspend", reason="Major NC at surveillance")
    with pytest.raises(IllegalTransition):  # a suspended certificate cannot be recertified
        services.certificate_transition(actor=mgr, pk=cert.pk, name="recertify", reason="x")
    services.certificate_transition(actor=mgr, pk=cert.pk, name="reinstate", reason="Correction verified")
    services.certificate_update_scope(
        actor=mgr, pk=cert.pk, reason="0201 size added", component_types="Multilayer ceramic capacitors 0201 and 0402"
    )
    with scope(SYSTEM):
        revisions = list(CertificateRevision.objects.filter(certificate=cert).order_by("number"))
    assert [r.number for r in revisions] == [1, 2, 3, 4]
    assert [r.snapshot["state"] for r in revisions] == ["valid", "suspended", "valid", "valid"]
    assert (
        "0201" in revisions[-1].snapshot["component_types"] and "0201" not in revisions[0].snapshot["component_types"]
    )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE certification_certificaterevision SET reason = 'rewritten' WHERE id = %s", [revisions[0].pk]
        )


@pytest.mark.req("CE-02")
def test_recertification_issues_the_next_period_and_expiry_is_the_schedulers(world):
    cert = issued(world)
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    first_expiry = cert.expires_on
    services.certificate_transition(actor=mgr, pk=cert.pk, name="recertify", reason="Reassessment passed")
    with scope(SYSTEM):
        cert = Certificate.objects.get(pk=cert.pk)
    assert cert.period_start == first_expiry and cert.expires_on.year == first_expiry.year + 3
    assert "expire" not in services.CERTIFICATE_TRANSITION_SERVICES
    sweep = system_principal("deadline sweep")
    with time_machine.travel(cert.expires_on + timedelta(days=1)):
        expired = services.certificate_expire_overdue(actor=sweep)
    assert cert.pk in [c.pk for c in expired] and state(Certificate, cert.pk) == C.EXPIRED


@pytest.mark.req("CE-02")
def test_transfer_keeps_history_and_moves_visibility(world):
    cert = issued(world)
    _u, op = world.operator
    qualify_for_approval(world.b.cb, marker="tr")
    with scope(SYSTEM):
        world.b.cb.technologies.add(Technology.objects.get(code="capacitors"))
    certification_body_transition(actor=op, pk=world.b.cb.pk, name="approve")
    services.certificate_transfer(actor=op, pk=cert.pk, to_certification_body=world.b.cb, reason="Client's choice")
    _u, a_mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    _u, b_mgr = world.b.users[Role.CB_CERTIFICATION_MANAGER]
    with pytest.raises(NotFound):
        services.certificate_transition(actor=a_mgr, pk=cert.pk, name="suspend", reason="x")
    with scope(b_mgr):
        moved = Certificate.objects.get(pk=cert.pk)
        assert moved.revisions.count() == 2 and moved.number == cert.number


# --- PDF and register (CE-03, CE-04, CE-05) ----------------------------------------------------------


@pytest.mark.req("CE-03")
def test_the_pdf_renders_with_vendored_fonts_and_fetches_nothing_else(world, monkeypatch):
    from iecq import pdf as pdf_module

    cert = issued(world)
    seen = []
    original = pdf_module.ProjectOnlyFetcher.fetch

    def watching(self, url, headers=None):
        seen.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf_module.ProjectOnlyFetcher, "fetch", watching)
    monkeypatch.setattr(pdf_module, "_shared", threading.local())  # a fresh worker: fonts not loaded yet
    with scope(SYSTEM):
        data = render_certificate_pdf(Certificate.objects.get(pk=cert.pk))
    assert data.startswith(b"%PDF") and len(data) > 5000
    assert any(u.endswith("IECQSans-Regular.ttf") for u in seen) and any(u.startswith("data:image/png") for u in seen)
    assert all(u.startswith(("file:", "data:")) for u in seen)


@pytest.mark.req("CE-03")
def test_the_fetcher_refuses_network_and_other_files():
    from iecq.pdf import ProjectOnlyFetcher

    fetcher = ProjectOnlyFetcher()
    for url in ("http://169.254.169.254/latest/meta-data", "file:///etc/passwd", "ftp://example.org/x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.refused[:2] == ["http://169.254.169.254/latest/meta-data", "file:///etc/passwd"]


@pytest.mark.req("CE-04")
@pytest.mark.req("CE-05")
def test_the_register_tells_the_truth_about_suspended_certificates(world):
    cert = issued(world)
    assert register_entry(cert.number)["mark_allowed"] is True
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    services.certificate_transition(actor=mgr, pk=cert.pk, name="suspend", reason="Major NC")
    record = register_entry(cert.number)
    assert record["status"] == "suspended" and record["mark_allowed"] is False
    page = Client().get(f"/register/{cert.number}/").content.decode()
    assert "suspended since" in page and "may not use the IECQ mark" in page
    records, _page = register_search(RegisterQuery(status="suspended", technology="capacitors", country="gb"))
    assert [r["number"] for r in records] == [cert.number]
    records, _page = register_search(RegisterQuery(manufacturer="alphaside", status="valid"))
    assert cert.number not in [r["number"] for r in records]
    assert Client().get("/register/NO-SUCH-NUMBER/").status_code == 404


@pytest.mark.req("CE-04")
def test_the_signed_answer_verifies_offline_and_detects_tampering(world, settings, tmp_path):
    import base64

    settings.IECQ_SIGNING_KEY_FILE = str(tmp_path / "key")
    cert = issued(world)
    client = Client()
    envelope = client.get(f"/register/{cert.number}/signed.json").json()
    key = client.get("/register/public-key.json").json()
    public = base64.b64decode(key["public_key"])
    assert envelope["key_id"] == key["key_id"] and envelope["payload"]["number"] == cert.number
    assert signing.verify(envelope, public)
    envelope["payload"]["status"] = "valid" if envelope["payload"]["status"] != "valid" else "withdrawn"
    assert not signing.verify(envelope, public)


def test_register_search_reveals_nothing_private(world):
    cert = issued(world)
    records, _page = register_search(RegisterQuery(number=cert.number))
    assert set(records[0]) == {
        "number",
        "status",
        "status_label",
        "status_since",
        "mark_allowed",
        "scheme",
        "manufacturer",
        "certification_body",
        "technologies",
        "component_types",
        "specifications",
        "sites",
        "issued_on",
        "period_start",
        "expires_on",
        "revision",
        "checked_at",
    }
