"""Evidence attached to decisions (SA-02: suspensions and withdrawals as decisions with reasons and evidence)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from certification.models import Certificate
from certification.services import certificate_transition
from iecq.errors import Forbidden, NotFound, ValidationFailed
from iecq.models import DecisionEvidence, TransitionLog
from iecq.roles import Role
from iecq.services import decision_evidence_attach
from iecq.tenancy import scope

from .conftest import token_client
from .factories import SYSTEM

PDF = b"%PDF-1.4\n% audit report\n"
pytestmark = pytest.mark.req("SA-02")


def suspended(world):
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    cert = world.a.records[Certificate]
    certificate_transition(actor=mgr, pk=cert.pk, name="suspend", reason="Major NC, see audit report")
    with scope(SYSTEM):
        return cert, TransitionLog.objects.filter(
            object_id=cert.pk, transition="suspend", content_type__model="certificate"
        ).latest("id")


def test_the_decider_attaches_evidence_and_it_shows_in_the_history(world):
    cert, decision = suspended(world)
    user, _p = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    client = Client()
    client.force_login(user)
    page = f"/certification/certificates/{cert.pk}/"
    response = client.post(
        f"/decisions/{decision.pk}/evidence/new/?next={page}",
        {"title": "Audit report 2026-11, finding 3", "file": SimpleUploadedFile("report.pdf", PDF)},
    )
    assert response.status_code == 302 and response["Location"] == page
    body = client.get(page).content.decode()
    assert "Audit report 2026-11, finding 3" in body
    with scope(SYSTEM):
        evidence = DecisionEvidence.objects.get(log=decision)
    download = client.get(f"/decisions/evidence/{evidence.pk}/download/")
    assert download["Content-Disposition"].startswith("attachment") and download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF
    holder, _p = world.a.users[Role.MF_ADMIN]  # the manufacturer sees the decision, so its evidence
    holder_client = Client()
    holder_client.force_login(holder)
    assert holder_client.get(f"/decisions/evidence/{evidence.pk}/download/").status_code == 200
    other, _p = world.b.users[Role.CB_ADMIN]
    other_client = Client()
    other_client.force_login(other)
    assert other_client.get(f"/decisions/evidence/{evidence.pk}/download/").status_code == 404


def test_only_the_people_behind_the_decision_attach_evidence_and_only_real_documents(world):
    _cert, decision = suspended(world)
    _u, clerk = world.a.users[Role.CB_CLERK]
    with pytest.raises(Forbidden):
        decision_evidence_attach(actor=clerk, decision=decision, title="x", file=SimpleUploadedFile("a.pdf", PDF))
    _u, other = world.b.users[Role.CB_ADMIN]
    with pytest.raises(NotFound):
        decision_evidence_attach(actor=other, decision=decision, title="x", file=SimpleUploadedFile("a.pdf", PDF))
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    with pytest.raises(ValidationFailed):
        decision_evidence_attach(
            actor=mgr,
            decision=decision,
            title="script",
            file=SimpleUploadedFile("evil.pdf", b"<script>alert(1)</script>"),
        )
    with scope(SYSTEM):
        assert not DecisionEvidence.objects.filter(log=decision).exists()


@pytest.mark.req("PL-03")
def test_evidence_through_the_api(world):
    _cert, decision = suspended(world)
    client = token_client(world.a.tokens["cb"][0])
    created = client.post(
        "/api/v1/decision-evidence/",
        {"decision": decision.pk, "title": "Lab report", "file": SimpleUploadedFile("lab.pdf", PDF)},
        format="multipart",
    )
    assert created.status_code == 201, created.content
    listed = [e["title"] for e in client.get("/api/v1/decision-evidence/").json()["results"]]
    assert "Lab report" in listed
    other = token_client(world.b.tokens["cb"][0])
    assert other.get(f"/api/v1/decision-evidence/{created.json()['id']}/").status_code == 404
    refused = other.post(
        "/api/v1/decision-evidence/",
        {"decision": decision.pk, "title": "x", "file": SimpleUploadedFile("x.pdf", PDF)},
        format="multipart",
    )
    assert refused.status_code == 400  # a decision it cannot see does not exist for it
