"""Django's PostgreSQL backend, plus what row-level security needs to skip redundant round trips.

`iecq.rls` writes the tenant to a connection lazily, just before the first query that needs it, and
remembers what it wrote (`tenant_applied`) so that the next query for the same principal costs
nothing extra. `set_config(…, false)` made inside a transaction or a savepoint is undone by its
rollback, so every rollback forgets what was written, and the next query writes it again. A new
connection starts with nothing written.

The per-request health check (`CONN_HEALTH_CHECKS`) asks the socket before the server: Django's sends `SELECT 1`,
a round trip on every request that uses the database (0.1 ms of verification's 4.6 ms here). A server that ended
the session (a restart, a failover, `pg_terminate_backend`, an idle timeout) has said so on the socket, or closed
it: an idle connection's socket is readable only then. So `SELECT 1` is sent only when the socket is readable or
the connection is known closed; otherwise the connection is as usable as the round trip would have found it (a
peer that vanished without a word stalls `SELECT 1` as it would the request's own first query).
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


def _readable(raw) -> bool:
    """Whether the server has sent something, or closed, while the connection was idle (no wait)."""
    try:
        ready, _w, _x = select.select([raw.fileno()], [], [], 0)
    except (OSError, ValueError):  # no socket any more
        return True
    return bool(ready)


class DatabaseWrapper(base.DatabaseWrapper):
    tenant_applied: tuple | None = None

    def get_new_connection(self, conn_params):
        self.tenant_applied = None
        return super().get_new_connection(conn_params)

    def close_if_health_check_failed(self):
        due = self.connection is not None and self.health_check_enabled and not self.health_check_done
        if due and not self.connection.closed and not _readable(self.connection):
            self.health_check_done = True  # the server has not spoken since the last query: no round trip
            return
        super().close_if_health_check_failed()  # Django's: SELECT 1, and close the connection if it fails

    def _rollback(self):
        self.tenant_applied = None
        return super()._rollback()

    def _savepoint_rollback(self, sid):
        self.tenant_applied = None
        return super()._savepoint_rollback(sid)

    def _close(self):
        self.tenant_applied = None
        return super()._close()
