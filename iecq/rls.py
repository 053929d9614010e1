"""PostgreSQL row-level security: the database's own copy of the visibility rule (PL-01), a second wall.

Every model with a `Tenancy` gets one policy, generated from the same declaration `visibility_q` reads
(`rls_q` mirrors it with the principal's values taken from session settings instead of Python values):

* The active principal (`scope(principal)`) reaches the connection as `set_config('iecq.kind'|'iecq.cb'|
  'iecq.manufacturer'|'iecq.country'|'iecq.organisation', value, false)`, written by an execute wrapper
  (`apply_tenant`) just before the first query that runs for a principal the connection does not hold
  yet; a scope that runs no query costs no round trip, and one whose principal the connection already
  holds costs none either (the backend `iecq.dbbackend` forgets what was written on every rollback).
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
from django.db import DatabaseError, connections, models
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


_crossing: ContextVar[str] = ContextVar("iecq_rls_crossing", default="")


def wanted() -> tuple[str, ...]:
    """What the connection must hold for the current context: the active principal and the open crossing."""
    return (*principal_settings(active_principal()).values(), _crossing.get())


_SET_SQL = "SELECT " + ", ".join(f"set_config('iecq.{key}', %s, false)" for key in (*KEYS, "crossing"))


def apply_tenant(execute, sql, params, many, context):
    """Execute wrapper on every PostgreSQL connection: before a query, write the tenant if it changed.

    Scopes are entered and left far more often than they query (a request's middleware scope, each
    service's scope, the register's system scope); writing on entry and exit cost up to four round trips
    per request, most of them for scopes that never queried. Now the tenant travels with the first
    query that needs it, and not at all when the connection already holds it (`tenant_applied`, which
    the backend forgets on every rollback, since a rolled-back `set_config` is undone)."""
    connection = context["connection"]
    values = wanted()
    # Only iecq.dbbackend forgets on rollback; on any other PostgreSQL backend every query writes the tenant.
    remembered = connection.tenant_applied if hasattr(type(connection), "tenant_applied") else None
    if remembered != values and getattr(settings, "IECQ_DB_TENANT_CONTEXT", True):
        raw = connection.connection
        if raw is not None and raw.get_transaction_status() != 3:  # 3: psycopg2 TRANSACTION_STATUS_INERROR
            connection.tenant_applied = values  # first, so that the query below passes through
            try:
                with connection.cursor() as cursor:
                    cursor.execute(_SET_SQL, list(values))
            except DatabaseError:  # the transaction failed meanwhile; its rollback forgets what was set
                connection.tenant_applied = None
    return execute(sql, params, many, context)


def on_connection_created(sender, connection, **kwargs) -> None:
    """Every PostgreSQL connection, the read replica's included, carries the tenant to the database."""
    if connection.vendor == "postgresql" and apply_tenant not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, apply_tenant)


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


# The operator and system work see every row; the function says so too, but a SECURITY DEFINER function is
# never inlined and costs an executor start per row (the dashboard's GROUP BY over a large country's certificates
# went from 0.2 s to 6.7 s as the application role). Said first in the policy itself, PostgreSQL's OR stops there.
# The scalar subquery makes it an InitPlan: read once per query, not once per row.
SEES_ALL = "(SELECT COALESCE(current_setting('iecq.kind', true), '') IN ('operator', 'system'))"


IS_SUPERVISOR = f"(SELECT COALESCE(current_setting('iecq.kind', true), '') = '{K.SUPERVISORY_BODY.value}')"
COUNTRY = "(SELECT NULLIF(current_setting('iecq.country', true), ''))"


def _in_country_function(table: str) -> str:
    return f"iecq_rls_in_country_{table}"[:63]


def supervisor_terms(model: type[models.Model]) -> tuple[list[str], list[type[models.Model]]] | None:
    """A supervisory body's part of `rls_q` as plain SQL over the row's own columns, when it can be said so.

    The per-row function is called for every row a query scans (PostgreSQL evaluates a policy before any
    condition that is not leakproof, joins included): a dashboard's GROUP BY over a large country's
    certificates ran 17 s as the application role. When the model's only way to a supervisor is its country
    paths, each at most one foreign key away from a `country` column, the policy says it inline instead:
    `country = <setting>` or `<fk> IN (SELECT iecq_rls_in_country_<table>())`, a set read once per query (the
    function runs as the owner, so reading the other table raises no policy recursion). Returns the SQL terms
    (OR-ed) and the related models whose set functions they use; None when the function must stay."""
    tenancy: Tenancy = model.tenancy
    if tenancy.organisation or tenancy.public is not None or not tenancy.country_paths:
        return None
    table = model._meta.db_table
    terms, related = [], []
    for path in tenancy.country_paths:
        parts = path.split("__")
        field = model._meta.get_field(parts[0])
        if len(parts) == 1 and not field.is_relation:
            terms.append(f'"{table}"."{field.column}" = {COUNTRY}')
        elif len(parts) == 2 and field.many_to_one and field.related_model._meta.pk.name == "id":
            target = field.related_model._meta.get_field(parts[1])
            if target.is_relation or target.name != "country":
                return None
            terms.append(
                f'"{table}"."{field.column}" IN (SELECT {_in_country_function(field.related_model._meta.db_table)}())'
            )
            related.append(field.related_model)
        else:
            return None
    return terms, related


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
        "(SELECT COALESCE(current_setting('iecq.crossing', true), '') IN ({}))".format(
            ", ".join(f"'{c}'" for c in crossings)
        )
        if crossings
        else "false"
    )
    function = qn(_function_name(model))
    statements = []
    row_check = f"{function}({qn(table)}.*)"
    inline = supervisor_terms(model)
    if inline is not None:
        terms, related = inline
        for other in related:
            other_table, name = other._meta.db_table, qn(_in_country_function(other._meta.db_table))
            statements += [
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS SETOF bigint LANGUAGE sql STABLE PARALLEL SAFE "  # noqa: S608
                f"SECURITY DEFINER SET search_path = public AS $rls$ SELECT id FROM {qn(other_table)} "
                f"WHERE country = {COUNTRY} $rls$",
                f"REVOKE ALL ON FUNCTION {name}() FROM PUBLIC",
                f"GRANT EXECUTE ON FUNCTION {name}() TO PUBLIC",
            ]
        row_check = f"({IS_SUPERVISOR} AND ({' OR '.join(terms)})) OR (NOT {IS_SUPERVISOR} AND {row_check})"
    return [
        *statements,
        f"CREATE OR REPLACE FUNCTION {function}({qn(table)}) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE "
        f"SECURITY DEFINER SET search_path = public AS $rls$ SELECT EXISTS ({sql}) $rls$",
        f"REVOKE ALL ON FUNCTION {function}({qn(table)}) FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {function}({qn(table)}) TO PUBLIC",
        f"ALTER TABLE {qn(table)} ENABLE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {qn(table)}",
        f"CREATE POLICY {POLICY} ON {qn(table)} USING ({crossing_sql} OR {SEES_ALL} OR {row_check}) "
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
