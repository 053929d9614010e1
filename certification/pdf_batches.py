"""One zip of certificate PDFs, from the queued job to done: what the Celery task runs.

Each PDF comes from the store when what it prints is unchanged (certification.pdf.certificate_pdf), else it is
rendered and stored. Only certificates the requester still sees when the task runs go into the zip; the count
of those rendered is saved every few PDFs, which is what the portal's progress bar polls.
"""

from __future__ import annotations

import logging
import tempfile
import zipfile

from django.core.files import File
from django.db.models import prefetch_related_objects
from django.utils import translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from iecq.errors import NotFound
from iecq.principals import Principal, system_principal
from iecq.selectors import get_visible, visible

from . import services
from .choices import PdfBatchState as S
from .models import Certificate, CertificatePdfBatch
from .pdf import certificate_pdf
from .selectors import DOCUMENT_PREFETCH, DOCUMENT_RELATED

logger = logging.getLogger(__name__)
CHUNK = 50  # certificates read (and progress saved) at a time


def _closer(actor: Principal, batch: CertificatePdfBatch) -> Principal:
    """Who records the end of a job: its requester, or the system when the requester may no longer act."""
    if actor.is_cb and actor.certification_body_id == batch.certification_body_id:
        return actor
    return system_principal(f"certificate PDF batch {batch.pk} closed")


def zip_member_name(certificate: Certificate) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in certificate.number) + ".pdf"


def run_batch(*, actor: Principal, batch_id: int) -> CertificatePdfBatch | None:
    """Render (or read from the store) every PDF of a queued job into one stored zip."""
    try:
        batch = get_visible(CertificatePdfBatch, actor, batch_id)
    except NotFound:
        return None
    if batch.state == S.RENDERING:  # its worker died half-way: nothing was kept
        return services.certificate_pdf_batch_advance(
            actor=_closer(actor, batch), pk=batch.pk, name="fail", reason=_("The worker stopped.")
        )
    if batch.state != S.QUEUED:
        return batch
    batch = services.certificate_pdf_batch_advance(actor=actor, pk=batch.pk, name="start")
    try:
        with translation.override(batch.language), tempfile.TemporaryFile() as tmp:
            done = _write_zip(actor, batch, tmp)
            tmp.seek(0)
            name = f"{batch.pk}-{get_random_string(16)}.zip"
            batch.file.save(name, File(tmp), save=False)
        return services.certificate_pdf_batch_advance(
            actor=actor, pk=batch.pk, name="finish", processed=done, total=done, file=batch.file.name
        )
    except Exception:
        logger.exception("certificate PDF batch %s failed", batch.pk)
        return services.certificate_pdf_batch_advance(
            actor=_closer(actor, batch), pk=batch.pk, name="fail", reason=_("The PDFs could not be rendered.")
        )


def _write_zip(actor: Principal, batch: CertificatePdfBatch, target) -> int:
    ids = list(batch.certificate_ids)
    done = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for start in range(0, len(ids), CHUNK):
            chunk = list(
                visible(Certificate, actor)
                .filter(pk__in=ids[start : start + CHUNK])
                .select_related(*DOCUMENT_RELATED)
                .order_by("number")
            )
            prefetch_related_objects(chunk, *DOCUMENT_PREFETCH)
            for cert in chunk:
                archive.writestr(zip_member_name(cert), certificate_pdf(cert, language=batch.language))
                done += 1
            CertificatePdfBatch.objects.filter(pk=batch.pk).update(processed=done)
    return done
