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
  themselves filtered again (which would recurse) but compare the row with the session settings. Where it
  can, the policy says the same inline first, so that the function is not called for every row scanned:
  operator and system work stop at an InitPlan, and a CB's, a manufacturer's and a supervisory body's paths
  become column comparisons or id sets of directory tables (`inline_branches`).
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
import hashlib
import re
from collections.abc import Iterator
from contextvars import ContextVar

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
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


# Each kind of principal whose paths a policy can say inline: the session setting its paths compare with.
INLINE_KINDS = {
    K.CERTIFICATION_BODY.value: ("cb", "bigint"),
    K.MANUFACTURER.value: ("manufacturer", "bigint"),
    K.SUPERVISORY_BODY.value: ("country", "text"),
}


# The tables a policy may read a set of ids from once per query: directories whose rows per tenant stay few
# (a CB's clients and their sites and contacts, a country's CBs and manufacturers, a CB's laboratories and auditors,
# a manufacturer's sites).
# A set over certificates, audits or applications would cost every point lookup thousands of ids.
DIRECTORIES = frozenset(
    {
        "manufacturers.Manufacturer",
        "manufacturers.Site",
        "manufacturers.Contact",
        "bodies.CertificationBody",
        "bodies.TestLaboratory",
        "bodies.Equipment",
        "bodies.Auditor",
    }
)


def _is_kind(kind: str) -> str:
    return f"(SELECT COALESCE(current_setting('iecq.kind', true), '') = '{kind}')"


def _value(key: str, cast: str) -> str:
    return f"(SELECT NULLIF(current_setting('iecq.{key}', true), '')::{cast})"


def _sql_of(queryset: models.QuerySet, connection) -> str:
    """A queryset's SQL with its parameters inlined (model metadata and constants only), for DDL."""
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    with connection.cursor() as cursor:
        return cursor.mogrify(sql, params).decode()


def _ids_function(model: type[models.Model], path: str, key: str, cast: str, connection) -> tuple[str, list[str]]:
    """A set-returning function (the owner's, so no policy applies inside it) of the ids of `model` whose `path`
    equals the session's `key`, and the DDL that creates it."""
    qn = connection.ops.quote_name
    digest = hashlib.sha256(f"{model._meta.db_table}.{path}.{key}".encode()).hexdigest()[:16]
    name = qn(f"iecq_rls_ids_{digest}")
    value = RawSQL(_value(key, cast), [])  # noqa: S611 (constants only)
    queryset = model._base_manager.filter(**{path: value}).order_by().values("pk")
    first, _, rest = path.partition("__")
    relation = model._meta.get_field(first) if first != "pk" else None
    if rest and relation is not None and relation.one_to_many and relation.field.target_field == model._meta.pk:
        # Through a reverse foreign key (a manufacturer's engagements): the ids are the children's foreign keys.
        # Joining back to the parent table adds nothing but a scan of it (50,000 manufacturers for 948 ids).
        queryset = relation.related_model._base_manager.filter(**{rest: value}).order_by()
        queryset = queryset.values_list(relation.field.attname, flat=True)
    sql = _sql_of(queryset, connection)
    return _set_function(name, model._meta.pk.rel_db_type(connection), sql)


def _set_function(name: str, returns: str, sql: str) -> tuple[str, list[str]]:
    """The DDL of the owner's set-returning function `name` over `sql` (no policy applies inside it).

    PL/pgSQL, not SQL: PostgreSQL calls a set function in a policy's `IN (SELECT f())` once per id it returns; a
    SQL function re-enters its executor for each (1.7 ms for a CB's 948 clients), while PL/pgSQL's RETURN QUERY
    fills a tuplestore once (0.6 ms). The planner's estimates (cost 100, 1,000 rows) are the same for both
    languages, so every plan stays as it was; only the function runs faster.

    Its own query is planned with `random_page_cost = 1.1` (PostgreSQL's advice where the data is cached): it
    reads a few hundred directory rows by index, but the tenant's value is a session setting, unknown when
    the plan is made, and with the default cost of 4 PostgreSQL hashed all 20,000 pieces of equipment to find a
    CB's 200 (4.6 ms against 0.4 ms through the laboratory index)."""
    return name, [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS SETOF {returns} LANGUAGE plpgsql STABLE PARALLEL SAFE "
        f"SECURITY DEFINER SET search_path = public SET random_page_cost = 1.1 "
        f"AS $rls$ BEGIN RETURN QUERY {sql}; END $rls$",
        f"REVOKE ALL ON FUNCTION {name}() FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {name}() TO PUBLIC",
    ]


def _matching_ids_function(model: type[models.Model], condition: Q, connection) -> tuple[str, list[str]]:
    """A set-returning function (the owner's) of the ids of `model` that meet a constant `condition` (a
    directory's public rows: the laboratories nobody owns, their equipment), and the DDL that creates it."""
    qn = connection.ops.quote_name
    queryset = model._base_manager.filter(condition).order_by().values("pk")
    sql = _sql_of(queryset, connection)
    digest = hashlib.sha256(f"{model._meta.db_table}.{sql}".encode()).hexdigest()[:16]
    return _set_function(qn(f"iecq_rls_ids_{digest}"), model._meta.pk.rel_db_type(connection), sql)


def _kind_paths(model: type[models.Model], kind: str) -> tuple[str, ...]:
    tenancy: Tenancy = model.tenancy
    if kind == K.CERTIFICATION_BODY.value:
        return (tenancy.cb,) if tenancy.cb else ()
    if kind == K.MANUFACTURER.value:
        return (tenancy.manufacturer,) if tenancy.manufacturer else ()
    return tuple(tenancy.country_paths)


def _inline_term(model: type[models.Model], path: str, kind: str, alias: str, ddl: list[str], connection, depth=0):
    """`path` of `model` (the row read as `alias`) equal to the session's value for `kind`, as plain SQL; None
    when only the per-row function can say it.

    * a column of the row: `alias.col = <setting>`;
    * a foreign key to a directory: `alias.fk IN (SELECT f())`, the directory's matching ids read once per query;
    * a foreign key to a table that grows with the certificates (an evidence file's application, a PCN
      document's PCN, a decision record's log row): `EXISTS (SELECT 1 FROM parent WHERE parent.pk = alias.fk AND
      <the rest of the path, said the same way>)`, one index probe per row. The parent's own policy applies
      inside the subquery (it runs as the current user), so this is used only where the parent declares the
      rest of the path for the same kind: then its policy admits every parent row the condition names, and the
      two agree (`tests/test_rls.py` compares both with `visibility_q` for every table and kind);
    * a to-many path of a directory: `alias.pk IN (SELECT f())`."""
    qn = connection.ops.quote_name
    key, cast = INLINE_KINDS[kind]
    first, *rest = path.split("__")
    field = model._meta.pk if first == "pk" else model._meta.get_field(first)
    forward = field.concrete and (not field.is_relation or field.many_to_one or field.one_to_one)
    if forward and not rest:
        return f"{alias}.{qn(field.column)} = {_value(key, cast)}"
    if forward and field.is_relation and field.related_model._meta.label in DIRECTORIES:
        name, more = _ids_function(field.related_model, "__".join(rest), key, cast, connection)
        ddl += more
        return f"{alias}.{qn(field.column)} IN (SELECT {name}())"
    parent = field.related_model if forward and field.is_relation else None
    if parent is not None and depth < 3 and isinstance(getattr(parent, "tenancy", None), Tenancy):
        remainder = "__".join(rest)
        if remainder in _kind_paths(parent, kind):
            inner_alias = qn(f"iecq_rls_p{depth}")
            inner = _inline_term(parent, remainder, kind, inner_alias, ddl, connection, depth + 1)
            if inner is not None:
                target = field.target_field.column
                return (  # model metadata and constants only
                    f"(SELECT {inner} FROM {qn(parent._meta.db_table)} {inner_alias} "  # noqa: S608
                    f"WHERE {inner_alias}.{qn(target)} = {alias}.{qn(field.column)})"
                )
    if not forward and model._meta.label in DIRECTORIES:  # through a to-many relation
        name, more = _ids_function(model, path, key, cast, connection)
        ddl += more
        return f"{alias}.{qn(model._meta.pk.column)} IN (SELECT {name}())"
    return None  # a set over a table that grows with the certificates


def _inline_public(model: type[models.Model], public: Q, alias: str, ddl: list[str], connection, depth=0) -> str | None:
    """`model`'s public condition, one `path[__lookup]=constant` (`owner__isnull=True`), as SQL over the row read as
    `alias`; None when it is anything else.

    A column of the row is compared directly. A path through a foreign key to a directory is `row.fk IN (SELECT
    f())`, the owner's set of the parent rows that meet the rest of the condition (read once per query, no policy
    inside: exactly the condition). Through a foreign key to another table it is a scalar subquery on the parent
    row (`(SELECT <rest> FROM parent p WHERE p.pk = row.fk)`, one index probe), used only where the parent
    declares the rest of the path as its own public condition: the parent's policy, which applies inside the
    subquery, then admits every parent row the condition names, so the two agree. A parent row that is not
    visible or absent gives NULL, which admits nothing: such a parent is not public. `tests/test_rls.py`
    compares the result with `visibility_q` for every table and kind."""
    if public.negated or len(public.children) != 1 or not isinstance(public.children[0], tuple):
        return None
    qn = connection.ops.quote_name
    lookup, value = public.children[0]
    parts = lookup.split("__")
    operator = parts.pop() if parts[-1] in ("exact", "isnull", "in") and len(parts) > 1 else "exact"
    first, rest = parts[0], parts[1:]
    try:
        field = model._meta.pk if first == "pk" else model._meta.get_field(first)
    except FieldDoesNotExist:
        return None
    if not field.concrete or (field.is_relation and not (field.many_to_one or field.one_to_one)):
        return None
    if not rest:
        column = f"{alias}.{qn(field.column)}"
        with connection.cursor() as cursor:
            if operator == "isnull" and isinstance(value, bool):
                return f"{column} IS {'' if value else 'NOT '}NULL"
            if operator == "exact" and value is not None:
                return cursor.mogrify(f"{column} = %s", [field.get_prep_value(value)]).decode()
            if operator == "in" and isinstance(value, (list, tuple)) and value:
                values = tuple(field.get_prep_value(v) for v in value)
                return cursor.mogrify(f"{column} IN %s", [values]).decode()
        return None
    parent = field.related_model if field.is_relation else None
    if parent is None:
        return None
    remainder = Q(**{lookup.split("__", 1)[1]: value})
    if parent._meta.label in DIRECTORIES:
        name, more = _matching_ids_function(parent, remainder, connection)
        ddl += more
        return f"{alias}.{qn(field.column)} IN (SELECT {name}())"
    parent_tenancy = getattr(parent, "tenancy", None)
    if depth >= 3 or not isinstance(parent_tenancy, Tenancy) or parent_tenancy.public != remainder:
        return None
    inner_alias = qn(f"iecq_rls_q{depth}")
    inner = _inline_public(parent, remainder, inner_alias, ddl, connection, depth + 1)
    if inner is None:
        return None
    target = field.target_field.column
    return (  # model metadata and constants only
        f"(SELECT {inner} FROM {qn(parent._meta.db_table)} {inner_alias} "  # noqa: S608
        f"WHERE {inner_alias}.{qn(target)} = {alias}.{qn(field.column)})"
    )


def inline_branches(model: type[models.Model], connection) -> tuple[list[str], list[str], list[str]] | None:
    """`rls_q` for a certification body, a manufacturer and a supervisory body as plain SQL over the row's own
    columns, when the model reaches the tenants only through their paths (no organisation path) and its public
    rows, if any, by one condition `_inline_public` can say (a laboratory nobody owns, and what belongs to it).

    The per-row `SECURITY DEFINER` function is called for every row a query scans (PostgreSQL evaluates a
    policy before any condition that is not leakproof, joins included), about 17 µs a call: a dashboard's GROUP
    BY over a large country's certificates ran 17 s as the application role, a CB's page of contacts 77 ms.
    Inline, each path is a comparison PostgreSQL plans with the query: `col = <setting>` for a column of the
    row, `<fk> IN (SELECT f())` for a path through a foreign key to a directory (the set of related ids, read
    once per query), `EXISTS (…)` through a foreign key to a larger table, and `id IN (SELECT f())` for a path
    through a to-many relation (`_inline_term`). Returns the DDL of the set functions, the
    per-kind branches (`is_kind AND (terms)`) and the kinds they cover; None when the function must stay."""
    tenancy: Tenancy = model.tenancy
    if tenancy.organisation or (tenancy.public is not None and not tenancy.public.children):
        return None
    table, qn = model._meta.db_table, connection.ops.quote_name
    public = None
    if tenancy.public is not None:  # rows anybody may read: every kind's branch admits them too
        public_ddl: list[str] = []
        public = _inline_public(model, tenancy.public, qn(table), public_ddl, connection)
        if public is None:
            return None
    statements, branches, kinds = [], [], []
    for kind in INLINE_KINDS:
        terms, ddl = [], []
        for path in _kind_paths(model, kind):
            term = _inline_term(model, path, kind, qn(table), ddl, connection)
            if term is None:  # the per-row function stays for this kind
                break
            terms.append(term)
        else:
            statements += ddl
            if public is not None:
                terms.append(public)
            branches.append(f"({_is_kind(kind)} AND ({' OR '.join(terms) or 'false'}))")
            kinds.append(kind)
    if kinds and public is not None:
        statements += public_ddl
    return (statements, branches, kinds) if kinds else None


def _function_name(model) -> str:
    return f"iecq_rls_{model._meta.db_table}"[:63]


def policy_statements(model: type[models.Model], connection) -> list[str]:
    """The DDL that (re)creates `model`'s visibility function and policy; idempotent."""
    table = model._meta.db_table
    qn = connection.ops.quote_name
    queryset = model._base_manager.filter(rls_q(model)).order_by().values("pk")
    sql = _sql_of(queryset, connection)
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
    inline = inline_branches(model, connection)
    if inline is not None:
        statements, branches, kinds = inline
        others = " OR ".join(_is_kind(k) for k in kinds)
        row_check = f"{' OR '.join(branches)} OR (NOT ({others}) AND {row_check})"
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


def _models_on_paths(model: type[models.Model]) -> set[type[models.Model]]:
    """`model` and every model its tenancy paths cross (the tables its policy may read)."""
    tenancy: Tenancy = model.tenancy
    found = {model}
    paths = [tenancy.cb, tenancy.manufacturer, tenancy.organisation, *tenancy.country_paths]
    for path in filter(None, paths):
        current = model
        for part in path.split("__"):
            if part == "pk":
                break
            try:
                field = current._meta.get_field(part)
            except FieldDoesNotExist:
                break
            if not field.is_relation or field.related_model is None:
                break
            current = field.related_model
            found.add(current)
    return found


def apply_policies(*, using: str = "default", app_config=None, models_=None) -> list[str]:
    """Create or refresh the policy of every tenant-owned table (of one app, if given); returns the tables."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    done = []
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        )
        columns: dict[str, set[str]] = {}
        for table, column in cursor.fetchall():
            columns.setdefault(table, set()).add(column)
    for model in models_ if models_ is not None else tenant_models(app_config):
        if model._meta.db_table not in existing:
            continue
        if not all(
            {f.column for f in m._meta.concrete_fields} <= columns.get(m._meta.db_table, set())
            for m in _models_on_paths(model)
        ):
            # A migration that runs before this table's own later migrations, or those of a table its paths cross
            # (iecq 0008 applies every policy from the current models): the tables or columns the policy may name
            # are not there yet. The post_migrate hook applies it once `migrate` has finished.
            continue
        with connection.cursor() as cursor:
            for statement in policy_statements(model, connection):
                cursor.execute(statement)
        done.append(model._meta.db_table)
    return done


def on_post_migrate(sender, using="default", **kwargs) -> None:
    """After every `migrate`, the tables of the app just migrated get (fresh) policies: new apps are covered."""
    apply_policies(using=using, app_config=sender)
