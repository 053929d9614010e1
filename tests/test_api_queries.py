"""Every API list endpoint costs the same number of SQL queries for a page of 1 and a page of 50 (issue 10).

The routes are walked from the URL configuration, so an endpoint added tomorrow is measured too.
The data: the two-sided world of the other tests plus a small national-scale data set from
`seed_scale`, read by the system operator (who sees every row). A list that shows fewer than two
rows could hide an N+1 query and fails the test, naming the resource to give rows to.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from iecq.api.introspect import api_list_route_names
from iecq.principals import system_principal
from iecq.scale import seed_scale
from iecq.tenancy import scope


def _queries(client, url: str, page_size: int) -> tuple[int, int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return len(ctx.captured_queries), len(rows), [q["sql"] for q in ctx.captured_queries]


def test_the_walker_finds_the_list_routes():
    names = api_list_route_names()
    assert "api:certificate-list" in names and "api:manufacturer-list" in names
    assert len(names) >= 20, names


def _own_integration_rows(world) -> None:
    """Subscriptions and watchlist entries are private to their organisation, even from the operator: give the
    operator's own organisation a few."""
    from certification.models import Certificate
    from iecq.integrations.models import WatchlistEntry, WebhookSubscription

    for n, certificate in enumerate(Certificate.objects.order_by("pk")[:3]):
        WebhookSubscription.objects.create(
            organisation=world.operator_org,
            description=f"operator ERP {n}",
            target_url=f"https://erp{n}.example/hooks",
            secret="whsec_" + "A" * 32,
            is_active=False,
            created_by_label="query-count test",
        )
        WatchlistEntry.objects.create(
            organisation=world.operator_org,
            kind="certificate",
            certificate=certificate,
            label=certificate.number,
            created_by_label="query-count test",
        )


@pytest.mark.django_db
def test_api_list_query_count_does_not_grow_with_page_size(world):
    with scope(system_principal("query-count test data")):
        seed_scale(120)
        _own_integration_rows(world)
    client = world.operator_api()
    growing, too_few = [], []
    for name in api_list_route_names():
        url = reverse(name)
        client.get(url, {"page_size": 1})  # warm caches (content types, permissions) out of the measure
        small, _rows, _sql = _queries(client, url, 1)
        large, rows, sql = _queries(client, url, 50)
        if rows < 2:
            too_few.append(f"{name}: {rows} row(s)")
        elif large > small:
            growing.append(f"{name}: {small} queries for 1 row, {large} for {rows} rows; e.g. {sql[-1][:160]}")
    assert not growing, "N+1 queries:\n" + "\n".join(growing)
    assert not too_few, "Give these resources rows in the test data:\n" + "\n".join(too_few)


@pytest.mark.django_db
def test_a_list_shows_only_the_related_ids_its_reader_sees_in_ascending_order(world):
    """The ids of a list's to-many relations come from the link table, limited to what the reader sees: a site of
    another CB's client linked to side A's certificate is listed to the operator, not to side A's CB."""
    from certification.models import Certificate
    from manufacturers.models import Site
    from tests.conftest import token_client

    with scope(system_principal("test data")):
        certificate = Certificate.objects.get(manufacturer=world.a.manufacturer)
        own = Site.objects.create(
            manufacturer=world.a.manufacturer, name="A second site", address="2 Way", city="Leeds", country="GB"
        )
        foreign = Site.objects.get(manufacturer=world.b.manufacturer)
        certificate.sites.add(own, foreign)
        linked = sorted(certificate.sites.values_list("pk", flat=True))
    assert len(linked) == 3

    def listed(client) -> list[int]:
        body = client.get(reverse("api:certificate-list"), {"page_size": 50}).json()
        return next(row["sites"] for row in body["results"] if row["id"] == certificate.pk)

    assert listed(world.operator_api()) == linked
    assert listed(token_client(world.a.tokens["cb"][0])) == [pk for pk in linked if pk != foreign.pk]


@pytest.mark.django_db
def test_every_list_prints_the_same_rows_with_the_short_representation_as_with_drfs_own(world, monkeypatch):
    """The list serializers read model columns and foreign-key ids directly (`_representation_plan`); for every
    list, as the operator and as a CB, the bodies are equal key for key to DRF's own field-by-field output."""
    import iecq.api.serializers as api_serializers
    from tests.conftest import token_client

    with scope(system_principal("representation test data")):
        seed_scale(120)
        _own_integration_rows(world)
    readers = {"operator": world.operator_api(), "cb": token_client(world.a.tokens["cb"][0])}
    compared = 0
    for name in api_list_route_names():
        for reader, client in readers.items():
            bodies = []
            for fast in (True, False):
                monkeypatch.setattr(api_serializers, "FAST_REPRESENTATION", fast)
                response = client.get(reverse(name), {"page_size": 50})
                assert response.status_code == 200, (name, reader, response.content[:200])
                bodies.append(response.json())
            assert bodies[0] == bodies[1], (name, reader)
            compared += len(bodies[0].get("results", [])) if isinstance(bodies[0], dict) else 0
    assert compared > 500, compared
    from certification.api.serializers import CertificateSerializer

    plan = api_serializers._representation_plan(api_serializers.introspected_once(CertificateSerializer)())
    ways = {field: how for field, how, _ in plan}
    assert ways["number"] is api_serializers._COLUMN and ways["expires_on"] is api_serializers._COLUMN
    assert ways["manufacturer"] is api_serializers._FOREIGN_KEY_ID and ways["sites"] is api_serializers._LISTED
    assert ways["mark_allowed"] is api_serializers._ATTRIBUTE  # a model property
    assert api_serializers._shared_plan(api_serializers.introspected_once(CertificateSerializer)) is not None
    from sanctions.api.serializers import AppealSerializer

    plan = api_serializers._representation_plan(api_serializers.introspected_once(AppealSerializer)())
    assert {field: how for field, how, _ in plan}["decision"] is api_serializers._NESTED
    assert api_serializers._shared_plan(api_serializers.introspected_once(AppealSerializer)) is not None
    from sanctions.api.serializers import CARSerializer

    # `overdue` is a method of the serializer, which might read the request: its plan is made per request
    assert api_serializers._shared_plan(api_serializers.introspected_once(CARSerializer)) is None
    from bodies.api.serializers import CertificationBodySerializer

    plan = api_serializers._representation_plan(api_serializers.introspected_once(CertificationBodySerializer)())
    ways = {field: how for field, how, _ in plan}
    assert ways["country"] is api_serializers._COUNTRY and ways["created_at"] is api_serializers._DATETIME


@pytest.mark.django_db
def test_an_unfiltered_list_skips_the_filterset_and_answers_the_same(world, monkeypatch):
    """`iecq.api.filtering.FilterBackend` returns the queryset untouched when the request names no filter; for
    every list, as the operator and as a CB, that answer equals django-filter's own (filterset built, validated
    and applied), and a request with a filter still goes through the filterset."""
    from django_filters.rest_framework import DjangoFilterBackend

    from iecq.api import filtering
    from tests.conftest import token_client

    with scope(system_principal("filter skip test data")):
        seed_scale(120)
    readers = {"operator": world.operator_api(), "cb": token_client(world.a.tokens["cb"][0])}
    built = []
    original = DjangoFilterBackend.get_filterset

    def counting(self, request, queryset, view):
        built.append(view.basename)
        return original(self, request, queryset, view)

    monkeypatch.setattr(DjangoFilterBackend, "get_filterset", counting)
    not_filters = filtering.NOT_FILTERS
    compared = 0
    for name in api_list_route_names():
        for reader, client in readers.items():
            bodies = []
            for skip in (True, False):
                monkeypatch.setattr(filtering, "NOT_FILTERS", not_filters if skip else frozenset())
                built.clear()
                response = client.get(reverse(name), {"page_size": 50})
                assert response.status_code == 200, (name, reader, response.content[:200])
                bodies.append(response.json())
                if skip:
                    assert built == [], (name, "built a filterset for a request without filters")
            assert bodies[0] == bodies[1], (name, reader)
            compared += len(bodies[0].get("results", [])) if isinstance(bodies[0], dict) else 0
    assert compared > 500, compared
    built.clear()
    filtered = readers["operator"].get(reverse("api:certificate-list"), {"page_size": 50, "state": "nonsense"})
    assert filtered.status_code == 400 and built  # a filter's value is still validated by the filterset


@pytest.mark.django_db
def test_the_related_ids_read_with_the_page_equal_those_read_after_it(world, monkeypatch):
    """On PostgreSQL a list reads its to-many ids in the page's own query (`with_listed_ids`, one query in all);
    elsewhere one query per relation follows the page (`attach_listed_ids`). Both give the same bodies, as the
    operator and as a CB, for every list that shows such a relation."""
    import iecq.api.viewsets as api_viewsets
    from tests.conftest import token_client

    with scope(system_principal("listed ids test data")):
        seed_scale(120)
    readers = {"operator": world.operator_api(), "cb": token_client(world.a.tokens["cb"][0])}
    compared = 0
    for name in ("api:certificate-list", "api:application-list", "api:certification-body-list", "api:sample-list"):
        for reader, client in readers.items():
            bodies, counts = [], []
            for in_query in (True, False):
                monkeypatch.setattr(api_viewsets, "LISTED_IDS_IN_QUERY", in_query)
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(reverse(name), {"page_size": 50})
                assert response.status_code == 200, (name, reader, response.content[:200])
                bodies.append(response.json())
                counts.append(len(ctx.captured_queries))
            assert bodies[0] == bodies[1], (name, reader)
            assert counts[0] < counts[1], (name, reader, counts)  # the page's query carries the ids
            compared += sum(1 for row in bodies[0]["results"] for key in row if isinstance(row[key], list) and row[key])
    assert compared > 100, compared


@pytest.mark.django_db
def test_the_related_ids_columns_built_once_per_principal_still_read_the_rows_of_now(world):
    """`with_listed_ids` keeps its expressions per principal (`_listed_ids_columns`); they hold the principal's ids,
    never rows, so a site linked after the first request is listed by the next one, for the same principal."""
    import iecq.api.viewsets as api_viewsets
    from certification.models import Certificate
    from manufacturers.models import Site
    from tests.conftest import token_client

    client = token_client(world.a.tokens["cb"][0])
    url = reverse("api:certificate-list")
    before = {row["id"]: row["sites"] for row in client.get(url, {"page_size": 50}).json()["results"]}
    hits = api_viewsets._listed_ids_columns.cache_info().hits
    cert_id = next(iter(before))
    with scope(system_principal("listed ids test data")):
        cert = Certificate.objects.get(pk=cert_id)
        site = Site.objects.create(
            manufacturer_id=cert.manufacturer_id, name="New plant", address="1 Road", city="Town"
        )
        cert.sites.add(site)
    after = {row["id"]: row["sites"] for row in client.get(url, {"page_size": 50}).json()["results"]}
    assert api_viewsets._listed_ids_columns.cache_info().hits > hits  # the second request reused the columns
    assert after[cert_id] == sorted([*before[cert_id], site.pk])
    assert {k: v for k, v in after.items() if k != cert_id} == {k: v for k, v in before.items() if k != cert_id}


def test_a_plain_attribute_is_read_directly_and_anything_else_is_left_to_drf():
    """`_ATTRIBUTE` fields (a property, a related row's column) are read with getattr; a None on the way, a method
    or an exception goes to DRF's own `get_attribute`, which knows what each means."""
    from types import SimpleNamespace

    from django.core.exceptions import ObjectDoesNotExist

    import iecq.api.serializers as api_serializers

    class Row:
        certificate = SimpleNamespace(number="IECQ-1")
        empty = None

        @property
        def missing(self):
            raise ObjectDoesNotExist

        def method(self):
            return "called"

    read = api_serializers._plain_attribute
    assert read(Row(), ["certificate", "number"]) == "IECQ-1"
    assert read(Row(), ["empty"]) is None  # a None at the end is a value
    unplain = api_serializers._UNPLAIN
    assert read(Row(), ["empty", "number"]) is unplain
    assert read(Row(), ["method"]) is unplain
    assert read(Row(), ["missing"]) is unplain
    assert read(Row(), ["nothing"]) is unplain


def test_a_shared_plan_holds_no_request():
    """A plan made once per class holds fields of a serializer made without context, never a request's."""
    import iecq.api.serializers as api_serializers
    from certification.api.serializers import CertificateSerializer

    plan = api_serializers._shared_plan(api_serializers.introspected_once(CertificateSerializer))
    fields = [field[1] if isinstance(field, tuple) else field for _name, _how, field in plan]
    assert fields and all(getattr(field, "context", {}) == {} for field in fields if hasattr(field, "context"))


def test_a_list_loads_of_its_related_rows_only_the_columns_it_prints():
    """Suspension requests print their certificate's number and their supervisory body's name: the list loads
    those two columns of the related rows, and every column of its own. A list whose plan includes something that
    might read any column (a method, a nested serializer) loads its related rows whole."""
    from iecq.api.serializers import introspected_once, related_columns
    from sanctions.api.serializers import AppealSerializer, CARSerializer, SuspensionRequestSerializer
    from sanctions.models import Appeal, CertificateSuspensionRequest, CorrectiveActionRequest

    relations = ("certificate", "supervisory_body")
    paths = related_columns(introspected_once(SuspensionRequestSerializer), CertificateSuspensionRequest, relations)
    assert [path for path in paths if "__" in path] == ["certificate__number", "supervisory_body__name"]
    assert {f.name for f in CertificateSuspensionRequest._meta.concrete_fields} <= set(paths)
    assert related_columns(introspected_once(CARSerializer), CorrectiveActionRequest, ("certificate",)) is None
    assert related_columns(introspected_once(AppealSerializer), Appeal, ("decision",)) is None
