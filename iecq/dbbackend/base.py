"""Django's PostgreSQL backend, plus what row-level security needs to skip redundant round trips.

`iecq.rls` writes the tenant to a connection lazily, just before the first query that needs it, and
remembers what it wrote (`tenant_applied`) so that the next query for the same principal costs
nothing extra. `set_config(…, false)` made inside a transaction or a savepoint is undone by its
rollback, so every rollback forgets what was written, and the next query writes it again. A new
connection starts with nothing written.
"""

from __future__ import annotations

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    tenant_applied: tuple | None = None

    def get_new_connection(self, conn_params):
        self.tenant_applied = None
        return super().get_new_connection(conn_params)

    def _rollback(self):
        self.tenant_applied = None
        return super()._rollback()

    def _savepoint_rollback(self, sid):
        self.tenant_applied = None
        return super()._savepoint_rollback(sid)

    def _close(self):
        self.tenant_applied = None
        return super()._close()
