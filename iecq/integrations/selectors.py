"""Reads of the integrations app; each goes through the visibility rule."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from ..principals import Principal
from ..selectors import visible
from .events import WATCH_TYPE
from .models import Event, WatchlistEntry, WebhookDelivery, WebhookSubscription


def event_feed(*, principal: Principal) -> QuerySet[Event]:
    """The events `principal` may see, oldest first, that are safe to hand out in `after=<id>` order.

    Ids are taken when a transaction writes, not when it commits: an event of a transaction still
    running could later appear below an id already handed out. The feed therefore holds back every
    event written by a transaction that may still be running (PostgreSQL's snapshot xmin), except the
    caller's own, so an integrator reading `after=<last id>` never skips one.
    """
    qs = visible(Event, principal).order_by("id")
    if connection.vendor == "postgresql":
        settled = RawSQL("pg_snapshot_xmin(pg_current_snapshot())::text::bigint", [])
        own = RawSQL("pg_current_xact_id_if_assigned()::text::bigint", [])
        qs = qs.filter(Q(txid__lt=settled) | Q(txid=own) | Q(txid__isnull=True))
    return qs


def watch_events(*, principal: Principal) -> QuerySet[Event]:
    """The organisation's watchlist events, newest first."""
    return visible(Event, principal).filter(type=WATCH_TYPE, organisation_id=principal.organisation_id).order_by("-id")


def subscriptions(*, principal: Principal) -> QuerySet[WebhookSubscription]:
    return visible(WebhookSubscription, principal).filter(organisation_id=principal.organisation_id)


def deliveries(*, principal: Principal) -> QuerySet[WebhookDelivery]:
    return visible(WebhookDelivery, principal).select_related("event").prefetch_related("attempt_log")


def watchlist(*, principal: Principal) -> QuerySet[WatchlistEntry]:
    return visible(WatchlistEntry, principal).filter(organisation_id=principal.organisation_id)
