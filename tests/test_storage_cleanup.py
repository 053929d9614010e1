"""The daily clean-up of stored PDFs (CE-03): zips of certificate PDFs are deleted after their retention period and
their jobs say so (portal and API) and can be asked for again; stored certificate PDFs nobody downloaded for the
retention period, or whose certificate is gone, are deleted and rendered again on the next download, even when the
clean-up deletes one while it is being served."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db.models import Max
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import ngettext

from certification import pdf as certificate_pdf_module
from certification import pdf_batch_views, tasks
from certification.choices import PdfBatchState as S
from certification.models import Certificate, CertificatePdfBatch
from certification.pdf_batches import run_batch
from iecq.roles import Role
from iecq.tenancy import scope

from .conftest import token_client
from .factories import SYSTEM, copy_certificate

pytestmark = pytest.mark.req("CE-03")
DAY = 24 * 3600


@pytest.fixture
def media(settings, tmp_path):
    """Default storage on the file system under a temporary MEDIA_ROOT (the suite's default is in memory), with the
    documented retention periods whatever the environment says."""
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.IECQ_PDF_BATCH_RETENTION_DAYS = 7
    settings.IECQ_STORED_PDF_RETENTION_DAYS = 30
    assert isinstance(default_storage, FileSystemStorage)
    return tmp_path


@pytest.fixture
def renders(monkeypatch):
    """The HTML of every certificate PDF actually rendered (not served from the store) during the test."""
    seen: list[str] = []
    original = certificate_pdf_module.html_to_pdf
    monkeypatch.setattr(
        certificate_pdf_module, "html_to_pdf", lambda html, **kw: seen.append(html) or original(html, **kw)
    )
    return seen


@pytest.fixture
def certificates(world):
    """Three certificates of side A's CB."""
    first = world.a.records[Certificate]
    return [first, *(copy_certificate(first, f"{first.number}-{n}") for n in (2, 3))]


def portal(world, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.a.users[Role.CB_ADMIN][0])
    return client


def download(client: Client, cert) -> None:
    response = client.get(f"/certification/certificates/{cert.pk}/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def stored(cert) -> list[str]:
    folder = f"{certificate_pdf_module.STORE}/{cert.pk}"
    return sorted(default_storage.listdir(folder)[1]) if default_storage.exists(folder) else []


def age(name: str, days: int) -> None:
    """Make a stored file look as if it was last written (or last marked as read) `days` ago."""
    then = time.time() - days * DAY
    os.utime(default_storage.path(name), (then, then))


def clean_up(django_capture_on_commit_callbacks) -> dict[str, int]:
    """Run the beat task as beat runs it, with what it defers to after the commit."""
    with django_capture_on_commit_callbacks(execute=True):
        return tasks.stored_pdfs_clear()


def batch_for(world, certs, django_capture_on_commit_callbacks) -> CertificatePdfBatch:
    api = token_client(world.a.tokens["cb"][0])
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/api/v1/certificate-pdf-batches/", {"certificate_ids": [c.pk for c in certs]}, format="json"
        )
    assert created.status_code == 201, created.content
    with scope(SYSTEM):
        batch = CertificatePdfBatch.objects.get(pk=created.json()["id"])
    assert batch.state == S.DONE and default_storage.exists(batch.file.name)
    return batch


def test_an_old_zip_is_deleted_its_job_says_expired_and_it_can_be_asked_for_again(
    media, world, certificates, django_capture_on_commit_callbacks
):
    old = batch_for(world, certificates[:2], django_capture_on_commit_callbacks)
    fresh = batch_for(world, certificates[2:], django_capture_on_commit_callbacks)
    with scope(SYSTEM):
        CertificatePdfBatch.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=8))
    old_zip = old.file.name

    report = clean_up(django_capture_on_commit_callbacks)

    assert report["batches_expired"] == 1
    assert not default_storage.exists(old_zip) and default_storage.exists(fresh.file.name)
    with scope(SYSTEM):
        old.refresh_from_db()
    assert old.state == S.EXPIRED and not old.file
    # The portal: the job's page says so and offers to ask again; the old link explains instead of failing.
    client = portal(world)
    page = client.get(f"/certification/pdf-batches/{old.pk}/").content.decode()
    assert "This zip has expired" in page and f'action="/certification/pdf-batches/{old.pk}/again/"' in page
    assert f"/certification/pdf-batches/{old.pk}/download/" not in page and "hx-get" not in page
    gone = client.get(f"/certification/pdf-batches/{old.pk}/download/")
    assert gone.status_code == 410
    assert "deleted 7 days after they are ready" in gone.content.decode()
    # The API: the job's state, and a problem (not a 500, not a bare 404) for the download.
    api = token_client(world.a.tokens["cb"][0])
    job = api.get(f"/api/v1/certificate-pdf-batches/{old.pk}/").json()
    assert job["state"] == "expired" and job["expires_at"] is None
    problem = api.get(f"/api/v1/certificate-pdf-batches/{old.pk}/download/")
    assert problem.status_code == 410 and problem["Content-Type"] == "application/problem+json"
    assert problem.json()["code"] == "pdf_batch_expired" and "Ask for the PDFs again" in problem.json()["detail"]
    # The fresh zip is kept and still served.
    assert api.get(f"/api/v1/certificate-pdf-batches/{fresh.pk}/").json()["expires_at"] is not None
    assert client.get(f"/certification/pdf-batches/{fresh.pk}/download/").status_code == 200
    # Asking again gives a new job of the same certificates.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/certification/pdf-batches/{old.pk}/again/")
    with scope(SYSTEM):
        again = CertificatePdfBatch.objects.order_by("-pk").first()
    assert response.status_code == 302 and response["Location"] == f"/certification/pdf-batches/{again.pk}/"
    assert again.pk != old.pk and again.state == S.DONE and again.certificate_ids == old.certificate_ids
    # Idempotent: a second run finds nothing more to do.
    assert clean_up(django_capture_on_commit_callbacks)["batches_expired"] == 0


def test_a_job_no_worker_finished_fails_stops_polling_and_can_be_asked_for_again(
    settings, world, certificates, django_capture_on_commit_callbacks
):
    settings.IECQ_PDF_BATCH_STALE_HOURS = 6
    client = portal(world, language="fr")
    for cert in certificates[:2]:
        client.post("/certification/certificates/pdf-batches/", {"selected": [cert.pk]})  # no commit: no task ran
    with scope(SYSTEM):
        lost, recent = CertificatePdfBatch.objects.filter(certification_body=world.a.cb).order_by("-pk")[:2][::-1]
        CertificatePdfBatch.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=7))
        CertificatePdfBatch.objects.filter(pk=recent.pk).update(
            state=S.RENDERING, created_at=timezone.now() - timedelta(hours=5)
        )
    assert lost.state == S.QUEUED and lost.language == "fr"

    report = clean_up(django_capture_on_commit_callbacks)

    assert report["batches_failed"] == 1
    with scope(SYSTEM):
        lost.refresh_from_db()
        recent.refresh_from_db()
    assert lost.state == S.FAILED and lost.finished_at is not None and recent.state == S.RENDERING
    # The progress fragment stops polling, says why (in the language the PDFs were asked in) and offers to ask again.
    progress = client.get(f"/certification/pdf-batches/{lost.pk}/progress/").content.decode()
    assert "hx-get" not in progress and f'action="/certification/pdf-batches/{lost.pk}/again/"' in progress
    with translation.override("fr"):
        reason = ngettext(
            "No worker finished this job within %(n)d hour; ask again.",
            "No worker finished this job within %(n)d hours; ask again.",
            6,
        ) % {"n": 6}
    assert escape(reason) in progress
    assert escape(reason) in client.get(f"/certification/pdf-batches/{lost.pk}/").content.decode()  # and its history
    assert "hx-get" in client.get(f"/certification/pdf-batches/{recent.pk}/progress/").content.decode()
    # Asking again gives a new job of the same certificates.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/certification/pdf-batches/{lost.pk}/again/")
    with scope(SYSTEM):
        again = CertificatePdfBatch.objects.order_by("-pk").first()
    assert again.pk != lost.pk and again.state == S.DONE and again.certificate_ids == lost.certificate_ids
    # A message delivered after all finds the job failed and leaves it so; a second run fails nothing more.
    _u, admin = world.a.users[Role.CB_ADMIN]
    assert run_batch(actor=admin, batch_id=lost.pk).state == S.FAILED
    assert clean_up(django_capture_on_commit_callbacks)["batches_failed"] == 0


def test_a_zip_deleted_while_its_download_starts_answers_expired(
    media, world, certificates, monkeypatch, django_capture_on_commit_callbacks
):
    batch = batch_for(world, certificates[:1], django_capture_on_commit_callbacks)
    original = pdf_batch_views.get_visible

    def read_then_cleaned_up(model, principal, pk):
        found = original(model, principal, pk)  # the request holds the job as done ...
        with time_machine.travel(timezone.now() + timedelta(days=8)):
            clean_up(django_capture_on_commit_callbacks)  # ... when the clean-up deletes its zip
        return found

    monkeypatch.setattr(pdf_batch_views, "get_visible", read_then_cleaned_up)
    response = portal(world).get(f"/certification/pdf-batches/{batch.pk}/download/")
    assert response.status_code == 410 and "This zip has expired" in response.content.decode()


def test_unread_pdfs_are_deleted_and_recent_or_still_read_ones_kept(
    media, world, certificates, renders, django_capture_on_commit_callbacks
):
    unread, recent, hot = certificates
    client = portal(world)
    for cert in certificates:
        download(client, cert)
    [unread_name] = stored(unread)
    [hot_name] = stored(hot)
    age(f"{certificate_pdf_module.STORE}/{unread.pk}/{unread_name}", 31)
    age(f"{certificate_pdf_module.STORE}/{hot.pk}/{hot_name}", 31)
    download(client, hot)  # served from the store, and marked as read
    assert len(renders) == 3

    report = clean_up(django_capture_on_commit_callbacks)

    assert report["pdfs_deleted"] == 1 and report["orphan_pdfs_deleted"] == 0
    assert stored(unread) == [] and not os.path.exists(media / certificate_pdf_module.STORE / str(unread.pk))
    assert stored(recent) != [] and stored(hot) == [hot_name]


def test_a_pdf_in_a_language_no_longer_offered_is_deleted(media, world, settings, django_capture_on_commit_callbacks):
    cert = world.a.records[Certificate]
    download(portal(world, language="en"), cert)
    download(portal(world, language="fr"), cert)
    assert [name[:3] for name in stored(cert)] == ["en_", "fr_"]
    settings.LANGUAGES = [("en", "English")]
    assert clean_up(django_capture_on_commit_callbacks)["pdfs_deleted"] == 1
    assert [name[:3] for name in stored(cert)] == ["en_"]


def test_a_pdf_being_stored_is_found_whole_or_not_at_all(media, world, monkeypatch, django_capture_on_commit_callbacks):
    """A download that reads the stored copy while another download writes it must not serve half a PDF; the
    clean-up running meanwhile must not delete the copy being written."""
    cert = world.a.records[Certificate]
    with scope(SYSTEM):
        html = certificate_pdf_module.certificate_html(cert, language="en", qr=False)  # the key, as a download
    name = certificate_pdf_module.stored_pdf_name(cert, html, language="en")
    original = File.chunks
    seen: list[bytes | None] = []

    def written_in_two_halves(self, chunk_size=None):
        data = b"".join(original(self, chunk_size))
        yield data[: len(data) // 2]
        seen.append(certificate_pdf_module._read_stored(name))  # a concurrent download, between two chunks
        clean_up(django_capture_on_commit_callbacks)
        yield data[len(data) // 2 :]

    monkeypatch.setattr(File, "chunks", written_in_two_halves)
    response = portal(world).get(f"/certification/certificates/{cert.pk}/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert len(seen) == 1 and seen[0] in (None, response.content)
    assert stored(cert) == [name.rsplit("/", 1)[1]]
    assert default_storage.open(name).read() == response.content


@pytest.fixture(params=["filesystem", "memory"])
def any_storage(request, settings):
    """The clean-up on FileSystemStorage (folders streamed) and on a storage it only knows through the Storage API
    (as object storage is)."""
    if request.param == "filesystem":
        return request.getfixturevalue("media")
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    assert not isinstance(default_storage, FileSystemStorage)
    return None


def test_pdfs_of_certificates_that_no_longer_exist_are_deleted(any_storage, world, django_capture_on_commit_callbacks):
    cert = world.a.records[Certificate]
    download(portal(world), cert)
    with scope(SYSTEM):
        gone = (Certificate.objects.aggregate(m=Max("pk"))["m"] or 0) + 1000
    orphan = f"{certificate_pdf_module.STORE}/{gone}/en_{'0' * 32}.pdf"
    default_storage.save(orphan, ContentFile(b"%PDF orphan"))
    default_storage.save(f"{certificate_pdf_module.STORE}/notes/readme.txt", ContentFile(b"not a certificate"))

    report = clean_up(django_capture_on_commit_callbacks)

    assert report["orphan_pdfs_deleted"] == 1 and report["pdfs_deleted"] == 0
    assert not default_storage.exists(orphan)
    assert default_storage.exists(f"{certificate_pdf_module.STORE}/notes/readme.txt")  # not ours to judge
    assert len(stored(cert)) == 1  # a recent PDF of a certificate that exists stays


def test_a_download_after_the_clean_up_renders_the_pdf_again(media, world, renders, django_capture_on_commit_callbacks):
    cert = world.a.records[Certificate]
    client = portal(world)
    download(client, cert)
    [name] = stored(cert)
    age(f"{certificate_pdf_module.STORE}/{cert.pk}/{name}", 31)
    clean_up(django_capture_on_commit_callbacks)
    assert stored(cert) == []
    download(client, cert)
    assert len(renders) == 2 and stored(cert) == [name]


def test_a_pdf_deleted_while_it_is_being_served_is_rendered_again(
    media, world, renders, monkeypatch, django_capture_on_commit_callbacks
):
    cert = world.a.records[Certificate]
    client = portal(world)
    download(client, cert)
    original = FileSystemStorage.open
    raced: list[str] = []

    def cleaned_up_first(storage, name, mode="rb"):
        if name.startswith(f"{certificate_pdf_module.STORE}/") and not raced:
            raced.append(name)
            with time_machine.travel(timezone.now() + timedelta(days=31)):
                clean_up(django_capture_on_commit_callbacks)
        return original(storage, name, mode)

    monkeypatch.setattr(FileSystemStorage, "open", cleaned_up_first)
    download(client, cert)
    assert raced and len(renders) == 2 and len(stored(cert)) == 1


def test_beat_runs_the_clean_up_daily():
    from iecq.celery import app

    entries = [e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == tasks.stored_pdfs_clear.name]
    assert len(entries) == 1 and entries[0]["schedule"] == 24 * 3600
    assert app.tasks[tasks.stored_pdfs_clear.name].run is tasks.stored_pdfs_clear.run  # the worker knows it
