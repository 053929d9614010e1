"""Reads of certification bodies, always through the visibility rule."""

from __future__ import annotations

from django.db.models import QuerySet

from iecq.principals import Principal
from iecq.selectors import get_visible, visible

from .models import AccreditationBody, CertificationBody


def certification_body_list(*, principal: Principal, filters: dict | None = None) -> QuerySet[CertificationBody]:
    from .filters import CertificationBodyFilter

    qs = visible(CertificationBody, principal)
    return CertificationBodyFilter(filters or {}, queryset=qs).qs if filters else qs


def certification_body_get(*, principal: Principal, pk: object, for_update: bool = False) -> CertificationBody:
    return get_visible(CertificationBody, principal, pk, for_update=for_update)


def accreditation_body_list() -> QuerySet[AccreditationBody]:
    """Reference data: public."""
    return AccreditationBody.objects.all()
