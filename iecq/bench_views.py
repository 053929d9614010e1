"""Floors for `make bench`, served only when settings.IECQ_BENCH_VIEWS is on (iecq.settings.bench).

Each is the cheapest way to answer through the same server and middleware: a constant, the raw SQL
that reads given rows of a table, the supervisory dashboard's own aggregate SQL run raw.
"""

from __future__ import annotations

import json

from django.apps import apps
from django.db import connection
from django.http import Http404, HttpResponse


def constant(request):
    return HttpResponse(b'{"ok": true}', content_type="application/json")


def _tables() -> set[str]:
    return {m._meta.db_table for m in apps.get_models()}


def rows(request, table: str):
    """The rows of `table` with the ids given, by one raw SQL query, as JSON.

    Read as system work, so that the row-level policies admit every row at once (their first branch): the floor
    is the cost of reading and printing these rows, whoever may see them. Read as the request's principal (an
    anonymous one: the API's token is not read here), the policies admitted none, and until 2026-11-26 the API
    lists were compared with a query that returned no rows; the benchmark now checks the count."""
    from .principals import system_principal
    from .tenancy import scope

    if table not in _tables():
        raise Http404
    ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()]
    with scope(system_principal("bench floor")), connection.cursor() as cur:
        cur.execute(f'SELECT * FROM "{table}" WHERE id = ANY(%s) ORDER BY id DESC', [ids])  # noqa: S608 (a model table)
        names = [c.name for c in cur.description]
        data = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return HttpResponse(json.dumps(data, default=str), content_type="application/json")


_DASHBOARD_SQL: dict[tuple, list[str]] = {}


def dashboard(request, country: str):
    """The supervisory dashboard's own aggregate queries, run alone: the exact SQL `dashboard_for` sends for this
    principal and country (captured once per process, parameters included), executed raw, rows returned as JSON;
    no ORM, no charts, no template."""
    from django.test.utils import CaptureQueriesContext

    from .dashboards import dashboard_for

    principal = request.principal
    key = (repr(principal), country)
    if key not in _DASHBOARD_SQL:
        with CaptureQueriesContext(connection) as captured:
            dashboard_for(principal, country)
        _DASHBOARD_SQL[key] = [q["sql"] for q in captured.captured_queries if "set_config(" not in q["sql"]]
    results = []
    with connection.cursor() as cur:
        for sql in _DASHBOARD_SQL[key]:
            cur.execute(sql)
            results.append(cur.fetchall())
    return HttpResponse(json.dumps(results, default=str), content_type="application/json")
