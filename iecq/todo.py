"""The home page's to-do list (PL-06, PL-07): what a person must do next, each item one click from its action.

Each app's selectors offer `todo_for(principal)`; every item is built from a queryset that already went
through the visibility rule, so a to-do can never name a record the person may not open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import models
from django.urls import reverse
from django.utils import timezone

from .principals import Principal
from .roles import Role

SHOWN_PER_ITEM = 5
CB_MANAGERS = (Role.CB_ADMIN, Role.CB_CERTIFICATION_MANAGER)
CB_OFFICE = (Role.CB_ADMIN, Role.CB_CERTIFICATION_MANAGER, Role.CB_CLERK)
CB_REVIEWERS = (Role.CB_ADMIN, Role.CB_CERTIFICATION_MANAGER, Role.CB_TECHNICAL_REVIEWER)


@dataclass(frozen=True)
class TodoItem:
    """One kind of work waiting: how many, the filtered list of all of them, and the first few to open directly."""

    key: str
    title: str
    count: int
    url: str
    records: list[tuple[str, str]] = field(default_factory=list)
    overdue: bool = False


def todo_item(
    key: str,
    title: str,
    rows: models.QuerySet,
    *,
    list_url: str,
    detail_url_name: str,
    label: Callable[[models.Model], str] = str,
    overdue: bool = False,
) -> TodoItem | None:
    """An item from visible `rows` (already ordered by urgency), or None when nothing waits."""
    first = list(rows[:SHOWN_PER_ITEM])
    if not first:
        return None
    count = len(first) if len(first) < SHOWN_PER_ITEM else rows.count()
    records = [(label(obj), reverse(detail_url_name, args=[obj.pk])) for obj in first]
    return TodoItem(key, str(title), count, list_url, records, overdue)


def url_with(name: str, **params: object) -> str:
    """A list's address with its filter parameters (lists repeat a parameter for several values)."""
    from urllib.parse import urlencode

    pairs = []
    for key, value in params.items():
        for v in value if isinstance(value, list | tuple) else [value]:
            pairs.append((key, str(v)))
    return reverse(name) + ("?" + urlencode(pairs) if pairs else "")


def today() -> date:
    return timezone.now().date()


def month_bounds(day: date) -> tuple[date, date]:
    """The first and last day of `day`'s month."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def compact(items: Iterable[TodoItem | None]) -> list[TodoItem]:
    return [item for item in items if item is not None]


def is_cb(principal: Principal, roles: tuple[str, ...]) -> bool:
    return principal.is_cb and principal.has_role(*roles)
