"""Deadlines of surveillance (SC-01): audits to hold, corrective actions due, annual audits to plan."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from django.utils.translation import gettext as _

from iecq.deadlines import Deadline

from .choices import OPEN_AUDIT_STATES, NonconformityState
from .models import Nonconformity, SurveillanceAudit


# prefetch_related, not select_related: the planner overestimates what is due (state and date are correlated), so
# a join hashed the whole manufacturer table on every sweep; the prefetch reads only the due ones' by primary key.
def deadlines_due(*, until: date) -> Iterator[Deadline]:
    """Open audits and open nonconformities due on or before `until`; run inside a system scope."""
    for audit in SurveillanceAudit.objects.filter(state__in=OPEN_AUDIT_STATES, due_on__lte=until).prefetch_related(
        "manufacturer"
    ):
        yield Deadline(
            "audit_due",
            audit.due_on,
            audit,
            audit.certification_body_id,
            _("%(kind)s of %(manufacturer)s") % {"kind": audit.get_kind_display(), "manufacturer": audit.manufacturer},
            manufacturer_id=audit.manufacturer_id,
            audience=("cb", "manufacturer"),
            url=f"/surveillance/audits/{audit.pk}/",
        )
    for nc in Nonconformity.objects.filter(
        state__in=[NonconformityState.OPEN, NonconformityState.ACTION_SUBMITTED], due_on__lte=until
    ).prefetch_related("manufacturer"):
        audience = ("manufacturer", "cb") if nc.state == NonconformityState.OPEN else ("cb",)
        yield Deadline(
            "nonconformity_due",
            nc.due_on,
            nc,
            nc.certification_body_id,
            _("Corrective action for the %(grade)s nonconformity at %(manufacturer)s")
            % {"grade": nc.get_grade_display().lower(), "manufacturer": nc.manufacturer},
            manufacturer_id=nc.manufacturer_id,
            audience=audience,
            url=f"/surveillance/nonconformities/{nc.pk}/",
        )
