"""Writing the event feed (PL-04): one event per change, in the change's own transaction.

`event_for_transition` is called by `iecq.transitions.log_append` (every state change) and
`event_record` by the services that create records. Each event is fanned out, still in the same
transaction, to the webhook subscriptions of every organisation that may see it (the visibility rule
applied to that organisation's principal), and a certificate's event to the organisations watching it
(public register fields only). Delivery itself happens after commit (`tasks.webhook_deliver`).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils import timezone

from ..principals import Principal, _jurisdiction, system_principal
from ..tenancy import _is_multivalued, tenant_values
from .choices import DeliveryState
from .models import Event, WatchlistEntry, WebhookDelivery, WebhookSubscription

M = TypeVar("M", bound=models.Model)
FAN_OUT = system_principal("webhook and watchlist fan-out")
DELIVERY = system_principal("webhook delivery")
WATCH_TYPE = "watchlist.certificate_changed"
# Transitions that keep the state get a name of their own instead of "<model>.<state>".
SAME_STATE_NAMES = {"recertify": "recertified", "transfer": "transferred"}
# Never copied into an event, whatever the model.
JSON_NATIVE = (str, int, float, bool, list, dict, date, datetime, Decimal, uuid.UUID)
SECRET_WORDS = ("secret", "hash", "token", "password", "storage_name", "sha256")


def event_type(model: type[models.Model], *, transition: str, source: str, target: str) -> str:
    """`certificate.suspended`: the model and the state reached; same-state transitions name themselves."""
    name = model._meta.model_name
    if str(source) != str(target):
        return f"{name}.{target}"
    return f"{name}.{SAME_STATE_NAMES.get(transition, transition)}"


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The subject's state and scalar fields (foreign keys as ids), never files or secrets."""
    data: dict[str, Any] = {"id": instance.pk, "display": str(instance)[:200]}
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.FileField) or any(word in field.name for word in SECRET_WORDS):
            continue
        value = field.value_from_object(instance)
        if value is not None and not isinstance(value, JSON_NATIVE):
            value = str(value)  # a country, say: its code
        data[field.attname] = value
    return data


def _follow(instance: models.Model, path: str | None) -> object:
    if not path or _is_multivalued(type(instance), path):
        return None
    obj: object = instance
    for part in path.split("__"):
        if obj is None:
            return None
        obj = obj.pk if part == "pk" else getattr(obj, part)
    return obj.pk if isinstance(obj, models.Model) else obj


def _tenant_fields(instance: models.Model) -> dict[str, object]:
    tenancy = type(instance).tenancy
    values = tenant_values(instance)
    countries = [str(c) for c in (_follow(instance, p) for p in tenancy.country_paths) if c]
    return {
        "certification_body_id": values["certification_body_id"],
        "manufacturer_id": values["manufacturer_id"],
        "country": countries[0] if countries else "",
        "other_country": next((c for c in countries[1:] if c != countries[0]), ""),
        "organisation_id": _follow(instance, tenancy.organisation),
    }


def _txid() -> RawSQL | None:
    return RawSQL("pg_current_xact_id()::text::bigint", []) if connection.vendor == "postgresql" else None


def _append(**fields: Any) -> Event:
    event = Event.objects_append.create(txid=_txid(), **fields)
    if event.txid is not None and not isinstance(event.txid, int):
        event.refresh_from_db(fields=["txid"])
    return event


_pending: ContextVar[list[Callable[[], Event]] | None] = ContextVar("iecq_pending_events", default=None)


@contextlib.contextmanager
def collecting() -> Iterator[None]:
    """Around a service (`iecq.tenancy.service`): its events are written when it ends, still inside its
    transaction, so their snapshots show the record as the service left it (a certificate's new revision,
    say). Outside a service an event is written at once."""
    if _pending.get() is not None:  # a service called by a service: the outer one writes
        yield
        return
    token = _pending.set([])
    try:
        yield
        queue = _pending.get()
        while queue:
            queue.pop(0)()
    finally:
        _pending.reset(token)


def _write_or_queue(write: Callable[[], Event], *, happened: Callable[[], bool]) -> Event | None:
    queue = _pending.get()
    if queue is None:
        return write()
    # A savepoint the service rolled back (and carried on) may have undone the change meanwhile.
    queue.append(lambda: write() if happened() else None)
    return None


def event_record(
    *,
    instance: models.Model,
    type: str,
    actor: Principal,
    extra: dict[str, Any] | None = None,
    log_id: int | None = None,
) -> Event | None:
    """Append an event about `instance` (use `<model>.created` in create services) and fan it out; inside a
    service the event is written when the service ends (see `collecting`)."""
    # Who may see it is decided now: a certificate's transfer is seen by the CB it leaves.
    tenant = _tenant_fields(instance)

    def write() -> Event:
        event = _append(
            type=type,
            subject_type=instance._meta.label_lower,
            subject_id=instance.pk,
            data={**snapshot(instance), **(extra or {})},
            actor_label=actor.label[:200],
            **tenant,
        )
        fan_out(event)
        if instance._meta.label_lower == "certification.certificate":
            watch_fan_out(event, certificate=instance, actor=actor)
        return event

    def happened() -> bool:
        from ..models import TransitionLog

        if log_id is not None:
            return TransitionLog.objects_append.filter(pk=log_id).exists()
        return instance.__class__._base_manager.filter(pk=instance.pk).exists()

    return _write_or_queue(write, happened=happened)


def record_created(instance: M, *, actor: Principal) -> M:
    """For create services: the `<model>.created` event of a new record; returns the record."""
    event_record(instance=instance, type=f"{instance._meta.model_name}.created", actor=actor)
    return instance


def event_for_transition(
    *,
    instance: models.Model,
    transition: str,
    source: str,
    target: str,
    reason: str,
    actor: Principal,
    field: str,
    log_id: int | None = None,
) -> Event | None:
    """The event of one logged state change (called by `log_append`, in its transaction)."""
    kind = event_type(type(instance), transition=transition, source=source, target=target)
    # The state this change reached, even if the same service moves the record on afterwards.
    extra = {field: str(target), "transition": transition, "from": str(source), "to": str(target), "reason": reason}
    return event_record(instance=instance, type=kind, actor=actor, extra=extra, log_id=log_id)


def events_for_transitions_many(
    instances: list[models.Model], *, transition: str, source: str, target: str, reason: str, actor: Principal
) -> list[Event]:
    """The events of many records reaching the same state at once (`log_append_many`: bulk imports): a few
    INSERTs, not one per record. Fanned out record by record only where a webhook subscription wants this
    type or, for certificates, an organisation watches one of the manufacturers."""
    if not instances:
        return []
    model = type(instances[0])
    kind = event_type(model, transition=transition, source=source, target=target)
    target_field = {"transition": transition, "from": str(source), "to": str(target), "reason": reason}
    txid = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()::text::bigint")
            txid = cursor.fetchone()[0]
    rows = [
        Event(
            txid=txid,
            type=kind,
            subject_type=instance._meta.label_lower,
            subject_id=instance.pk,
            data={**snapshot(instance), **target_field},
            actor_label=actor.label[:200],
            **_tenant_fields(instance),
        )
        for instance in instances
    ]
    events = Event.objects_append.bulk_create(rows, batch_size=2000)
    subscribed = any(s.wants(kind) for s in WebhookSubscription.objects.visible_to(FAN_OUT).filter(is_active=True))
    if subscribed:
        for event in events:
            fan_out(event)
    if model._meta.label_lower == "certification.certificate":
        watched = set(
            WatchlistEntry.objects.visible_to(FAN_OUT)
            .filter(manufacturer_id__in={i.manufacturer_id for i in instances})
            .values_list("manufacturer_id", flat=True)
        )
        for event, instance in zip(events, instances, strict=True):
            if instance.manufacturer_id in watched:
                watch_fan_out(event, certificate=instance, actor=actor)
    return events


def organisation_principal(organisation) -> Principal:
    """What an organisation as a whole may see: its subscriptions receive exactly that."""
    return Principal(
        kind=organisation.kind,
        label=f"webhooks of {organisation.name}",
        organisation_id=organisation.pk,
        certification_body_id=organisation.certification_body_id,
        manufacturer_id=organisation.manufacturer_id,
        country=_jurisdiction(organisation),
    )


def fan_out(event: Event) -> list[WebhookDelivery]:
    """An outbox row for every active subscription that wants this event and whose organisation may see it."""
    from .tasks import webhook_deliver

    subscriptions = [
        s
        for s in WebhookSubscription.objects.visible_to(FAN_OUT)
        .filter(is_active=True)
        .select_related("organisation__supervisory_body")
        if s.wants(event.type)
    ]
    sees: dict[int, bool] = {}
    deliveries = []
    for subscription in subscriptions:
        org = subscription.organisation
        if org.pk not in sees:
            principal = organisation_principal(org)
            sees[org.pk] = Event.objects.visible_to(principal).filter(pk=event.pk).exists()
        if not sees[org.pk]:
            continue
        delivery = WebhookDelivery.objects.visible_to(FAN_OUT).create(
            subscription=subscription,
            event=event,
            message_id=f"msg_{uuid.uuid4().hex}",
            state=DeliveryState.PENDING,
            next_attempt_at=timezone.now(),
        )
        webhook_deliver.enqueue(delivery.pk, principal=DELIVERY)
        deliveries.append(delivery)
    return deliveries


def watch_fan_out(event: Event, *, certificate, actor: Principal) -> list[Event]:
    """A watchlist event, carrying the certificate's public register record only, for each organisation
    that watches the certificate or its manufacturer."""
    from certification.register import register_entry

    org_ids = sorted(
        set(
            WatchlistEntry.objects.visible_to(FAN_OUT)
            .filter(models.Q(certificate_id=certificate.pk) | models.Q(manufacturer_id=certificate.manufacturer_id))
            .values_list("organisation_id", flat=True)
        )
    )
    if not org_ids:
        return []
    record = register_entry(certificate.number)
    events = []
    for org_id in org_ids:
        watch = _append(
            type=WATCH_TYPE,
            subject_type="register.certificate",
            subject_id=None,
            data={"change": event.type, "certificate": record},
            actor_label="IECQ public register",
            organisation_id=org_id,
        )
        fan_out(watch)
        events.append(watch)
    return events
