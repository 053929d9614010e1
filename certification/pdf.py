"""The certificate PDF (CE-03): vendored fonts, a QR code to the public verification page, no network."""

from __future__ import annotations

import segno
from django.conf import settings
from django.urls import reverse

from iecq.pdf import render_pdf

from .models import Certificate


def verification_url(certificate: Certificate) -> str:
    return settings.IECQ_PUBLIC_BASE_URL.rstrip("/") + reverse("register:verify", args=[certificate.number])


def render_certificate_pdf(certificate: Certificate, *, language: str = "en") -> bytes:
    """The PDF of one certificate, read inside the caller's scope (the selector checked visibility)."""
    url = verification_url(certificate)
    return render_pdf(
        "certification/certificate_pdf.html",
        {
            "certificate": certificate,
            "sites": list(certificate.sites.all()),
            "technologies": [str(t) for t in certificate.technologies.all()],
            "verify_url": url,
            "qr_data_uri": segno.make(url, error="m").svg_data_uri(scale=4),
            "language": language,
        },
    )
