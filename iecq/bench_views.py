"""Floors for `make bench`, served only when settings.IECQ_BENCH_VIEWS is on (iecq.settings.bench).

Each is the cheapest way to answer through the same server and middleware: a constant, the raw SQL
that reads given rows of a table, the raw aggregate SQL of a supervisory dashboard.
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
    """The rows of `table` with the ids given, by one raw SQL query, as JSON."""
    if table not in _tables():
        raise Http404
    ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()]
    with connection.cursor() as cur:
        cur.execute(f'SELECT * FROM "{table}" WHERE id = ANY(%s) ORDER BY id DESC', [ids])  # noqa: S608 (a model table)
        names = [c.name for c in cur.description]
        data = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return HttpResponse(json.dumps(data, default=str), content_type="application/json")


def dashboard(request, country: str):
    """A country's certificates by status and by technology, and its overdue open audits: raw SQL."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.state, count(*) FROM certification_certificate c JOIN manufacturers_manufacturer m "
            "ON m.id = c.manufacturer_id WHERE m.country = %s GROUP BY c.state",
            [country],
        )
        by_state = cur.fetchall()
        cur.execute(
            "SELECT ct.technology_id, count(*) FROM certification_certificate_technologies ct JOIN "
            "certification_certificate c ON c.id = ct.certificate_id JOIN manufacturers_manufacturer m "
            "ON m.id = c.manufacturer_id WHERE m.country = %s AND c.state = 'valid' GROUP BY 1",
            [country],
        )
        by_technology = cur.fetchall()
        cur.execute(
            "SELECT count(*) FROM surveillance_surveillanceaudit a JOIN manufacturers_manufacturer m "
            "ON m.id = a.manufacturer_id WHERE m.country = %s AND a.state IN ('planned', 'scheduled') "
            "AND a.due_on < now()::date",
            [country],
        )
        overdue = cur.fetchone()[0]
    body = json.dumps({"by_state": by_state, "by_technology": by_technology, "overdue_audits": overdue})
    return HttpResponse(body, content_type="application/json")
