"""The supervisory dashboard (PL-05): one country's figures as charts and tables, CSV downloads and a PDF.

`?country=DE` chooses the country (the operator only; a supervisory body always sees its own),
`?format=csv&table=<key>` downloads one table, `?format=pdf` the whole dashboard.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View
from django_countries import countries

from surveillance.choices import OPEN_AUDIT_STATES

from .. import charts
from ..dashboards import Dashboard, dashboard_cached, dashboard_country
from ..errors import NotFound
from ..pdf import render_pdf
from .listing import neutralise
from .views import PrincipalMixin


def dashboard_charts(board: Dashboard) -> dict[str, Any]:
    """The SVG chart of each table that has one, keyed like the tables."""
    t = board.tables
    overdue_totals = [
        (_("Audits overdue"), board.totals["audits_overdue"]),
        (_("CARs overdue"), board.totals["cars_overdue"]),
    ]
    sanctions = t["sanctions_per_month"]
    return {
        "cb_states": charts.bar_chart(
            [(r[0], r[1]) for r in t["cb_states"].rows], title=t["cb_states"].title, chart_id="cb-states"
        ),
        "certificates_by_status": charts.bar_chart(
            [(r[0], r[1]) for r in t["certificates_by_status"].rows],
            title=t["certificates_by_status"].title,
            chart_id="certificates-by-status",
        ),
        "certificates_by_technology": charts.bar_chart(
            [(r[0], r[1]) for r in t["certificates_by_technology"].rows],
            title=t["certificates_by_technology"].title,
            chart_id="certificates-by-technology",
        ),
        "overdue": charts.bar_chart(overdue_totals, title=t["overdue"].title, chart_id="overdue"),
        "sanctions_per_month": charts.line_chart(
            [r[0] for r in sanctions.rows],
            [
                charts.Series(str(sanctions.header[1]), [r[1] for r in sanctions.rows]),
                charts.Series(str(sanctions.header[2]), [r[2] for r in sanctions.rows]),
            ],
            title=sanctions.title,
            chart_id="sanctions-per-month",
        ),
    }


def table_csv(board: Dashboard, key: str) -> HttpResponse:
    table = board.tables.get(key)
    if table is None:
        raise Http404
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(str(h)) for h in table.header])
    for row in table.rows:
        writer.writerow([neutralise(v) if isinstance(v, str) else v for v in row])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="supervision-{board.country}-{key}-{board.today}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


class SupervisionView(PrincipalMixin, LoginRequiredMixin, View):
    """The dashboard page, its CSV tables and its PDF; others than supervisory bodies and the operator get 404."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        p = self.principal
        try:
            country = dashboard_country(p, request.GET.get("country"))
        except NotFound:
            raise Http404 from None
        board = dashboard_cached(p, country) if country else None
        fmt = request.GET.get("format", "")
        if board is not None and fmt == "csv":
            return table_csv(board, request.GET.get("table", ""))
        drawn = dashboard_charts(board) if board else {}
        context = {
            "title": _("Supervisory dashboard"),
            "board": board,
            "blocks": [(table, drawn.get(key)) for key, table in board.tables.items()] if board else [],
            "may_choose": p.is_operator,
            "countries": list(countries) if p.is_operator else [],
            "country": country,
            "open_audit_states": OPEN_AUDIT_STATES,
        }
        if board is not None and fmt == "pdf":
            pdf = render_pdf("portal/supervision_pdf.html", context)
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="supervision-{country}-{board.today}.pdf"'
            response["Cache-Control"] = "private, no-store"
            return response
        return render(request, "portal/supervision.html", context)
