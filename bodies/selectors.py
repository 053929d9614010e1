"""Reads of the bodies app, always through the visibility rule."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from iecq.principals import Principal
from iecq.selectors import get_visible, visible

from .choices import CertificationBodyState
from .models import AccreditationBody, Auditor, CertificationBody, Scheme, Technology


def certification_body_list(*, principal: Principal) -> QuerySet[CertificationBody]:
    return visible(CertificationBody, principal)


def certification_body_get(*, principal: Principal, pk: object, for_update: bool = False) -> CertificationBody:
    return get_visible(CertificationBody, principal, pk, for_update=for_update)


def certification_bodies_approval_ended(*, principal: Principal, today: date) -> QuerySet[CertificationBody]:
    """Approved CBs whose approval period ended before `today` (CB-09); found by index, not by scan."""
    return visible(CertificationBody, principal).filter(
        state=CertificationBodyState.APPROVED, approval_valid_until__lt=today
    )


def auditor_list(*, principal: Principal) -> QuerySet[Auditor]:
    return visible(Auditor, principal).select_related("certification_body")


def accreditation_body_list() -> QuerySet[AccreditationBody]:
    """Reference data: public."""
    return AccreditationBody.objects.all()


def technology_list() -> QuerySet[Technology]:
    return Technology.objects.all()


def scheme_list() -> QuerySet[Scheme]:
    return Scheme.objects.all()
