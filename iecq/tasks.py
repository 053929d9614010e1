"""The base of every Celery task, and the platform's own periodic tasks.

A task never trusts ambient state: it receives a principal reference, rebuilds the principal and
opens its scope itself (`ScopedTask`), and it is enqueued only once the transaction that asked for
it has committed (`ScopedTask.enqueue`), so a rolled-back change never sends anything.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.db import transaction

from .principals import Principal, principal_from_reference, system_principal
from .tenancy import scope


class ScopedTask(Task):
    """Runs the task body inside the scope of the principal it was enqueued for."""

    abstract = True
    typing = False  # the body takes `principal`, callers send `principal_ref`: Celery cannot check both

    def __call__(self, *args: Any, principal_ref: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        if principal_ref is None:
            raise ValueError(f"{self.name} needs principal_ref: enqueue it with ScopedTask.enqueue().")
        principal = principal_from_reference(principal_ref)
        with scope(principal):
            return super().__call__(*args, principal=principal, **kwargs)

    def enqueue(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        """Send the task after the current transaction commits (at once when there is none).

        `robust`: a broker that is down is logged, never turned into an error for a change already saved.
        """
        ref = principal.reference()
        transaction.on_commit(lambda: self.apply_async(args=args, kwargs={**kwargs, "principal_ref": ref}), robust=True)


@shared_task(base=ScopedTask, name="iecq.tasks.scope_probe")
def scope_probe(*, principal: Principal) -> dict[str, Any]:
    """Reports what the task's principal sees; used by operators (and the suite) to check a worker end to end."""
    from bodies.models import CertificationBody

    return {
        "principal": principal.label,
        "certification_bodies": sorted(CertificationBody.objects.values_list("name", flat=True)),
    }


@shared_task(name="iecq.tasks.sessions_clear")
def sessions_clear() -> None:
    """Daily: delete expired portal sessions."""
    from importlib import import_module

    from django.conf import settings

    with scope(system_principal("expired session cleanup")):
        import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


@shared_task(name="iecq.tasks.idempotency_keys_clear")
def idempotency_keys_clear() -> int:
    """Hourly: delete API Idempotency-Keys older than IDEMPOTENCY_KEY_TTL."""
    from .api.idempotency import clear_expired

    return clear_expired()


@shared_task(name="iecq.tasks.deadline_sweep", acks_late=True)
def deadline_sweep() -> dict[str, Any]:
    """SC-01: remind about what falls due and escalate what is overdue; safe to run twice at once (SC-02)."""
    from .scheduler import sweep

    report = sweep()
    return {
        "today": report.today.isoformat(),
        "deadlines": report.deadlines,
        "sent": report.reminders_sent,
        "already_sent": report.reminders_already_sent,
        "escalations": report.escalations,
    }


@shared_task(name="iecq.tasks.outbox_dispatch", autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def outbox_dispatch(batch: int = 100) -> int:
    """Send unsent emails of the outbox, each row locked while it is sent so two workers never share one."""
    from django.core.mail import EmailMessage
    from django.utils import timezone

    from .models import EmailOutbox

    sent = 0
    while True:
        with transaction.atomic():
            rows = list(
                EmailOutbox.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True, attempts__lt=10)
                .order_by("pk")[:batch]
            )
            if not rows:
                return sent
            for row in rows:
                message = EmailMessage(row.subject, row.body, to=[row.to], headers={"Message-ID": row.message_id})
                try:
                    message.send(fail_silently=False)
                except OSError as exc:
                    row.attempts += 1
                    row.last_error = str(exc)[:2000]
                    row.save(update_fields=["attempts", "last_error"])
                    continue
                row.sent_at = timezone.now()
                row.attempts += 1
                row.save(update_fields=["sent_at", "attempts"])
                sent += 1
