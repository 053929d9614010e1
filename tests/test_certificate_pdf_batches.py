"""Zips of certificate PDFs (CE-03): asked for from the certificate list or the API, built by a Celery task that
reports its progress, downloadable when done; only the requester's CB's certificates go in, only it sees the job."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from certification import pdf as certificate_pdf_module
from certification.choices import PdfBatchState as S
from certification.models import Certificate, CertificatePdfBatch
from certification.pdf_batches import run_batch
from iecq.roles import Role
from iecq.tenancy import scope

from .conftest import token_client
from .factories import SYSTEM, copy_certificate

pytestmark = pytest.mark.req("CE-03")
LIST = "/certification/certificates/"
CREATE = "/certification/certificates/pdf-batches/"


def portal(world, role=Role.CB_ADMIN, side="a", language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(getattr(world, side).users[role][0])
    return client


@pytest.fixture
def two_certificates(world):
    """Side A's certificate, suspended, and a second, valid one of the same CB."""
    first = world.a.records[Certificate]
    second = copy_certificate(first, f"{first.number}-2")
    with scope(SYSTEM):
        Certificate.objects.filter(pk=first.pk).update(state="suspended")
    return first, second


def latest_batch(world) -> CertificatePdfBatch:
    with scope(SYSTEM):
        return CertificatePdfBatch.objects.filter(certification_body=world.a.cb).order_by("-pk").first()


def zip_of(response) -> dict[str, bytes]:
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return {name: archive.read(name) for name in archive.namelist()}


def test_the_list_offers_the_zip_to_cb_staff_only(world, two_certificates):
    page = portal(world).get(LIST, {"state": "valid"}).content.decode()
    assert f'action="{CREATE}?state=valid"' in page and 'name="selected"' in page
    manufacturer_page = portal(world, role=Role.MF_ADMIN).get(LIST).content.decode()
    assert "list-selection" not in manufacturer_page


def test_ticked_certificates_give_one_zip_with_their_pdfs(world, two_certificates, django_capture_on_commit_callbacks):
    first, second = two_certificates
    client = portal(world)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CREATE, {"selected": [first.pk, second.pk]})
    batch = latest_batch(world)
    assert response.status_code == 302 and response["Location"] == f"/certification/pdf-batches/{batch.pk}/"
    assert batch.state == S.DONE and batch.total == 2 and batch.processed == 2 and batch.percent == 100
    detail = client.get(response["Location"]).content.decode()
    assert f'href="/certification/pdf-batches/{batch.pk}/download/"' in detail
    progress = client.get(f"/certification/pdf-batches/{batch.pk}/progress/").content.decode()
    assert "hx-get" not in progress and 'value="100"' in progress  # final: polling stops
    files = zip_of(client.get(f"/certification/pdf-batches/{batch.pk}/download/"))
    assert sorted(files) == sorted([f"{first.number}.pdf", f"{second.number}.pdf"])
    assert all(content.startswith(b"%PDF") for content in files.values())
    # The PDFs in the zip are the stored ones a single download serves.
    single = client.get(f"/certification/certificates/{second.pk}/pdf/").content
    assert files[f"{second.number}.pdf"] == single


def test_all_matching_the_filter(world, two_certificates, django_capture_on_commit_callbacks):
    _first, second = two_certificates
    with django_capture_on_commit_callbacks(execute=True):
        portal(world).post(f"{CREATE}?state=valid", {"all": "1"})
    batch = latest_batch(world)
    assert batch.certificate_ids == [second.pk] and batch.state == S.DONE
    files = zip_of(portal(world).get(f"/certification/pdf-batches/{batch.pk}/download/"))
    assert list(files) == [f"{second.number}.pdf"]


def test_the_zip_is_in_the_requesters_language(world, django_capture_on_commit_callbacks, monkeypatch):
    rendered: list[str] = []
    original = certificate_pdf_module.html_to_pdf
    monkeypatch.setattr(
        certificate_pdf_module, "html_to_pdf", lambda html, **kw: rendered.append(html) or original(html, **kw)
    )
    cert = world.a.records[Certificate]
    with django_capture_on_commit_callbacks(execute=True):
        portal(world, language="fr").post(CREATE, {"selected": [cert.pk]})
    batch = latest_batch(world)
    assert batch.language == "fr" and batch.state == S.DONE
    assert len(rendered) == 1 and "Certificat de conformité" in rendered[0]
    folder = f"{certificate_pdf_module.STORE}/{cert.pk}"
    assert [name[:3] for name in default_storage.listdir(folder)[1]] == ["fr_"]


def test_progress_is_polled_while_the_job_waits_or_runs(world):
    cert = world.a.records[Certificate]
    client = portal(world)
    client.post(CREATE, {"selected": [cert.pk]})  # no commit in the test: the task has not run
    batch = latest_batch(world)
    assert batch.state == S.QUEUED
    progress = client.get(f"/certification/pdf-batches/{batch.pk}/progress/").content.decode()
    assert f'hx-get="/certification/pdf-batches/{batch.pk}/progress/"' in progress and 'value="0"' in progress
    assert client.get(f"/certification/pdf-batches/{batch.pk}/download/").status_code == 404  # not done yet
    _u, admin = world.a.users[Role.CB_ADMIN]
    with scope(SYSTEM):
        CertificatePdfBatch.objects.filter(pk=batch.pk).update(state=S.RENDERING, processed=0)
    assert run_batch(actor=admin, batch_id=batch.pk).state == S.FAILED  # found half-way: its worker died


def test_foreign_certificates_are_left_out_and_foreign_jobs_are_not_found(
    world, two_certificates, django_capture_on_commit_callbacks
):
    first, _second = two_certificates
    foreign_cert = world.b.records[Certificate]
    with django_capture_on_commit_callbacks(execute=True):
        portal(world).post(CREATE, {"selected": [first.pk, foreign_cert.pk]})
    batch = latest_batch(world)
    assert batch.certificate_ids == [first.pk]
    assert list(zip_of(portal(world).get(f"/certification/pdf-batches/{batch.pk}/download/"))) == [
        f"{first.number}.pdf"
    ]
    count = CertificatePdfBatch.objects.count
    with scope(SYSTEM):
        before = count()
    response = portal(world).post(CREATE, {"selected": [foreign_cert.pk]})
    assert response.status_code == 302 and response["Location"] == LIST
    with scope(SYSTEM):
        assert count() == before  # nothing of side B's: no job
    for role, side in ((Role.CB_ADMIN, "b"), (Role.MF_ADMIN, "a")):
        client = portal(world, role=role, side=side)
        for path in ("", "progress/", "download/"):
            assert client.get(f"/certification/pdf-batches/{batch.pk}/{path}").status_code == 404
    assert portal(world, role=Role.MF_ADMIN).post(CREATE, {"selected": [first.pk]}).status_code == 404


def test_the_api_starts_a_job_and_serves_its_zip(world, django_capture_on_commit_callbacks):
    cert = world.a.records[Certificate]
    api = token_client(world.a.tokens["cb"][0])
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/api/v1/certificate-pdf-batches/",
            {"certificate_ids": [cert.pk, world.b.records[Certificate].pk]},
            format="json",
        )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["total"] == 1
    job = api.get(f"/api/v1/certificate-pdf-batches/{body['id']}/").json()
    assert job["state"] == "done" and job["percent"] == 100
    assert list(zip_of(api.get(f"/api/v1/certificate-pdf-batches/{body['id']}/download/"))) == [f"{cert.number}.pdf"]
    foreign = token_client(world.b.tokens["cb"][0])
    assert foreign.get(f"/api/v1/certificate-pdf-batches/{body['id']}/").status_code == 404
    assert foreign.get(f"/api/v1/certificate-pdf-batches/{body['id']}/download/").status_code == 404
    manufacturer = token_client(world.a.tokens["manufacturer"][0])
    refused = manufacturer.post("/api/v1/certificate-pdf-batches/", {"certificate_ids": [cert.pk]}, format="json")
    assert refused.status_code in (403, 404)
