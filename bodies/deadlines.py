"""Deadlines of the bodies app (SC-01), for the sweep: each query is bounded by its date index."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from django.utils.translation import gettext as _

from iecq.deadlines import Deadline

from .choices import CertificationBodyState
from .models import Accreditation, Auditor, CertificationBody, Equipment


def deadlines_due(*, until: date) -> Iterator[Deadline]:
    """Everything of the bodies app due on or before `until`; run inside a system scope."""
    live = [CertificationBodyState.APPROVED, CertificationBodyState.SUSPENDED]
    for cb in CertificationBody.objects.filter(state__in=live, next_surveillance_due__lte=until):
        yield Deadline(
            "cb_annual_surveillance",
            cb.next_surveillance_due,
            cb,
            cb.pk,
            _("Annual surveillance visit of %(cb)s") % {"cb": cb},
        )
    for cb in CertificationBody.objects.filter(state__in=live, approval_valid_until__lte=until):
        yield Deadline(
            "cb_reaccreditation",
            cb.approval_valid_until,
            cb,
            cb.pk,
            _("Reaccreditation of %(cb)s: the approval ends") % {"cb": cb},
        )
    for acc in Accreditation.objects.filter(
        valid_until__lte=until, withdrawn_on__isnull=True, certification_body__state__in=live
    ).select_related("accreditation_body"):
        yield Deadline(
            "accreditation_expiry",
            acc.valid_until,
            acc,
            acc.certification_body_id,
            _("Accreditation %(accreditation)s expires") % {"accreditation": acc},
        )
    for equipment in Equipment.objects.filter(calibration_due_on__lte=until).select_related("laboratory"):
        yield Deadline(
            "calibration",
            equipment.calibration_due_on,
            equipment,
            equipment.laboratory.owner_id,
            _("Calibration of %(equipment)s") % {"equipment": equipment},
        )
    for auditor in Auditor.objects.filter(is_active=True, qualified_until__lte=until):
        yield Deadline(
            "auditor_qualification",
            auditor.qualified_until,
            auditor,
            auditor.certification_body_id,
            _("Qualification of auditor %(auditor)s expires") % {"auditor": auditor},
        )
