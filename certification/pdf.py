"""The certificate PDF (CE-03): vendored fonts, a QR code to the public verification page, no network.

A rendered PDF is stored (default storage, certificate-pdfs/<id>/<language>_<digest>.pdf) under the digest of
the HTML it was rendered from and of the stylesheet: that HTML holds everything printed (status, revision,
holder, sites, scope, the language's wording), so a download serves the stored copy only while none of it
changed, and a status change, a new revision or a renamed site gives a new file.

The store is a cache: the daily clean-up (certification.pdf_cleanup) deletes copies nobody downloaded for
IECQ_STORED_PDF_RETENTION_DAYS, judged by their modification time, which a download moves forward (at most once a
day, on FileSystemStorage). A copy deleted even while a download reads it is simply rendered again; a copy being
stored is found whole or not at all (on FileSystemStorage it is written under a temporary name, then renamed).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse
from django.utils.crypto import get_random_string

from iecq import qr
from iecq.pdf import html_to_pdf, render_html, static_file_url

from .models import Certificate

logger = logging.getLogger(__name__)

TEMPLATE = "certification/certificate_pdf.html"
STYLESHEET = "pdf/certificate.css"
CONTINUED = "pdf/certificate-pages.css"  # added when a certificate runs over one page: page footers
STORE = "certificate-pdfs"
# A download marks its stored copy as read (its modification time) only when the mark is older than this: one
# utime a day for a PDF read all day long.
READ_MARK_SECONDS = 24 * 3600


def verification_url(certificate: Certificate) -> str:
    return settings.IECQ_PUBLIC_BASE_URL.rstrip("/") + reverse("register:verify", args=[certificate.number])


def qr_code_data_uri(url: str) -> str:
    """The QR code as a PNG of one pixel per module (drawn without smoothing): a vector path of hundreds of
    segments cost WeasyPrint more than the rest of the page."""
    return qr.png_data_uri(url)


# Where the QR code goes in the HTML until the PDF is rendered. The code is a function of the verification address,
# which the page prints beside it, so the HTML without it still holds everything printed (the stored copy's key);
# a download of a stored copy does not draw it (a few milliseconds of mask selection). User text is escaped by the
# template, so it cannot contain this attribute.
_QR_SLOT = 'src="data:,iecq-qr-code"'


def certificate_html(certificate: Certificate, *, language: str = "en", qr: bool = True) -> str:
    """The HTML of the certificate PDF, read inside the caller's scope (the selector checked visibility); with
    `qr=False`, the QR code left out (`_QR_SLOT`), as the stored copy's key is computed."""
    url = verification_url(certificate)
    html = render_html(
        TEMPLATE,
        {
            "certificate": certificate,
            "sites": list(certificate.sites.all()),
            "technologies": [t.name for t in certificate.technologies.all()],
            "verify_url": url,
            "qr_slot": _QR_SLOT,
            "language": language,
        },
    )
    return _with_qr(html, url) if qr else html


def _with_qr(html: str, url: str) -> str:
    if _QR_SLOT not in html:
        raise ValueError("The certificate template has no QR code slot.")
    return html.replace(_QR_SLOT, f'src="{qr_code_data_uri(url)}"', 1)


def render_certificate_pdf(certificate: Certificate, *, language: str = "en") -> bytes:
    """The PDF of one certificate, rendered now (certificate_pdf serves a stored copy when there is one)."""
    return _pdf(certificate_html(certificate, language=language))


def _pdf(html: str) -> bytes:
    return html_to_pdf(html, stylesheet=STYLESHEET, continued=CONTINUED)


@cache
def _stylesheet_digest() -> bytes:
    digest = hashlib.sha256()
    for stylesheet in (STYLESHEET, CONTINUED):
        digest.update(Path(unquote(urlparse(static_file_url(stylesheet)).path)).read_bytes())
    return digest.digest()


def stored_pdf_name(certificate: Certificate, html: str, *, language: str) -> str:
    """certificate-pdfs/<id>/<language>_<digest>.pdf; the language is the one the HTML was rendered in (the clean-up
    deletes copies in a language no longer offered)."""
    digest = hashlib.sha256(_stylesheet_digest() + html.encode()).hexdigest()[:32]
    return f"{STORE}/{certificate.pk}/{language}_{digest}.pdf"


def certificate_pdf(certificate: Certificate, *, language: str = "en") -> bytes:
    """The PDF of one certificate: the stored copy if what it prints is unchanged, else rendered and stored."""
    html = certificate_html(certificate, language=language, qr=False)
    name = stored_pdf_name(certificate, html, language=language)
    pdf = _read_stored(name)
    if pdf is not None:
        return pdf
    pdf = _pdf(_with_qr(html, verification_url(certificate)))
    _store(name, pdf)
    return pdf


def _read_stored(name: str) -> bytes | None:
    """The stored copy, or None when there is none: never stored, or deleted by the clean-up, even between a check
    and the read (so no exists() first: the open is the check)."""
    try:
        with default_storage.open(name, "rb") as f:
            pdf = f.read()
    except FileNotFoundError:
        return None
    _mark_read(name)
    return pdf


def _mark_read(name: str) -> None:
    """Move a stored copy's modification time to now if the last mark is a day old, so the clean-up keeps PDFs
    people download. FileSystemStorage only: elsewhere (object storage cannot touch a file without rewriting it) a
    PDF read every day is deleted and rendered again once per retention period, which costs one render."""
    if not isinstance(default_storage, FileSystemStorage):
        return
    now = time.time()
    try:
        path = default_storage.path(name)
        if now - os.stat(path).st_mtime > READ_MARK_SECONDS:
            os.utime(path, (now, now))
    except OSError:
        pass  # deleted meanwhile, or a read-only store: this download is served all the same


def _store(name: str, pdf: bytes) -> None:
    """Keep the new copy and drop this certificate's older ones in the same language; a failure only costs a
    render next time, so it never fails the download."""
    folder, filename = name.rsplit("/", 1)
    prefix = filename.rsplit("_", 1)[0] + "_"
    try:
        if not default_storage.exists(name):
            _publish(name, pdf)
        for old in default_storage.listdir(folder)[1]:
            # .pdf only: another download's temporary file (below) is left to its writer.
            if old.startswith(prefix) and old.endswith(".pdf") and old != filename:
                default_storage.delete(f"{folder}/{old}")
    except OSError:
        logger.warning("could not store %s", name, exc_info=True)


def _publish(name: str, pdf: bytes) -> None:
    """Store a file so that a reader finds it whole or not at all. FileSystemStorage writes a file chunk by chunk,
    so it is written under a temporary name in the same folder (<name>.<random>.tmp: the clean-up reads the language
    from it and deletes it only once it is as old as a stale PDF, i.e. left by a writer that died) and renamed onto
    its name. Other storages (object stores) publish an object whole on PUT."""
    if not isinstance(default_storage, FileSystemStorage):
        default_storage.save(name, ContentFile(pdf))
        return
    temporary = default_storage.save(f"{name}.{get_random_string(12)}.tmp", ContentFile(pdf))
    try:
        os.replace(default_storage.path(temporary), default_storage.path(name))
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(default_storage.path(temporary))
        raise
