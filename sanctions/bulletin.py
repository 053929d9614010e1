"""The IECQ system bulletin (SA-03): numbered notices, published in the same transaction as the decision."""

from __future__ import annotations

from django.utils import timezone

from bodies.models import CertificationBody
from certification.models import Certificate

from .models import BulletinNotice, NoticeSequence


def _next_number() -> str:
    """YYYY/NNNN, allocated under a row lock so that two decisions at once never share a number."""
    year = timezone.now().year
    sequence, _created = NoticeSequence.objects.get_or_create(year=year)
    sequence = NoticeSequence.objects.select_for_update().get(pk=sequence.pk)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{year}/{sequence.last:04d}"


def notice_publish(
    *,
    kind: str,
    reason: str,
    certificate: Certificate | None = None,
    certification_body: CertificationBody | None = None,
    corrects: BulletinNotice | None = None,
) -> BulletinNotice:
    """Publish one notice about a certificate (or a CB); never edited afterwards."""
    cb = certificate.certification_body if certificate is not None else certification_body
    return BulletinNotice.objects_append.create(
        number=_next_number(),
        kind=kind,
        certificate=certificate,
        certificate_number=certificate.number if certificate else "",
        manufacturer_name=certificate.manufacturer.name if certificate else "",
        subject_certification_body=cb,
        certification_body_name=cb.name,
        reason_summary=reason.strip()[:2000],
        corrects=corrects,
    )


CERTIFICATE_NOTICES = {
    "suspend": "suspension",
    "withdraw": "withdrawal",
    "reinstate": "reinstatement",
    "restore_on_appeal": "appeal_upheld",
}
CB_NOTICES = {"suspend": "suspension", "lapse": "suspension", "withdraw": "withdrawal", "reinstate": "reinstatement"}


def publish_decision(instance, log) -> BulletinNotice | None:
    """The notice a logged decision calls for, if any: suspensions, withdrawals and reinstatements of
    certificates and of approved CBs (withdrawing a CB's application is no sanction)."""
    if isinstance(instance, Certificate) and log.transition in CERTIFICATE_NOTICES:
        return notice_publish(kind=CERTIFICATE_NOTICES[log.transition], reason=log.reason, certificate=instance)
    if isinstance(instance, CertificationBody) and log.transition in CB_NOTICES:
        if log.transition == "withdraw" and log.source not in ("approved", "suspended"):
            return None
        return notice_publish(kind=CB_NOTICES[log.transition], reason=log.reason, certification_body=instance)
    return None
