"""PostgreSQL row-level security: the database's own copy of the visibility rule (PL-01), a second wall.

Every model with a `Tenancy` gets one policy, generated from the same declaration `visibility_q` reads
(`rls_q` mirrors it with the principal's values taken from session settings instead of Python values):

* `scope(principal)` writes the principal to the connection with `set_config('iecq.kind'|'iecq.cb'|
  'iecq.manufacturer'|'iecq.country'|'iecq.organisation', value, false)`; leaving the scope restores
  the outer principal, and a new connection opened inside a scope gets it at once (`connection_created`).
* The policy asks a SECURITY DEFINER function `iecq_rls_<table>(row)` whether the row is visible; the
  function runs as the tables' owner, so the joins it follows (a certificate's CB's country) are not
  themselves filtered again (which would recurse) but compare the row with the session settings.
* With no scope (`iecq.kind` empty) nothing is visible and nothing can be written. The public principal
  is `iecq.kind = 'public'` and sees the rows its `Tenancy.public` names (the public register); system
  work that crosses tenants (`scope(system_principal(reason))`) is `iecq.kind = 'system'` and sees all.
* `crossing("identity")` is the one other explicit crossing: resolving who is signed in (the membership,
  the API token, its organisation and supervisory body) before any principal exists, and who is to be
  notified (`iecq.notify.people`), which names people of other organisations.

The application's role must be neither owner nor BYPASSRLS (`db_grant_app_role` refuses such a role);
the tables' owner (migrations, `seed_demo`) and superusers bypass the policies. PostgreSQL only.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextvars import ContextVar

from django.apps import apps
from django.conf import settings
from django.db import connections, models
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from .principals import Principal
from .roles import OrganisationKind as K
from .tenancy import Tenancy, _is_multivalued, active_principal

POLICY = "iecq_tenant"
KEYS = ("kind", "cb", "manufacturer", "country", "organisation")
# The tables each explicit crossing may read whatever the principal (see `crossing`).
CROSSINGS: dict[str, tuple[str, ...]] = {
    "identity": ("iecq.Organisation", "iecq.Membership", "iecq.ApiToken", "bodies.SupervisoryBody"),
}


def enabled(alias: str = "default") -> bool:
    return connections[alias].vendor == "postgresql" and getattr(settings, "IECQ_DB_TENANT_CONTEXT", True)


# --- the session side: which principal the connection acts for ------------------------------------------
def principal_settings(principal: Principal | None) -> dict[str, str]:
    """The session settings for `principal`; None (no scope) leaves every one empty."""
    if principal is None:
        return dict.fromkeys(KEYS, "")
    return {
        "kind": principal.kind or "public",
        "cb": str(principal.certification_body_id or ""),
        "manufacturer": str(principal.manufacturer_id or ""),
        "country": principal.country or "",
        "organisation": str(principal.organisation_id or ""),
    }


# psycopg2's (libpq's) transaction status, read locally without a round trip.
_IDLE, _INERROR = 0, 3
_crossing: ContextVar[str] = ContextVar("iecq_rls_crossing", default="")
_EMPTY = tuple(dict.fromkeys(KEYS, "").items())


def _desired(connection) -> tuple[tuple[str, str], ...]:
    """The settings the next statement on `connection` must run with: the active scope (and the crossing)."""
    values = principal_settings(active_principal())
    if connection.alias == "default":  # crossings are read on the primary only
        values["crossing"] = _crossing.get()
    return tuple(values.items())


def _known(connection, raw, in_transaction: bool):
    """What the session holds now, as far as this process can prove it; None when it cannot."""
    state = connection.__dict__.get("_iecq_rls")
    if state is None or state["raw"] is not raw:
        return None
    if not in_transaction:
        return state["session"]
    if raw.get_transaction_status() == _IDLE:  # this statement opens the transaction: the session's values hold
        state["transaction"] = state["session"]
    return state["transaction"]


def _remember(connection, raw, values, in_transaction: bool) -> None:
    state = connection.__dict__.get("_iecq_rls")
    if state is None or state["raw"] is not raw:
        state = connection.__dict__["_iecq_rls"] = {"raw": raw, "session": None, "transaction": None}
    if in_transaction:
        # Written inside a transaction: kept if it commits, undone if it rolls back; the session's value is
        # unknown until then, so the first statement after the transaction writes the settings again.
        state["session"], state["transaction"] = None, values
    else:
        state["session"] = values


def _sync_before_statement(execute, sql, params, many, context):
    """An execute wrapper on every connection: before a statement, bring the session settings to the active
    scope if they differ from what this connection is known to hold; after a rollback to a savepoint, forget
    what was written inside the transaction (the database has undone part of it)."""
    connection = context["connection"]
    if connection.__dict__.get("_iecq_rls_writing") or not getattr(settings, "IECQ_DB_TENANT_CONTEXT", True):
        return execute(sql, params, many, context)
    raw = connection.connection
    in_transaction = connection.in_atomic_block or not connection.get_autocommit()
    if raw is not None and raw.get_transaction_status() != _INERROR:
        desired = _desired(connection)
        if _known(connection, raw, in_transaction) != desired:
            _write(connection, desired)
            _remember(connection, raw, desired, in_transaction)
    try:
        return execute(sql, params, many, context)
    finally:
        if in_transaction and sql.lstrip()[:8].upper() == "ROLLBACK":
            state = connection.__dict__.get("_iecq_rls")
            if state is not None:
                state["transaction"] = None


def _write(connection, values: tuple[tuple[str, str], ...]) -> None:
    sql = "SELECT " + ", ".join(f"set_config('iecq.{key}', %s, false)" for key, _value in values)
    connection.__dict__["_iecq_rls_writing"] = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for _key, value in values])
    finally:
        connection.__dict__["_iecq_rls_writing"] = False


def on_connection_created(sender, connection, **kwargs) -> None:
    """Every PostgreSQL connection writes the active scope to its session before each statement that needs it
    (`_sync_before_statement`); a new session starts with every setting empty (no scope, no crossing)."""
    if connection.vendor != "postgresql":
        return
    if _sync_before_statement not in connection.execute_wrappers:
        # First in the list, so that `connection.execute_wrapper()` blocks (which pop the last) keep working.
        connection.execute_wrappers.insert(0, _sync_before_statement)
    empty = _EMPTY + ((("crossing", ""),) if connection.alias == "default" else ())
    connection.__dict__["_iecq_rls"] = {"raw": connection.connection, "session": empty, "transaction": None}


@contextlib.contextmanager
def crossing(name: str) -> Iterator[None]:
    """Read the tables CROSSINGS[name] lists whatever the principal; evaluate the querysets inside."""
    if name not in CROSSINGS:
        raise ValueError(f"Unknown crossing {name!r}; declare it in iecq.rls.CROSSINGS.")
    token = _crossing.set(name)
    try:
        yield
    finally:
        _crossing.reset(token)


# --- the policy side: one function and one policy per tenant-owned table -------------------------------
def tenant_models(app_config=None) -> list[type[models.Model]]:
    found = app_config.get_models() if app_config is not None else apps.get_models()
    return [m for m in found if isinstance(getattr(m, "tenancy", None), Tenancy) and m._meta.managed]


def _setting(key: str, cast: str) -> RawSQL:
    return RawSQL(f"NULLIF(current_setting('iecq.{key}', true), '')::{cast}", [])  # noqa: S611 (constants only)


def _kind_is(*kinds: str) -> Q:
    listed = ", ".join(f"'{k}'" for k in kinds)
    sql = f"current_setting('iecq.kind', true) IN ({listed})"  # constants only
    return Q(RawSQL(sql, [], output_field=BooleanField()))  # noqa: S611


def _path_q(model, path: str, value) -> Q:
    if _is_multivalued(model, path):
        return Q(pk__in=model._base_manager.filter(**{path: value}).values("pk"))
    return Q(**{path: value})


def rls_q(model: type[models.Model]) -> Q:
    """`visibility_q` for the principal in the session settings: the same declaration, read the same way."""
    tenancy: Tenancy = model.tenancy
    scoped = Q(RawSQL("COALESCE(current_setting('iecq.kind', true), '') <> ''", [], output_field=BooleanField()))
    q = _kind_is(K.OPERATOR, "system")
    if tenancy.organisation:
        q |= _path_q(model, tenancy.organisation, _setting("organisation", "bigint"))
    if tenancy.cb:
        q |= _kind_is(K.CERTIFICATION_BODY) & _path_q(model, tenancy.cb, _setting("cb", "bigint"))
    if tenancy.manufacturer:
        q |= _kind_is(K.MANUFACTURER) & _path_q(model, tenancy.manufacturer, _setting("manufacturer", "bigint"))
    for path in tenancy.country_paths:
        q |= _kind_is(K.SUPERVISORY_BODY) & _path_q(model, path, _setting("country", "text"))
    if tenancy.public is not None:
        q = Q() if not tenancy.public.children else q | tenancy.public
    return scoped & q if q.children else scoped


def _function_name(model) -> str:
    return f"iecq_rls_{model._meta.db_table}"[:63]


def policy_statements(model: type[models.Model], connection) -> list[str]:
    """The DDL that (re)creates `model`'s visibility function and policy; idempotent."""
    table = model._meta.db_table
    qn = connection.ops.quote_name
    queryset = model._base_manager.filter(rls_q(model)).order_by().values("pk")
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    with connection.cursor() as cursor:
        sql = cursor.mogrify(sql, params).decode()
    # The row being checked stands in for its table wherever the query reads it from the top (the main
    # query and the subqueries of to-many paths), so new rows of INSERT and UPDATE are judged as they will be.
    own_from = re.compile(rf"FROM {re.escape(qn(table))}(?: (U\d+))?(?=[ )]|$)")
    if not own_from.search(sql):
        raise RuntimeError(f"Unexpected SQL for {table}: {sql}")
    sql = own_from.sub(lambda m: f"FROM (SELECT ($1).*) AS {m.group(1) or qn(table)}", sql)
    crossings = [name for name, labels in CROSSINGS.items() if model._meta.label in labels]
    crossing_sql = (
        "COALESCE(current_setting('iecq.crossing', true), '') IN ({})".format(", ".join(f"'{c}'" for c in crossings))
        if crossings
        else "false"
    )
    function = qn(_function_name(model))
    return [
        f"CREATE OR REPLACE FUNCTION {function}({qn(table)}) RETURNS boolean LANGUAGE sql STABLE "
        f"SECURITY DEFINER SET search_path = public AS $rls$ SELECT EXISTS ({sql}) $rls$",
        f"REVOKE ALL ON FUNCTION {function}({qn(table)}) FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {function}({qn(table)}) TO PUBLIC",
        f"ALTER TABLE {qn(table)} ENABLE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {qn(table)}",
        f"CREATE POLICY {POLICY} ON {qn(table)} USING ({crossing_sql} OR {function}({qn(table)}.*)) "
        f"WITH CHECK ({crossing_sql} OR COALESCE(current_setting('iecq.kind', true), '') <> '')",
    ]


def apply_policies(*, using: str = "default", app_config=None, models_=None) -> list[str]:
    """Create or refresh the policy of every tenant-owned table (of one app, if given); returns the tables."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    done = []
    existing = set(connection.introspection.table_names())
    for model in models_ if models_ is not None else tenant_models(app_config):
        if model._meta.db_table not in existing:
            continue
        with connection.cursor() as cursor:
            for statement in policy_statements(model, connection):
                cursor.execute(statement)
        done.append(model._meta.db_table)
    return done


def on_post_migrate(sender, using="default", **kwargs) -> None:
    """After every `migrate`, the tables of the app just migrated get (fresh) policies: new apps are covered."""
    apply_policies(using=using, app_config=sender)
