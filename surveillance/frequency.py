"""Risk-based surveillance frequency (SV-07): an explicit rule over the manufacturer's record.

Over the last three years with this CB (one certification cycle):
- increased (every IECQ_SURVEILLANCE_INCREASED_MONTHS) if there was any major nonconformity, any failed
  sample, any suspension of one of its certificates, or three or more complaints and field failures;
- reduced (every IECQ_SURVEILLANCE_REDUCED_MONTHS) for an exceptional record: at least two closed audits,
  no major nonconformity, at most two minor ones, no complaint, no failed sample, no suspension;
- normal (every IECQ_SURVEILLANCE_NORMAL_MONTHS) otherwise.
The reasons are returned in words, so the portal and the API can show why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.models import Certificate
from iecq.dates import add_years
from iecq.models import TransitionLog

from .choices import AuditState, FrequencyLevel, Grade, SampleResult
from .models import Complaint, Nonconformity, ProductSample, SurveillanceAudit


@dataclass(frozen=True)
class Frequency:
    level: str
    months: int
    reasons: list[str]
    counts: dict[str, int]

    @property
    def label(self) -> str:
        return str(FrequencyLevel(self.level).label)


def surveillance_frequency(*, manufacturer_id: int, certification_body_id: int, as_of: date | None = None) -> Frequency:
    """The frequency this CB must audit this manufacturer at, and why (reads across scopes: counts only)."""
    as_of = as_of or timezone.now().date()
    since = add_years(as_of, -3)
    pair = {"manufacturer_id": manufacturer_id, "certification_body_id": certification_body_id}
    ncs = Nonconformity._base_manager.filter(**pair, created_at__date__gte=since)
    certificates = Certificate._base_manager.filter(**pair).values_list("pk", flat=True)
    counts = {
        "major": ncs.filter(grade=Grade.MAJOR).count(),
        "minor": ncs.filter(grade=Grade.MINOR).count(),
        "complaints": Complaint._base_manager.filter(**pair, received_on__gte=since).count(),
        "failed_samples": ProductSample._base_manager.filter(
            **pair, result=SampleResult.FAIL, taken_on__gte=since
        ).count(),
        "suspensions": TransitionLog._base_manager.filter(
            content_type=ContentType.objects.get_for_model(Certificate),
            object_id__in=list(certificates),
            transition="suspend",
            at__date__gte=since,
        ).count(),
        "closed_audits": SurveillanceAudit._base_manager.filter(
            **pair, state=AuditState.CLOSED, closed_on__gte=since
        ).count(),
    }
    increased = []
    if counts["major"]:
        increased.append(_("%(n)d major nonconformity(ies) in the last three years") % {"n": counts["major"]})
    if counts["failed_samples"]:
        increased.append(_("%(n)d failed product sample(s)") % {"n": counts["failed_samples"]})
    if counts["suspensions"]:
        increased.append(_("%(n)d suspension(s) of a certificate") % {"n": counts["suspensions"]})
    if counts["complaints"] >= 3:
        increased.append(_("%(n)d complaints or field failures") % {"n": counts["complaints"]})
    if increased:
        return Frequency(FrequencyLevel.INCREASED, settings.IECQ_SURVEILLANCE_INCREASED_MONTHS, increased, counts)
    exceptional = counts["closed_audits"] >= 2 and counts["minor"] <= 2 and counts["complaints"] == 0
    if exceptional:
        reasons = [
            _(
                "%(audits)d audits closed, no major and %(minor)d minor nonconformity(ies), no complaint, "
                "no failed sample, no suspension in three years"
            )
            % {"audits": counts["closed_audits"], "minor": counts["minor"]}
        ]
        return Frequency(FrequencyLevel.REDUCED, settings.IECQ_SURVEILLANCE_REDUCED_MONTHS, reasons, counts)
    reasons = [
        _(
            "No reason to increase; a reduced frequency needs at least two closed audits, at most two minor "
            "nonconformities and no complaint in three years (now: %(audits)d audits, %(minor)d minor, "
            "%(complaints)d complaints)"
        )
        % {"audits": counts["closed_audits"], "minor": counts["minor"], "complaints": counts["complaints"]}
    ]
    return Frequency(FrequencyLevel.NORMAL, settings.IECQ_SURVEILLANCE_NORMAL_MONTHS, reasons, counts)
