"""PL-01: the isolation matrix. Every API route and portal URL x every role x side B's records placed
everywhere a request can carry them, with the database's row-level security on (docs/security.md).

Side A's people (each CB role, each manufacturer role, the supervisory body of another country than
side B's, both integrator tokens) and the anonymous public call every route once per method it offers:
side B's record in the path, side B's primary keys in every filter of the query string and in every
foreign-key field of the body (JSON for the API, a form for the portal). Exports, PDFs and feeds are
routes like any other. No response may show an identifying value of side B; a foreign record in the
path answers 404 (to the anonymous: the same as a record that does not exist); a foreign key in a body
is refused or ignored, never used; and a full dump of side B's rows is the same afterwards.

The walk runs as the application's database role (SET ROLE, inside the test's transaction), so both
walls are in place as in production: the visibility rule in the code and the policies in PostgreSQL.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.db import connection, models
from django.test import Client

from iecq.principals import PUBLIC
from iecq.rls import tenant_models
from iecq.roles import Role
from iecq.tenancy import scope, visibility_q
from iecq.transitions import declared_transitions

from .conftest import token_client
from .factories import SYSTEM
from .reliability_figures import record
from .test_isolation import MISSING_PK, NOT_TENANT_DATA, PUBLIC_REFERENCE_MODELS, fill, foreign_object, walk
from .test_rls import APP_ROLE

pytestmark = pytest.mark.req("PL-01")

MARKER = "bravoside"
ROLES_OF_SIDE_A = (
    Role.CB_ADMIN,
    Role.CB_CERTIFICATION_MANAGER,
    Role.CB_AUDITOR,
    Role.CB_TECHNICAL_REVIEWER,
    Role.CB_CLERK,
    Role.MF_ADMIN,
    Role.MF_QUALITY_MANAGER,
    Role.MF_SUBMITTER,
    Role.SB_VIEWER,  # side A's supervisory body is GB's: another country than side B's (DE)
)
SCALARS = {
    "name": "Matrix probe",
    "legal_name": "Matrix probe",
    "title": "Matrix probe",
    "reason": "matrix probe",
    "description": "matrix probe",
    "summary": "matrix probe",
    "address": "1 Probe Street",
    "city": "Probetown",
    "country": "GB",
    "email": "probe@example.org",
    "website": "https://probe.example.org",
    "role": Role.CB_ADMIN,
    "kind": "initial",
    "planned_on": "2030-01-01",
    "due_on": "2030-01-01",
    "received_on": "2029-01-01",
}


def b_only_rows(world) -> dict[type, set[int]]:
    """For every tenant table, the ids only side B (or the operator) may see: what must never leak."""
    a, b = world.a, world.b
    a_side = [a.users[Role.CB_ADMIN][1], a.users[Role.MF_ADMIN][1], a.users[Role.SB_VIEWER][1], PUBLIC]
    b_side = [b.users[Role.CB_ADMIN][1], b.users[Role.MF_ADMIN][1]]
    out = {}
    with scope(SYSTEM):
        for model in tenant_models():

            def ids(principals, model=model):
                found = set()
                for p in principals:
                    found |= set(model._base_manager.filter(visibility_q(model, p)).values_list("pk", flat=True))
                return found

            out[model] = ids(b_side) - ids(a_side)
    return out


def dump(rows: dict[type, set[int]]) -> dict[str, list]:
    """The full content of side B's rows."""
    with scope(SYSTEM):
        return {
            model.__name__: list(model._base_manager.filter(pk__in=ids).order_by("pk").values())
            for model, ids in rows.items()
        }


def foreign_keys(b_rows: dict[type, set[int]]) -> dict[str, int]:
    """Every foreign-key field name of a tenant model (and its `_id` form) -> a side-B row it could point at."""
    keys: dict[str, int] = {}
    for model in tenant_models():
        for field in model._meta.get_fields():
            if not (isinstance(field, models.ForeignKey) and field.related_model in b_rows):
                continue
            if b_rows[field.related_model]:
                pk = min(b_rows[field.related_model])
                keys.setdefault(field.name, pk)
                keys.setdefault(f"{field.name}_id", pk)
    return keys


def viewers(world) -> list[tuple[str, object]]:
    out = []
    for role, (user, _p) in world.a.users.items():  # every CB role, every manufacturer role, GB supervisor
        client = Client()
        client.force_login(user)
        out.append((f"session:{role}", client))
    for kind, (token, _p) in world.a.tokens.items():  # the integrators
        out.append((f"token:{kind}", token_client(token)))
    out.append(("anonymous", Client()))
    return out


@pytest.fixture
def as_app_role(world):
    """Django's connection acts as the application role for the rest of the test (rolled back with it).

    IECQ_MATRIX_AS_OWNER=1 keeps the owner instead: the walk then tests the application's wall alone.
    """
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        if cur.fetchone() is None:
            cur.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS")
    call_command("db_grant_app_role", APP_ROLE, stdout=open("/dev/null", "w"))  # noqa: SIM115
    with connection.cursor() as cur:
        if not os.environ.get("IECQ_MATRIX_AS_OWNER"):
            cur.execute(f"SET ROLE {APP_ROLE}")
    yield
    with connection.cursor() as cur:
        cur.execute("RESET ROLE")


def send(client, method: str, path: str, query: str, body: dict, is_api: bool):
    url = f"{path}?{query}"
    if method in ("GET", "HEAD", "OPTIONS"):
        return getattr(client, method.lower())(url)
    if is_api:
        return getattr(client, method.lower())(url, json.dumps(body), content_type="application/json")
    return getattr(client, method.lower())(url, body)


def planned(route, method: str, *, reads: bool, api: bool | None) -> bool:
    """Whether a run of the matrix probes `method` on `route` (each (route, method) is in exactly one run)."""
    if route.name in NOT_TENANT_DATA or (method == "GET") != reads:
        return False
    if method == "PUT" and not route.is_api:
        return False  # Django's FormView answers PUT like POST; the POST probe covers it
    return api is None or route.is_api == api


def run_matrix(world, *, reads: bool, api: bool | None = None, roles: set[str] | None = None) -> int:
    """Walk the routes with GET (reads) or with every other method they offer (writes), as `roles` of side A."""
    with connection.cursor() as cur:
        cur.execute("SELECT current_user")
        assert cur.fetchone() == (APP_ROLE,) or os.environ.get("IECQ_MATRIX_AS_OWNER")
    b_rows = b_only_rows(world)
    assert sum(1 for ids in b_rows.values() if ids) >= 25  # side B has rows in most tenant tables
    before = dump(b_rows)
    with scope(SYSTEM):
        high_water = {m: m._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0 for m in b_rows}
    fks = foreign_keys(b_rows)
    assert {"manufacturer", "certification_body", "certificate", "application", "audit"} <= set(fks)
    query = urlencode({**{k: v for k, v in fks.items() if not k.endswith("_id")}, "country": "DE"})
    body = {**SCALARS, **fks}
    identifying = [MARKER] + [token.split("_")[1] for token, _p in world.b.tokens.values()]
    clients = [(label, client) for label, client in viewers(world) if roles is None or label in roles]
    assert {label for label, _c in clients} == set(roles or ALL_VIEWERS)  # every role the plan counts on

    probes = 0
    by_place = {"path": 0, "query": 0, "body": 0}
    problems: list[str] = []
    refused_bodies = 0
    # Signing out ends the viewers' sessions: that route goes last.
    for route in sorted(walk(), key=lambda r: r.name == "portal:logout"):
        if not any(planned(route, m, reads=reads, api=api) for m in route.methods()):
            continue
        values: dict[str, object] = {}
        foreign_in_path = False
        if "pk" in route.params:
            if route.model in PUBLIC_REFERENCE_MODELS:
                with scope(SYSTEM):
                    values["pk"] = route.model._base_manager.order_by("pk").values_list("pk", flat=True).first()
            else:
                values["pk"] = foreign_object(world, route.model).pk
                foreign_in_path = True
        if "name" in route.params:
            values["name"] = sorted(declared_transitions(route.model))[0]
        path = fill(route, values)
        missing_status: dict[str, int] = {}
        for method in route.methods():
            if not planned(route, method, reads=reads, api=api):
                continue
            for label, client in clients:
                response = send(client, method, path, query, body, route.is_api)
                probes += 1
                by_place["query"] += 1
                by_place["path"] += foreign_in_path
                by_place["body"] += method != "GET"
                where = f"{label} {method} {path}"
                content = response.content.decode(errors="replace")
                lowered = content.lower()
                if any(value.lower() in lowered for value in identifying):
                    problems.append(f"{where}: shows a side-B value")
                if response.status_code >= 500:
                    problems.append(f"{where}: {response.status_code}")
                unauthenticated = label == "anonymous" or (label.startswith("token:") and not route.is_api)
                if foreign_in_path:
                    if unauthenticated:
                        if method not in missing_status:
                            missing_path = fill(route, {**values, "pk": MISSING_PK})
                            missing_status[method] = send(client, method, missing_path, query, body, route.is_api)
                            missing_status[method] = missing_status[method].status_code
                        if response.status_code != missing_status[method] or response.status_code < 300:
                            problems.append(f"{where}: {response.status_code}, missing {missing_status[method]}")
                    elif response.status_code != 404:
                        problems.append(f"{where}: {response.status_code}, expected 404")
                elif method != "GET":
                    if response.status_code in (400, 403, 404, 405, 409) or unauthenticated:
                        refused_bodies += 1
                    elif route.is_api and response.status_code < 300 and response.content:
                        created = response.json()
                        used = [k for k, v in fks.items() if isinstance(created, dict) and created.get(k) == v]
                        if used:
                            problems.append(f"{where}: accepted side B's {used}")

    assert probes == len(clients) * sum(planned(r, m, reads=reads, api=api) for r in walk() for m in r.methods()), (
        "a planned probe was not sent"
    )
    assert not problems, f"{len(problems)} problems in {probes} probes:\n" + "\n".join(problems[:60])
    assert reads or refused_bodies > 100  # the bodies really carried something to refuse
    assert dump(b_rows) == before, "a probe changed a side-B row"
    # No row written during the walk points at a side-B row.
    with scope(SYSTEM):
        for model in b_rows:
            for field in model._meta.get_fields():
                if isinstance(field, models.ForeignKey) and field.related_model in b_rows:
                    new = model._base_manager.filter(pk__gt=high_water[model])
                    bad = new.filter(**{f"{field.name}__in": b_rows[field.related_model]})
                    assert not bad.exists(), f"new {model.__name__} rows point at side B through {field.name}"
    kind = ("reads" if reads else "writes") + ("" if api is None else (" (API)" if api else " (portal)"))
    record("isolation matrix", f"{kind}: probes", probes)
    record("isolation matrix", f"{kind}: placements of side B (path, query, body)", by_place)
    record("isolation matrix", f"{kind}: foreign bodies refused", refused_bodies)
    record("isolation matrix", f"{kind}: leaks and problems", len(problems))


def test_matrix_has_at_least_2000_probes_and_covers_every_route():
    """The three runs below together: every route and method, each by every role (writes: by the writers)."""
    routes = [r for r in walk() if r.name not in NOT_TENANT_DATA]
    reads = sum(planned(r, m, reads=True, api=None) for r in routes for m in r.methods()) * len(ALL_VIEWERS)
    writes = sum(planned(r, m, reads=False, api=None) for r in routes for m in r.methods()) * len(WRITERS)
    unprobed = [
        r.name for r in routes if not any(planned(r, m, reads=x, api=None) for m in r.methods() for x in (1, 0))
    ]
    assert not unprobed
    assert reads + writes >= 2000, (reads, writes)
    record("isolation matrix", "planned probes (reads, writes)", (reads, writes))


# Side A's people of every role (CB, manufacturer, the GB supervisory body), both integrator tokens, the public.
ALL_VIEWERS = [f"session:{r}" for r in ROLES_OF_SIDE_A] + ["token:cb", "token:manufacturer", "anonymous"]


def test_matrix_api_reads_every_route_as_every_role(world, as_app_role, settings):
    """GET of every API route by every role of side A and the public: side B in the path and every filter."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"  # fewer queries per probe
    run_matrix(world, reads=True, api=True)


def test_matrix_portal_reads_every_route_as_every_role(world, as_app_role, settings):
    """GET of every portal page, export, PDF and feed by every role of side A and the public."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    run_matrix(world, reads=True, api=False)


# Writers: one person of each kind of organisation (the reads above cover every role), both integrators,
# and the public; the write probes carry side B's keys in every foreign-key field of the body.
WRITERS = {
    f"session:{Role.CB_ADMIN}",
    f"session:{Role.MF_ADMIN}",
    f"session:{Role.SB_VIEWER}",
    "token:cb",
    "token:manufacturer",
    "anonymous",
}


def test_matrix_writes_every_route(world, as_app_role, settings):
    """POST, PATCH, PUT and DELETE of every route: side B in the path, the query string and every foreign key."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    run_matrix(world, reads=False, api=None, roles=WRITERS)
