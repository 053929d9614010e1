"""Thin tasks: deliver one webhook, and pick up every delivery that is due (PL-04)."""

from __future__ import annotations

from celery import shared_task

from ..principals import Principal
from ..tasks import ScopedTask


@shared_task(base=ScopedTask, name="integrations.webhook_deliver", acks_late=True)
def webhook_deliver(delivery_id: int, *, principal: Principal) -> str | None:
    """Make the next attempt of one delivery (enqueued after the event's transaction commits)."""
    from .delivery import deliver

    delivery = deliver(delivery_id)
    return delivery.state if delivery is not None else None


@shared_task(name="integrations.webhook_dispatch_due", acks_late=True)
def webhook_dispatch_due(limit: int = 100) -> int:
    """Periodic: attempt every delivery that is due (retries after backoff, and enqueues lost in a broker outage)."""
    from .delivery import deliver, due_delivery_ids

    return sum(1 for pk in due_delivery_ids(limit) if deliver(pk) is not None)
