"""Deadlines of sanctions (SC-01): CARs due, appeals to answer, suspensions reaching their maximum length."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from django.conf import settings
from django.utils.translation import gettext as _

from certification.choices import CertificateState
from certification.models import Certificate
from iecq.dates import add_months
from iecq.deadlines import Deadline

from .choices import AppealState, CARState
from .models import Appeal, CorrectiveActionRequest


def deadlines_due(*, until: date) -> Iterator[Deadline]:
    """Run inside a system scope; each query is bounded by an indexed date."""
    for car in CorrectiveActionRequest.objects.filter(state=CARState.ISSUED, due_on__lte=until):
        yield Deadline(
            "car_due",
            car.due_on,
            car,
            car.certification_body_id,
            _("Response to %(car)s") % {"car": car.number},
            manufacturer_id=car.manufacturer_id,
            audience=("manufacturer", "cb"),
            url=f"/sanctions/cars/{car.pk}/",
        )
    for appeal in Appeal.objects.filter(
        state__in=[AppealState.LODGED, AppealState.ACKNOWLEDGED], response_due_on__lte=until
    ):
        yield Deadline(
            "appeal_response",
            appeal.response_due_on,
            appeal,
            appeal.certification_body_id,
            _("Answer to the appeal %(appeal)s") % {"appeal": appeal},
            url=f"/sanctions/appeals/{appeal.pk}/",
        )
    oldest = add_months(until, -settings.IECQ_SUSPENSION_MAX_MONTHS)
    for cert in Certificate.objects.filter(state=CertificateState.SUSPENDED, suspended_on__lte=oldest):
        yield Deadline(
            "suspension_limit",
            add_months(cert.suspended_on, settings.IECQ_SUSPENSION_MAX_MONTHS),
            cert,
            cert.certification_body_id,
            _("Suspension of %(cert)s reaches its maximum length: withdrawal proposed") % {"cert": cert.number},
            url=f"/certification/certificates/{cert.pk}/",
        )
