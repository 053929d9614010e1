"""Reads of manufacturers, sites and client relationships, always through the visibility rule."""

from __future__ import annotations

from django.db.models import QuerySet

from iecq.principals import Principal
from iecq.selectors import get_visible, visible

from .models import Engagement, Manufacturer, Site


def manufacturer_list(*, principal: Principal) -> QuerySet[Manufacturer]:
    return visible(Manufacturer, principal)


def manufacturer_get(*, principal: Principal, pk: object, for_update: bool = False) -> Manufacturer:
    return get_visible(Manufacturer, principal, pk, for_update=for_update)


def site_list(*, principal: Principal) -> QuerySet[Site]:
    return visible(Site, principal).select_related("manufacturer")


def site_get(*, principal: Principal, pk: object, for_update: bool = False) -> Site:
    return get_visible(Site, principal, pk, for_update=for_update)


def engagement_list(*, principal: Principal) -> QuerySet[Engagement]:
    return visible(Engagement, principal).select_related("manufacturer", "certification_body")
