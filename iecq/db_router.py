"""Reads of the public register, verification and dashboards from a read replica (issue 10).

With `DATABASE_REPLICA_URL` set, settings add a `replica` database and this router. The
`ReplicaRoutingMiddleware` marks a request as replica-readable when it is a GET or HEAD to one of
`IECQ_REPLICA_READ_PATHS` and the browser has not written recently; everything else reads from the
primary. Every write goes to the primary, and a read inside a transaction stays on the primary (it
may depend on what the transaction wrote). Read-your-writes: any request that may write (POST, PUT,
PATCH, DELETE) sets a short-lived cookie, and while it lasts that browser reads from the primary, so
a user never sees the register without the change they just made.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
WROTE_COOKIE = "iecq_wrote"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_reads_from_replica: ContextVar[bool] = ContextVar("iecq_reads_from_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextlib.contextmanager
def replica_reads(enabled: bool = True) -> Iterator[None]:
    """Send the reads of this block to the replica (when one is configured and no transaction is open)."""
    token = _reads_from_replica.set(enabled)
    try:
        yield
    finally:
        _reads_from_replica.reset(token)


def replica_path(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in settings.IECQ_REPLICA_READ_PATHS)


class ReplicaRouter:
    """Reads to the replica only inside `replica_reads()` and outside a transaction; writes always to the primary."""

    def db_for_read(self, model, **hints):
        if _reads_from_replica.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaRoutingMiddleware:
    """Marks public, read-only requests as replica reads; sets the read-your-writes cookie after a write."""

    def __init__(self, get_response):
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        use_replica = (
            request.method in SAFE_METHODS and replica_path(request.path) and WROTE_COOKIE not in request.COOKIES
        )
        with replica_reads(use_replica):
            response = self.get_response(request)
        if request.method not in SAFE_METHODS:
            response.set_cookie(
                WROTE_COOKIE,
                "1",
                max_age=settings.IECQ_REPLICA_STICKY_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
