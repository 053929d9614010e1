"""The deadline sweep (SC-01 … SC-03).

Every deadline is derived from data by the providers in settings.IECQ_DEADLINE_PROVIDERS, each bounded
by a date index, so the cost follows what is due. For each deadline the latest reminder step reached
(IECQ_REMINDER_DAYS before the date, then "overdue") is recorded once per recipient: the Reminder's
unique key and the notification are written in one transaction, so a sweep run twice, two sweeps at
once or a worker killed half way neither repeats nor loses a reminder. Then the escalations in
settings.IECQ_ESCALATIONS act on what is overdue (expire, lapse, plan audits, propose sanctions).
Dates are UTC calendar dates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .deadlines import Deadline
from .models import Reminder
from .notify import CB_MANAGERS, MANUFACTURER_QUALITY, notify, people
from .principals import Principal, system_principal
from .tenancy import scope

SWEEP = system_principal("deadline sweep")


@dataclass
class SweepReport:
    today: date
    deadlines: int = 0
    reminders_sent: int = 0
    reminders_already_sent: int = 0
    escalations: dict[str, int] = field(default_factory=dict)


def today_utc() -> date:
    """Today's calendar date in UTC (timezone.now() is UTC-aware), whatever the server's local zone."""
    return timezone.now().date()


def reminder_step(deadline: Deadline, today: date) -> str | None:
    """The latest step reached today: "30d", "7d", "0d" before the date, "overdue" after it, or None yet."""
    if today > deadline.due_on:
        return "overdue"
    reached = [days for days in settings.IECQ_REMINDER_DAYS if deadline.due_on - timedelta(days=days) <= today]
    return f"{min(reached)}d" if reached else None


def recipients(deadline: Deadline) -> list:
    """Who must act: the CB's managers, the manufacturer's quality people, the operator for CB deadlines."""
    audience = deadline.audience
    users = []
    if "cb" in audience and deadline.certification_body_id:
        users += people(certification_body_id=deadline.certification_body_id, roles=CB_MANAGERS)
    if "manufacturer" in audience and deadline.manufacturer_id:
        users += people(manufacturer_id=deadline.manufacturer_id, roles=MANUFACTURER_QUALITY)
    if "operator" in audience:
        users += people(operator=True)
    return list({u.pk: u for u in users}.values())


def all_deadlines(until: date) -> Iterator[Deadline]:
    for path in settings.IECQ_DEADLINE_PROVIDERS:
        yield from import_string(path)(until=until)


def send_reminder(deadline: Deadline, step: str, user) -> bool:
    """Record and send one reminder; False when it was already recorded (by this or another sweep)."""
    try:
        with transaction.atomic():
            Reminder.objects.create(deadline_key=deadline.key, step=step, recipient=user, due_on=deadline.due_on)
            when = _("overdue since %(day)s") if step == "overdue" else _("due on %(day)s")
            notify(
                [user],
                title=f"{deadline.description} – {when % {'day': deadline.due_on.isoformat()}}",
                body=deadline.description,
                url=deadline.url,
            )
    except IntegrityError:
        return False
    return True


def sweep(today: date | None = None, *, actor: Principal = SWEEP) -> SweepReport:
    """Escalate what is overdue, then remind about everything due within the reminder horizon."""
    today = today or today_utc()
    report = SweepReport(today=today)
    horizon = today + timedelta(days=max(settings.IECQ_REMINDER_DAYS))
    with scope(actor):
        # Escalations first, so that what they create (a planned audit, an expiry) is reminded about today.
        for path in settings.IECQ_ESCALATIONS:
            escalate: Callable = import_string(path)
            done = escalate(actor=actor, today=today)
            report.escalations[path.rsplit(".", 1)[-1]] = len(done)
        for deadline in all_deadlines(horizon):
            report.deadlines += 1
            step = reminder_step(deadline, today)
            if step is None:
                continue
            for user in recipients(deadline):
                if send_reminder(deadline, step, user):
                    report.reminders_sent += 1
                else:
                    report.reminders_already_sent += 1
    return report
