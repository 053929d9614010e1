"""The auditor assignment check (CB-03, CB-04), used by every audit in the platform.

`assignment_problems` says, in words, every reason an auditor cannot be assigned to a
manufacturer's work in a technology on a date; `ensure_assignable` raises them as a validation error.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from iecq.dates import add_years
from iecq.errors import ValidationFailed

from .models import Auditor, AuditorCompetence, AuditorTraining, IndependenceDeclaration, Technology


def assignment_problems(
    auditor: Auditor,
    *,
    certification_body_id: int,
    manufacturer_id: int,
    technology: Technology | None,
    on: date | None = None,
) -> list[str]:
    """Every reason `auditor` cannot audit this manufacturer's `technology` work for this CB on `on`."""
    on = on or timezone.now().date()
    problems: list[str] = []
    if auditor.certification_body_id != certification_body_id:
        problems.append(_("%(auditor)s is not an auditor of this certification body.") % {"auditor": auditor})
    if not auditor.is_active:
        problems.append(_("%(auditor)s is no longer active.") % {"auditor": auditor})
    if auditor.qualified_until < on:
        problems.append(
            _("CB-04: %(auditor)s's qualification expired on %(day)s.")
            % {"auditor": auditor, "day": auditor.qualified_until.isoformat()}
        )
    if not AuditorTraining._base_manager.filter(auditor=auditor).exists():
        problems.append(_("CB-04: %(auditor)s has no documented training.") % {"auditor": auditor})
    competences = AuditorCompetence._base_manager.filter(auditor=auditor, technology=technology, since__lte=on)
    if technology is not None and not competences.exists():
        problems.append(
            _("CB-04: %(auditor)s is not competent in %(technology)s.") % {"auditor": auditor, "technology": technology}
        )
    declarations = IndependenceDeclaration._base_manager.filter(auditor=auditor)
    if not declarations.filter(signed_on__lte=on, valid_until__gte=on).exists():
        problems.append(_("CB-03: %(auditor)s has no declaration of interests in force.") % {"auditor": auditor})
    cooling_off_start = add_years(on, -settings.IECQ_CONFLICT_COOLING_OFF_YEARS)
    conflict = (
        declarations.filter(
            signed_on__gte=cooling_off_start, signed_on__lte=on, conflicted_manufacturers__pk=manufacturer_id
        )
        .order_by("-signed_on")
        .first()
    )
    if conflict is not None:
        problems.append(
            _("CB-03: %(auditor)s declared a conflict of interest with this manufacturer on %(day)s.")
            % {"auditor": auditor, "day": conflict.signed_on.isoformat()}
        )
    return problems


def ensure_assignable(auditor: Auditor, **kwargs) -> None:
    """Raise ValidationFailed listing every reason the auditor cannot be assigned."""
    problems = assignment_problems(auditor, **kwargs)
    if problems:
        raise ValidationFailed(
            _("This auditor cannot be assigned."), code="auditor_not_assignable", errors={"auditor": problems}
        )
