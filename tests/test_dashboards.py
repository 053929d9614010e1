"""PL-05 supervisory dashboard, PL-06/PL-07 home pages per role.

The dashboard: one country's CBs, certificates by status and technology, overdue audits and CARs,
sanctions per month, as server-drawn SVG charts with tables, CSV and PDF; a supervisory body sees its
own country only. The home page: what each role must do next, each item one click from its record.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bodies.models import Auditor, CertificationBody
from certification.models import Application, Certificate
from iecq import charts
from iecq.dashboards import dashboard_for
from iecq.roles import Role
from iecq.tenancy import scope
from sanctions.bulletin import notice_publish
from sanctions.models import CorrectiveActionRequest
from surveillance.models import Nonconformity, SurveillanceAudit

from .factories import SYSTEM, copy_certificate

TODAY = timezone.now().date


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def supervisor(world, side="a") -> Client:
    return client_for(getattr(world, side).users[Role.SB_VIEWER][0])


def operator(world) -> Client:
    return client_for(world.operator[0])


def update(model, pk, **values):
    """Put a fixture record in the state a test needs (the FSM fields are protected against assignment)."""
    with scope(SYSTEM):
        model.objects.filter(pk=pk).update(**values)


def make_overdue(side):
    update(SurveillanceAudit, side.records[SurveillanceAudit].pk, due_on=TODAY() - timedelta(days=3))
    update(CorrectiveActionRequest, side.records[CorrectiveActionRequest].pk, due_on=TODAY() - timedelta(days=2))


def totals(response) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-total="(\w+)">(\d+)<', response.content.decode())}


# --- charts -----------------------------------------------------------------------------------------------


@pytest.mark.req("PL-05")
def test_bar_chart_is_accessible_svg_with_escaped_labels():
    svg = charts.bar_chart([("Valid", 12), ("<script>x</script>", 3)], title="Certificates & status", chart_id="c1")
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Certificates &amp; status</title>' in svg
    assert "Valid: 12" in svg  # the description states the figures in words
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count("<rect") == 2
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths[0] > widths[1] > 0  # bars are proportional to the values


@pytest.mark.req("PL-05")
def test_line_chart_draws_one_dashed_or_solid_line_per_series():
    svg = charts.line_chart(
        ["2026-01", "2026-02", "2026-03"],
        [charts.Series("Suspensions", [0, 2, 1]), charts.Series("Withdrawals", [1, 0, 0])],
        title="Sanctions",
    )
    assert svg.count("<polyline") == 2 and 'stroke-dasharray="6 4"' in svg
    assert "Suspensions: 3 in all (2026-02: 2, 2026-03: 1)" in svg
    assert charts.nice_ceiling(7) == 10 and charts.nice_ceiling(0) == 1 and charts.nice_ceiling(180) == 200


# --- the dashboard ----------------------------------------------------------------------------------------


@pytest.mark.req("PL-05")
def test_supervisor_sees_its_own_country_only(world):
    make_overdue(world.a)
    make_overdue(world.b)
    client = supervisor(world)
    response = client.get("/supervision/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Alphaside Certification" in body and "Bravoside" not in body
    assert totals(response) == {
        "certification_bodies": 1,
        "certificates": 1,
        "valid_certificates": 1,
        "audits_overdue": 1,
        "cars_overdue": 1,
    }
    # Asking for another country changes nothing: a supervisory body has one jurisdiction.
    other = client.get("/supervision/", {"country": "DE"})
    assert "Bravoside" not in other.content.decode() and totals(other) == totals(response)
    assert "<svg" in body and "<table" in body and 'role="img"' in body


@pytest.mark.req("PL-05")
def test_operator_chooses_any_country(world):
    client = operator(world)
    assert "Choose a country" in client.get("/supervision/").content.decode()
    de = client.get("/supervision/", {"country": "DE"}).content.decode()
    assert "Bravoside Certification" in de and "Alphaside" not in de
    gb = client.get("/supervision/", {"country": "gb"}).content.decode()
    assert "Alphaside Certification" in gb and "Bravoside" not in gb
    fr = client.get("/supervision/", {"country": "FR"})
    assert "Publicside Certification" in fr.content.decode() and totals(fr)["certificates"] == 0


@pytest.mark.req("PL-05")
@pytest.mark.parametrize("role", [Role.CB_ADMIN, Role.CB_CERTIFICATION_MANAGER, Role.MF_ADMIN])
def test_others_have_no_dashboard(world, role):
    assert client_for(world.a.users[role][0]).get("/supervision/").status_code == 404
    assert Client().get("/supervision/").status_code == 302


@pytest.mark.req("PL-05")
def test_figures_by_status_technology_and_overdue(world):
    make_overdue(world.a)
    with scope(SYSTEM):
        cert = world.a.records[Certificate]
    update(Certificate, cert.pk, state="suspended")
    board = dashboard_for(world.a.users[Role.SB_VIEWER][1], "GB")
    by_status = dict((r[0], r[1]) for r in board.tables["certificates_by_status"].rows)
    assert by_status["Suspended"] == 1 and by_status["Valid"] == 0
    assert board.tables["certificates_by_technology"].rows == [["Capacitors", 1, 0, 1]]
    assert board.tables["overdue"].rows == [["Alphaside Certification", 1, 1]]
    cb_row = board.tables["certification_bodies"].rows[0]
    assert cb_row[0] == "Alphaside Certification" and cb_row[4:] == [1, 1, 1]
    assert dict((r[0], r[1]) for r in board.tables["cb_states"].rows)["Applied"] == 1


@pytest.mark.req("PL-05")
def test_sanctions_per_month_over_24_months(world):
    with scope(SYSTEM):
        cert_a = Certificate.objects.select_related("manufacturer", "certification_body").get(
            pk=world.a.records[Certificate].pk
        )
        cert_b = Certificate.objects.select_related("manufacturer", "certification_body").get(
            pk=world.b.records[Certificate].pk
        )
        notice_publish(kind="suspension", reason="Alphaside suspended", certificate=cert_a)
        notice_publish(kind="withdrawal", reason="Alphaside withdrawn", certificate=cert_a)
        notice_publish(kind="reinstatement", reason="not a sanction", certificate=cert_a)
        notice_publish(kind="suspension", reason="Bravoside suspended", certificate=cert_b)
    response = supervisor(world).get("/supervision/", {"format": "csv", "table": "sanctions_per_month"})
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert rows[0] == ["Month", "Suspensions", "Withdrawals"]
    assert len(rows) == 1 + 24
    assert rows[-1] == [f"{TODAY():%Y-%m}", "1", "1"]
    assert all(r[1:] == ["0", "0"] for r in rows[1:-1])
    assert "sanctions-per-month-title" in supervisor(world).get("/supervision/").content.decode()


@pytest.mark.req("PL-05")
def test_every_table_downloads_as_csv(world):
    client = supervisor(world)
    keys = re.findall(r'data-table="(\w+)"', client.get("/supervision/").content.decode())
    assert {"certification_bodies", "certificates_by_status", "certificates_by_technology", "overdue"} <= set(keys)
    for key in keys:
        response = client.get("/supervision/", {"format": "csv", "table": key})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        assert "Bravoside" not in response.content.decode()
    by_status = client.get("/supervision/", {"format": "csv", "table": "certificates_by_status"}).content.decode()
    assert "Valid,1" in by_status
    assert client.get("/supervision/", {"format": "csv", "table": "nope"}).status_code == 404


@pytest.mark.req("PL-05")
def test_dashboard_pdf(world):
    response = supervisor(world).get("/supervision/", {"format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


@pytest.mark.req("PL-05")
def test_figures_are_grouped_in_the_database_not_counted_row_by_row(world):
    """The number of queries does not grow with the number of certificates (issue 10 benchmarks 1,000,000)."""
    principal = world.operator[1]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            dashboard_for(principal, "GB")
        return len(captured.captured_queries)

    before = queries()
    for i in range(6):
        _add_certificate(world, f"IECQ-AC-ALPHASIDE-1{i:04d}")
    assert queries() == before
    board = dashboard_for(principal, "GB")
    assert board.totals["certificates"] == 7
    assert board.tables["certificates_by_technology"].rows[0][1] == 7


# --- home pages per role ----------------------------------------------------------------------------------


def todo_keys(client) -> set[str]:
    return set(re.findall(r'data-todo="(\w+)"', client.get("/").content.decode()))


def links_open(client, page: str, *, sees_all: bool = False) -> None:
    """Every link of the 'Waiting for you' block opens (one click from the action) and none leaks side B."""
    block = page.split('id="work-title"', 1)[1].split('id="todo-title"', 1)[0]
    hrefs = re.findall(r'href="([^"]+)"', block)
    assert hrefs
    for href in hrefs:
        response = client.get(href.replace("&amp;", "&"))
        assert response.status_code == 200, href
        assert sees_all or "Bravoside" not in response.content.decode(), href


@pytest.fixture
def busy(world):
    """Side A with work waiting everywhere (side B the same, to prove it never shows)."""
    for side in (world.a, world.b):
        make_overdue(side)
        update(Application, side.records[Application].pk, state="submitted")
        update(SurveillanceAudit, side.records[SurveillanceAudit].pk, due_on=TODAY())
        update(Certificate, side.records[Certificate].pk, expires_on=TODAY() + timedelta(days=30))
    return world


@pytest.mark.req("PL-07")
def test_certification_manager_home(busy):
    client = client_for(busy.a.users[Role.CB_CERTIFICATION_MANAGER][0])
    keys = todo_keys(client)
    assert {
        "applications_awaiting_cb",
        "audits_this_month",
        "cars_overdue",
        "pcns_to_classify",
        "suspension_requests_open",
        "appeals_open",
        "certificates_expiring",
    } <= keys
    page = client.get("/").content.decode()
    assert "APP-Alphaside" in page and "Bravoside" not in page
    assert page.index('data-todo="cars_overdue"') < page.index('data-todo="applications_awaiting_cb"')  # overdue first
    links_open(client, page)


@pytest.mark.req("PL-07")
def test_clerk_home_is_a_subset(busy):
    keys = todo_keys(client_for(busy.a.users[Role.CB_CLERK][0]))
    assert {"applications_awaiting_cb", "audits_this_month", "cars_overdue", "appeals_open"} <= keys
    assert "suspension_requests_open" not in keys and "nonconformities_to_verify" not in keys


@pytest.mark.req("PL-07")
def test_auditor_home_shows_own_audits_and_corrective_actions_to_verify(busy):
    user = busy.a.users[Role.CB_AUDITOR][0]
    client = client_for(user)
    assert "my_audits_this_month" not in todo_keys(client)  # not yet on any team
    update(Auditor, busy.a.records[Auditor].pk, user=user)
    update(Nonconformity, busy.a.records[Nonconformity].pk, state="action_submitted")
    keys = todo_keys(client)
    assert {"my_audits_this_month", "nonconformities_to_verify"} <= keys
    assert "pcns_to_classify" not in keys
    links_open(client, client.get("/").content.decode())


@pytest.mark.req("PL-07")
def test_manufacturer_home(busy):
    update(Application, busy.a.records[Application].pk, state="inquiry")
    client = client_for(busy.a.users[Role.MF_QUALITY_MANAGER][0])
    keys = todo_keys(client)
    assert {
        "nonconformities_to_answer",
        "cars_to_answer",
        "applications_awaiting_you",
        "certificates_expiring",
        "audits_coming",
    } <= keys
    page = client.get("/").content.decode()
    assert "Bravoside" not in page
    links_open(client, page)


@pytest.mark.req("PL-07")
def test_supervisor_home_shows_its_country_overdue_and_the_dashboard(busy):
    make_overdue(busy.a)
    make_overdue(busy.b)
    client = supervisor(busy)
    keys = todo_keys(client)
    assert {"audits_overdue", "cars_overdue"} <= keys
    page = client.get("/").content.decode()
    assert 'href="/supervision/"' in page and "Bravoside" not in page
    links_open(client, page)


@pytest.mark.req("PL-07")
def test_operator_home(busy):
    update(CertificationBody, busy.public_cb.pk, approval_valid_until=TODAY() + timedelta(days=20))
    client = operator(busy)
    keys = todo_keys(client)
    assert {"cbs_pending_approval", "reaccreditations_due", "cb_suspension_requests"} <= keys
    page = client.get("/").content.decode()
    assert "Publicside Certification" in page and 'href="/supervision/"' in page
    links_open(client, page, sees_all=True)


@pytest.mark.req("PL-06")
def test_nothing_waiting_says_so(world):
    client = client_for(world.a.users[Role.MF_SUBMITTER][0])
    update(Application, world.a.records[Application].pk, state="withdrawn")
    update(Nonconformity, world.a.records[Nonconformity].pk, state="closed")
    update(CorrectiveActionRequest, world.a.records[CorrectiveActionRequest].pk, state="accepted")
    update(SurveillanceAudit, world.a.records[SurveillanceAudit].pk, state="closed")
    assert todo_keys(client) == set()
    assert "No work waits for your role right now." in client.get("/").content.decode()


def _add_certificate(world, number: str) -> None:
    copy_certificate(world.a.records[Certificate], number)


def _total(response) -> str:
    return re.search(r'data-total="certificates">(\d+)<', response.content.decode()).group(1)


@pytest.mark.req("PL-05")
def test_the_page_csv_and_pdf_reuse_the_figures_for_a_few_minutes_and_say_when_they_were_computed(world, settings):
    """The largest country's figures take seconds at a million certificates: the page, then its CSV, then its
    PDF read one computation, for IECQ_DASHBOARD_CACHE_SECONDS; the page says when it was computed."""
    settings.IECQ_DASHBOARD_CACHE_SECONDS = 300
    client = supervisor(world)
    first = client.get("/supervision/")
    assert "data-computed-at=" in first.content.decode() and _total(first) == "1"
    _add_certificate(world, "IECQ-AC-ALPHASIDE-20001")
    with CaptureQueriesContext(connection) as captured:
        again = client.get("/supervision/", {"format": "csv", "table": "certificates_by_status"})
    assert again.status_code == 200
    assert not [q for q in captured.captured_queries if "certification_certificate" in q["sql"]]
    assert _total(client.get("/supervision/")) == "1"  # the same figures, as the page says
    settings.IECQ_DASHBOARD_CACHE_SECONDS = 0
    assert _total(client.get("/supervision/")) == "2"


@pytest.mark.req("PL-05")
def test_stored_figures_are_never_read_by_another_reader(world, settings):
    """The key is everything the visibility rule reads of the reader, the country and the language: the
    operator's figures for GB are not the supervisory body's, nor the French page's the English one's."""
    settings.IECQ_DASHBOARD_CACHE_SECONDS = 300
    assert _total(operator(world).get("/supervision/", {"country": "GB"})) == "1"
    _add_certificate(world, "IECQ-AC-ALPHASIDE-20002")
    assert _total(supervisor(world).get("/supervision/")) == "2"  # computed for the supervisory body
    assert _total(operator(world).get("/supervision/", {"country": "GB"})) == "1"  # the operator's own copy
    french = operator(world)
    french.cookies["django_language"] = "fr"
    assert _total(french.get("/supervision/", {"country": "GB"}, HTTP_ACCEPT_LANGUAGE="fr")) == "2"
