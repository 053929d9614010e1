"""Stamps for caches that must never serve what a change made stale (the API tokens' principals).

An entry is stored with the stamps read *before* the database and served only while they are unchanged. A
change renews its stamps twice: at once (readers inside the writing transaction miss) and after the commit
(readers that read the old rows in between miss too). A missing stamp (never set, or evicted) is created
before it is read, so no entry is ever stored under "no stamp" and an eviction can only cause misses.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction

from iecq.cache import add_many_then_get_many


def fresh() -> str:
    return uuid.uuid4().hex


def read(stamps: list[str], others: Iterable[str] = (), *, new: Callable[[], str] = fresh) -> dict:
    """The cached values of `others` and of `stamps`; the stamps always present (created if missing).

    The values are read first and stamps made only for those missing (one round trip, two when a stamp is missing):
    a stamp is created only where it is still absent (a change's own new stamp wins) and read back."""
    found = cache.get_many([*others, *stamps])
    missing = [key for key in stamps if key not in found]
    if missing:
        found.update(add_many_then_get_many(cache, {key: new() for key in missing}, stamps, timeout=None))
    return found


def renew(stamps: Iterable[str], *, new: Callable[[], str] = fresh) -> None:
    """Everything stored under these stamps is stale: now, and again once the change commits."""
    stamps = list(stamps)

    def bump() -> None:
        value = new()
        cache.set_many(dict.fromkeys(stamps, value), timeout=None)

    bump()
    transaction.on_commit(bump, robust=True)
