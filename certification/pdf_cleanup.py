"""The daily clean-up of stored PDFs (CE-03): what the beat task `certification.tasks.stored_pdfs_clear` runs.

- A finished zip of certificate PDFs is kept IECQ_PDF_BATCH_RETENTION_DAYS after it was ready; then its job is
  expired (logged, services.certificate_pdf_batch_expire) and the zip deleted. The portal and the API then answer
  that the zip has expired and can be asked for again. A zip no finished job refers to (its deletion failed, or its
  job failed after the zip was written) is deleted once it is as old.
- A job of certificate PDFs still queued or rendering IECQ_PDF_BATCH_STALE_HOURS after it was asked for (its Celery
  message was lost, or its worker died and no redelivery came) is failed (logged, with a reason its requester reads,
  services.certificate_pdf_batch_fail_stale): its page stops polling and offers to ask again.
- A stored certificate PDF (certification.pdf) is a cache entry: it is deleted when nobody downloaded it for
  IECQ_STORED_PDF_RETENTION_DAYS (its modification time, which a download moves forward), when its language is no
  longer offered, or when its certificate no longer exists. The next download renders it again.
  A download's temporary file (<name>.<random>.tmp, renamed onto <name> once written) is judged the same way, so
  one being written is left alone and one a dead writer left behind goes as a stale PDF does.

Safe to run twice at once and to run while downloads go on: every deletion tolerates a file already gone, and a
download that loses its stored copy renders it again. The certificate store is walked one folder at a time (on
FileSystemStorage the top folder is streamed with os.scandir, not listed), so memory does not grow with the
number of certificates.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils import timezone

from iecq.principals import Principal
from iecq.selectors import visible

from . import services
from .choices import PdfBatchState as S
from .models import Certificate, CertificatePdfBatch
from .pdf import STORE

logger = logging.getLogger(__name__)
BATCH_STORE = CertificatePdfBatch._meta.get_field("file").upload_to.rstrip("/")
FOLDERS_PER_QUERY = 500  # certificate folders whose certificates are looked up at once


@dataclass
class CleanupReport:
    """What one run of the clean-up deleted."""

    batches_expired: int = 0
    batches_failed: int = 0  # still queued or rendering after IECQ_PDF_BATCH_STALE_HOURS
    zips_deleted: int = 0  # zips no finished job referred to (those of expired jobs are counted above)
    pdfs_deleted: int = 0  # stale, or in a language no longer offered
    orphan_pdfs_deleted: int = 0  # their certificate no longer exists


def stored_pdfs_clear(*, actor: Principal, now: datetime | None = None) -> CleanupReport:
    """Fail jobs no worker finished, expire old zips of certificate PDFs, then delete the stored PDFs nobody reads
    any more."""
    now = now or timezone.now()
    report = CleanupReport()
    report.batches_failed = _fail_stale_batches(actor, now - timedelta(hours=settings.IECQ_PDF_BATCH_STALE_HOURS))
    zip_cutoff = now - timedelta(days=settings.IECQ_PDF_BATCH_RETENTION_DAYS)
    report.batches_expired = _expire_batches(actor, zip_cutoff)
    report.zips_deleted = _delete_unreferenced_zips(actor, zip_cutoff)
    _delete_unread_pdfs(actor, now - timedelta(days=settings.IECQ_STORED_PDF_RETENTION_DAYS), report)
    return report


def _expire_batches(actor: Principal, cutoff: datetime) -> int:
    expired = 0
    due = visible(CertificatePdfBatch, actor).filter(state=S.DONE, finished_at__lt=cutoff).order_by("pk")
    # A list: one day's finished jobs (those of earlier days were expired by earlier runs), and no cursor held
    # open across the services' commits.
    for pk in list(due.values_list("pk", flat=True)):
        if services.certificate_pdf_batch_expire(actor=actor, pk=pk).state == S.EXPIRED:
            expired += 1
    return expired


def _fail_stale_batches(actor: Principal, cutoff: datetime) -> int:
    failed = 0
    stale = visible(CertificatePdfBatch, actor).filter(state__in=[S.QUEUED, S.RENDERING], created_at__lt=cutoff)
    for pk in list(stale.order_by("pk").values_list("pk", flat=True)):  # a handful: lost messages are rare
        if services.certificate_pdf_batch_fail_stale(actor=actor, pk=pk).state == S.FAILED:
            failed += 1
    return failed


def _delete_unreferenced_zips(actor: Principal, cutoff: datetime) -> int:
    """Zips as old as the retention period that no finished job refers to (one folder, one zip per recent job)."""
    deleted = 0
    for filename in _files(BATCH_STORE):
        name = f"{BATCH_STORE}/{filename}"
        if not _older_than(name, cutoff):
            continue
        if visible(CertificatePdfBatch, actor).filter(state=S.DONE, file=name).exists():
            continue  # its job finished after the cutoff, or the clock moved: the job's own expiry deletes it
        deleted += _delete(name)
    return deleted


def _delete_unread_pdfs(actor: Principal, cutoff: datetime, report: CleanupReport) -> None:
    languages = {code for code, _name in settings.LANGUAGES}
    folders = _certificate_folders()
    while chunk := list(islice(folders, FOLDERS_PER_QUERY)):
        ids = {pk for folder in chunk if (pk := _certificate_id(folder)) is not None}
        existing = set(visible(Certificate, actor).filter(pk__in=ids).values_list("pk", flat=True))
        for folder in chunk:
            pk = _certificate_id(folder)
            if pk is None:
                logger.warning("stored PDF clean-up: %s/%s is not a certificate's folder; left alone", STORE, folder)
                continue
            orphan = pk not in existing
            files = _files(f"{STORE}/{folder}")
            left = len(files)
            for filename in files:
                name = f"{STORE}/{folder}/{filename}"
                if orphan:
                    report.orphan_pdfs_deleted += _delete(name)
                elif filename.split("_", 1)[0] not in languages or _older_than(name, cutoff):
                    report.pdfs_deleted += _delete(name)
                else:
                    continue
                left -= 1
            if not left:
                _delete_empty_folder(f"{STORE}/{folder}")


def _certificate_folders() -> Iterator[str]:
    """The names of the folders of the certificate store, streamed where the storage allows it."""
    if isinstance(default_storage, FileSystemStorage):
        try:
            with os.scandir(default_storage.path(STORE)) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        yield entry.name
        except FileNotFoundError:
            return
    elif default_storage.exists(STORE):
        yield from default_storage.listdir(STORE)[0]  # other storages list a folder in one go


def _certificate_id(folder: str) -> int | None:
    return int(folder) if folder.isascii() and folder.isdigit() and len(folder) < 19 else None


def _files(folder: str) -> list[str]:
    try:
        return default_storage.listdir(folder)[1]
    except FileNotFoundError:
        return []


def _older_than(name: str, cutoff: datetime) -> bool:
    try:
        return default_storage.get_modified_time(name) < cutoff
    except FileNotFoundError:
        return False  # gone meanwhile: nothing to delete


def _delete(name: str) -> int:
    """1 if the file was deleted, 0 if it was gone already (another run, or a newer copy replaced it)."""
    try:
        if not default_storage.exists(name):
            return 0
        default_storage.delete(name)
    except FileNotFoundError:
        return 0
    return 1


def _delete_empty_folder(folder: str) -> None:
    """FileSystemStorage only (other storages have no folders of their own); a download that stored a new copy
    meanwhile makes the folder non-empty, and then it stays."""
    if not isinstance(default_storage, FileSystemStorage):
        return
    with contextlib.suppress(OSError):
        os.rmdir(default_storage.path(folder))
