"""PL-06 (and PL-01 for exports): every portal list is searched, sorted and exported as CSV the same way.

The list routes are found by walking the URL configuration, so a list added tomorrow is covered by the
export test the day it is added.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from iecq.portal.listing import neutralise
from iecq.portal.views import ScopedListView
from iecq.roles import Role
from iecq.tenancy import scope
from manufacturers.models import Manufacturer
from sanctions.models import CorrectiveActionRequest

from .factories import SYSTEM, make_manufacturer
from .test_isolation import fill, walk

pytestmark = pytest.mark.req("PL-06")


def list_routes():
    return [r for r in walk() if r.view_class and issubclass(r.view_class, ScopedListView) and not r.params]


def signed_in(world, role=Role.CB_ADMIN, side="a") -> Client:
    client = Client()
    client.force_login(getattr(world, side).users[role][0])
    return client


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming, "the export streams its rows"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_walk_finds_the_lists():
    names = {r.name for r in list_routes()}
    assert {"certification:certificate-list", "sanctions:car-list", "surveillance:audit-list"} <= names
    assert len(names) >= 20


@pytest.mark.req("PL-01")
def test_every_list_exports_csv_with_only_own_rows(world):
    """Each list's CSV holds exactly the rows its page counts, with the page's column headers, none of side B."""
    client = signed_in(world)
    own_marker_seen = []
    for route in list_routes():
        path = fill(route, {})
        page = client.get(path)
        assert page.status_code == 200, path
        expected = page.context["page"].paginator.count
        rows = read_csv(client.get(path, {"export": "csv"}))
        header, body = rows[0], rows[1:]
        assert header == [str(label) for _attr, label in route.view_class.columns], path
        assert len(body) == expected, f"{path}: {len(body)} CSV rows, the page counts {expected}"
        text = "\n".join(",".join(r) for r in body)
        assert "Bravoside" not in text, f"{path}: the export shows a side-B row"
        if "Alphaside" in text:
            own_marker_seen.append(route.name)
    # Own rows are there, so the absence of side B means something.
    assert {"certification:certificate-list", "sanctions:car-list", "surveillance:nonconformity-list"} <= set(
        own_marker_seen
    )


@pytest.mark.req("PL-01")
def test_side_b_exports_its_own_rows_not_side_a(world):
    rows = read_csv(signed_in(world, side="b").get("/certification/certificates/", {"export": "csv"}))
    assert any("Bravoside" in ",".join(r) for r in rows[1:])
    assert not any("Alphaside" in ",".join(r) for r in rows)


def test_export_requires_sign_in_where_the_list_does():
    response = Client().get("/certification/certificates/", {"export": "csv"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_export_applies_the_same_filters(world):
    client = signed_in(world)
    assert len(read_csv(client.get("/sanctions/cars/", {"export": "csv", "overdue": "true"}))) == 1  # header only
    with scope(SYSTEM):
        CorrectiveActionRequest.objects.filter(pk=world.a.records[CorrectiveActionRequest].pk).update(
            due_on=timezone.now().date() - timedelta(days=1)
        )
    rows = read_csv(client.get("/sanctions/cars/", {"export": "csv", "overdue": "true"}))
    assert [r[0] for r in rows[1:]] == ["CAR-Alphaside"]


def test_cells_are_neutralised_against_formula_injection(world):
    make_manufacturer('=HYPERLINK("http://evil") Alphaside', "GB", cbs=(world.a.cb,))
    rows = read_csv(signed_in(world).get("/manufacturers/", {"export": "csv", "sort": "name"}))
    names = [r[0] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil") Alphaside' in names
    assert not any(n.startswith(("=", "+", "-", "@")) for n in names)
    assert neutralise("@SUM(A1)") == "'@SUM(A1)" and neutralise("Plain") == "Plain"


def test_sorting_is_whitelisted_and_reversible(world):
    make_manufacturer("Aardvark Alphaside", "GB", cbs=(world.a.cb,))
    client = signed_in(world)
    up = [r[0] for r in read_csv(client.get("/manufacturers/", {"export": "csv", "sort": "name"}))[1:]]
    down = [r[0] for r in read_csv(client.get("/manufacturers/", {"export": "csv", "sort": "-name"}))[1:]]
    assert up == sorted(up) and len(up) == 2
    assert down == list(reversed(up))
    # A column that is not whitelisted is ignored rather than sorted or refused.
    assert client.get("/manufacturers/", {"sort": "legal_name"}).status_code == 200
    page = client.get("/manufacturers/", {"sort": "-name"})
    assert page.context["sort"] == "-name"
    assert 'aria-sort="descending"' in page.content.decode()
    assert client.get("/manufacturers/", {"sort": "password"}).context["sort"] == ""


def test_search_finds_by_the_lists_text_columns(world):
    client = signed_in(world)
    hit = client.get("/certification/certificates/", {"q": "alphaside-00001"})
    assert hit.context["page"].paginator.count == 1
    assert "IECQ-AC-ALPHASIDE-00001" in hit.content.decode()
    assert client.get("/certification/certificates/", {"q": "no such thing"}).context["page"].paginator.count == 0
    # Related columns are searched too (the manufacturer's name), and every word must match.
    assert client.get("/sanctions/cars/", {"q": "Alphaside Components"}).context["page"].paginator.count == 1
    assert client.get("/sanctions/cars/", {"q": "Alphaside nothing"}).context["page"].paginator.count == 0
    rows = read_csv(client.get("/certification/certificates/", {"q": "no such thing", "export": "csv"}))
    assert len(rows) == 1
    # Side B's records are never found, whatever the words.
    assert client.get("/certification/certificates/", {"q": "Bravoside"}).context["page"].paginator.count == 0


def test_list_pages_offer_search_export_and_sort_links(world):
    body = signed_in(world).get("/surveillance/audits/", {"state": "planned"}).content.decode()
    assert 'name="q"' in body
    assert "export=csv" in body and "state=planned" in body.split("export=csv")[0].rsplit('href="', 1)[1]
    assert "sort=due_on" in body


def test_a_filter_sets_own_search_is_not_doubled(world):
    """The CB list's filter set declares its own `q` (name or legal name); the generic search steps aside."""
    with scope(SYSTEM):
        assert Manufacturer.objects.count() >= 2
    client = signed_in(world)
    page = client.get("/bodies/", {"q": "Alphaside Certification Ltd"})
    assert page.context["searchable"] is False
    assert page.context["page"].paginator.count == 1


@pytest.mark.parametrize(
    ("path", "role", "action"),
    [
        ("/certification/certificates/{Certificate}/", Role.CB_CERTIFICATION_MANAGER, "/transitions/suspend/"),
        ("/surveillance/audits/{SurveillanceAudit}/", Role.CB_CERTIFICATION_MANAGER, "/transitions/"),
        ("/surveillance/pcns/{ProcessChangeNotification}/", Role.CB_CERTIFICATION_MANAGER, "/classify/"),
        ("/sanctions/cars/{CorrectiveActionRequest}/", Role.MF_QUALITY_MANAGER, "/respond/"),
    ],
)
def test_detail_pages_show_history_and_the_actions_open_to_the_user(world, path, role, action):
    """Verified, not built here: detail pages extend portal/detail.html with their history and next actions."""
    records = {model.__name__: obj.pk for model, obj in world.a.records.items()}
    body = signed_in(world, role).get(path.format(**records)).content.decode()
    assert 'id="history-title"' in body
    assert action in body
