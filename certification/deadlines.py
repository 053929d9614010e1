"""Deadlines of certificates (SC-01): expiry, by which recertification must be complete (SV-06)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from django.utils.translation import gettext as _

from iecq.deadlines import Deadline

from .choices import CertificateState
from .models import Certificate


# prefetch_related, not select_related: the planner overestimates what is due (state and date are correlated), so
# a join hashed the whole manufacturer table on every sweep; the prefetch reads only the due ones' by primary key.
def deadlines_due(*, until: date) -> Iterator[Deadline]:
    """Valid or suspended certificates expiring on or before `until`; run inside a system scope."""
    for cert in Certificate.objects.filter(
        state__in=[CertificateState.VALID, CertificateState.SUSPENDED], expires_on__lte=until
    ).prefetch_related("manufacturer"):
        yield Deadline(
            "certificate_expiry",
            cert.expires_on,
            cert,
            cert.certification_body_id,
            _("Certificate %(number)s of %(manufacturer)s expires unless recertified")
            % {"number": cert.number, "manufacturer": cert.manufacturer},
            manufacturer_id=cert.manufacturer_id,
            audience=("cb", "manufacturer"),
            url=f"/certification/certificates/{cert.pk}/",
        )
