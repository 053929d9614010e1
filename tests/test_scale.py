"""`manage.py seed_scale` (issue 10): a national-scale data set by COPY, tried small here.

The figures (how fast, at a million) are `make bench`'s; these tests prove the data is sound:
the counts, the constraints and tenant fields, and that the portal, the API, the register, the
bulletin and the deadline sweep work on it.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from certification.choices import CertificateState
from certification.models import Certificate
from iecq.models import User
from iecq.principals import system_principal
from iecq.scale_extra import CB_MAX, EVERY
from iecq.scheduler import sweep
from iecq.tenancy import scope
from manufacturers.models import Manufacturer
from surveillance.services import planned_due_candidates

pytestmark = pytest.mark.django_db

N = 2000


def scalar(sql: str, params=()) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


@pytest.fixture
def seeded():
    call_command("seed_scale", certificates=N, verbosity=0)


def test_counts_and_distributions(seeded):
    assert scalar("SELECT count(*) FROM certification_certificate") == N
    assert scalar("SELECT count(*) FROM manufacturers_manufacturer") == N // 20
    assert scalar("SELECT count(*) FROM bodies_certificationbody") == 100
    assert scalar("SELECT count(*) FROM surveillance_surveillanceaudit") > N
    assert scalar("SELECT count(*) FROM surveillance_nonconformity") > N // 20
    assert scalar("SELECT count(*) FROM sanctions_correctiveactionrequest") > 0
    assert scalar("SELECT count(*) FROM iecq_transitionlog") > N // 2
    assert scalar("SELECT count(*) FROM sanctions_bulletinnotice") > N // 20
    with connection.cursor() as cur:
        cur.execute("SELECT state, count(*) FROM certification_certificate GROUP BY state")
        states = dict(cur.fetchall())
    assert set(states) == set(CertificateState.values)
    assert states["valid"] > N // 2 and states["suspended"] > 0 and states["withdrawn"] > 0
    assert scalar("SELECT count(DISTINCT extract(year FROM issued_on)) FROM certification_certificate") >= 5
    assert scalar("SELECT count(DISTINCT country) FROM manufacturers_manufacturer") >= 10


def test_constraints_and_tenant_fields_hold(seeded):
    # The CB of every certificate is one its manufacturer is a client of.
    assert (
        scalar(
            "SELECT count(*) FROM certification_certificate c WHERE NOT EXISTS (SELECT 1 FROM "
            "manufacturers_engagement e WHERE e.manufacturer_id = c.manufacturer_id "
            "AND e.certification_body_id = c.certification_body_id)"
        )
        == 0
    )
    for table in (
        "surveillance_surveillanceaudit",
        "surveillance_nonconformity",
        "sanctions_correctiveactionrequest",
        "surveillance_processchangenotification",
        "surveillance_complaint",
        "surveillance_productsample",
        "sanctions_defectreport",
        "sanctions_certificatesuspensionrequest",
    ):
        assert (
            scalar(
                f"SELECT count(*) FROM {table} t JOIN certification_certificate c ON c.id = t.certificate_id "
                "WHERE t.certification_body_id <> c.certification_body_id OR t.manufacturer_id <> c.manufacturer_id"
            )
            == 0
        ), table
    # The log's tenant fields are those of the record (what log_append would have copied).
    assert (
        scalar(
            "SELECT count(*) FROM iecq_transitionlog l JOIN django_content_type ct ON ct.id = l.content_type_id "
            "AND ct.model = 'certificate' JOIN certification_certificate c ON c.id = l.object_id "
            "JOIN bodies_certificationbody b ON b.id = c.certification_body_id "
            "WHERE l.certification_body_id <> c.certification_body_id OR l.manufacturer_id <> c.manufacturer_id "
            "OR l.country <> b.country OR l.target <> c.state"
        )
        == 0
    )
    # Applications are with a CB their manufacturer is a client of; samples go to a laboratory of the CB;
    # appeals and decision evidence belong to a decision that took a certificate out of "valid".
    assert (
        scalar(
            "SELECT count(*) FROM certification_application a WHERE NOT EXISTS (SELECT 1 FROM "
            "manufacturers_engagement e WHERE e.manufacturer_id = a.manufacturer_id "
            "AND e.certification_body_id = a.certification_body_id)"
        )
        == 0
    )
    assert (
        scalar(
            "SELECT count(*) FROM surveillance_productsample s JOIN bodies_testlaboratory l ON l.id = s.laboratory_id "
            "WHERE l.owner_id <> s.certification_body_id"
        )
        == 0
    )
    assert (
        scalar(
            "SELECT count(*) FROM sanctions_appeal a JOIN iecq_transitionlog l ON l.id = a.decision_id "
            "WHERE l.certification_body_id <> a.certification_body_id OR l.manufacturer_id <> a.manufacturer_id "
            "OR l.transition NOT IN ('suspend', 'withdraw')"
        )
        == 0
    )
    assert scalar("SELECT count(*) FROM iecq_decisionevidence") == scalar(
        "SELECT count(*) FROM iecq_transitionlog WHERE transition IN ('suspend', 'withdraw')"
    )
    # Suspended certificates say since when; only they do.
    assert (
        scalar(
            "SELECT count(*) FROM certification_certificate WHERE (state = 'suspended') <> (suspended_on IS NOT NULL)"
        )
        == 0
    )
    # At most one open periodic audit per certificate and kind (also a database constraint).
    assert (
        scalar(
            "SELECT count(*) FROM (SELECT certificate_id, kind FROM surveillance_surveillanceaudit WHERE state IN "
            "('planned','scheduled','in_progress','report_submitted') GROUP BY 1, 2 HAVING count(*) > 1) x"
        )
        == 0
    )
    # The planned flags say exactly which certificates have an open audit of the kind (what the services keep).
    for kind in ("surveillance", "recertification"):
        assert (
            scalar(
                f"SELECT count(*) FROM certification_certificate c WHERE c.{kind}_planned <> EXISTS (SELECT 1 FROM "
                "surveillance_surveillanceaudit a WHERE a.certificate_id = c.id AND a.kind = %s AND a.state IN "
                "('planned','scheduled','in_progress','report_submitted'))",
                [kind],
            )
            == 0
        ), kind
    assert scalar("SELECT count(*) FROM certification_certificate WHERE recertification_planned") > 0
    # Sequences follow the copied ids: the next row the application writes gets a fresh key.
    with scope(system_principal("test")):
        made = Manufacturer.objects.create(name="After the seed", country="GB")
    assert made.pk > scalar("SELECT max(id) FROM manufacturers_manufacturer WHERE id <> %s", [made.pk])


# Lists of an organisation's own integrations (event feed, webhooks, watchlist, imports, API tokens: the bench
# creates its token) and of its asked-for zips of certificate PDFs: the seed writes none.
NOT_SEEDED = {"api-token", "event", "import", "watchlist-entry", "webhook", "webhook-delivery", "certificate-pdf-batch"}


def test_every_api_list_has_rows_for_the_benchmark_cb_in_proportion_to_the_certificates(seeded):
    """`make bench` reads every API list as scale-cb-admin: each must show that CB's records, not an empty page."""
    from django.urls import reverse

    from iecq.api.introspect import api_list_route_names

    api = APIClient()
    api.force_login(User.objects.get(username="scale-cb-admin"))
    empty = []
    for name in api_list_route_names():
        if name.split(":")[1].removesuffix("-list") in NOT_SEEDED:
            continue
        response = api.get(reverse(name), {"page_size": 50})
        assert response.status_code == 200, (name, response.content[:300])
        if not response.json()["results"]:
            empty.append(name)
    assert empty == []
    # One record per EVERY certificates per table (each CB's share rounded); the CB's own records likewise, capped.
    per_certificate = (
        "certification_application",
        "surveillance_processchangenotification",
        "surveillance_complaint",
        "surveillance_productsample",
        "sanctions_defectreport",
        "sanctions_certificatesuspensionrequest",
    )
    for table in per_certificate:
        assert N // EVERY - 100 <= scalar(f"SELECT count(*) FROM {table}") <= N // EVERY + 100, table  # 100 CBs
    assert scalar("SELECT count(*) FROM bodies_auditor") == scalar(
        "SELECT sum(greatest(2, least(%s, coalesce(n, 0) / %s))) FROM bodies_certificationbody b LEFT JOIN "
        "(SELECT certification_body_id, count(*) AS n FROM certification_certificate GROUP BY 1) c "
        "ON c.certification_body_id = b.id",
        [CB_MAX, EVERY],
    )
    assert scalar("SELECT count(*) FROM manufacturers_contact") == 2 * N // 20


def test_portal_api_register_and_bulletin_work_on_it(seeded):
    cb_admin = User.objects.get(username="scale-cb-admin")
    with scope(system_principal("test")):
        cb_id = cb_admin.memberships.get().organisation.certification_body_id
        own = Certificate.objects.filter(certification_body_id=cb_id).order_by("-issued_on", "number").first()
        suspended = Certificate.objects.filter(state=CertificateState.SUSPENDED).first()
    portal = Client()
    portal.force_login(cb_admin)
    page = portal.get("/certification/certificates/")
    assert page.status_code == 200 and own.number in page.content.decode()
    api = APIClient()
    api.force_login(cb_admin)
    listed = api.get("/api/v1/certificates/", {"page_size": 200})
    assert listed.status_code == 200
    numbers = {row["number"] for row in listed.json()["results"]}
    assert own.number in numbers and all(n.startswith("IECQ-") for n in numbers)
    verify = Client().get(f"/register/{suspended.number}/")
    assert verify.status_code == 200
    assert "Suspended" in verify.content.decode() and suspended.suspended_on.isoformat() in verify.content.decode()
    search = Client().get("/register/", {"status": "withdrawn"})
    assert search.status_code == 200 and "IECQ-" in search.content.decode()
    assert Client().get("/bulletin/").status_code == 200


def test_the_sweep_finds_exactly_what_is_due_and_nothing_to_escalate():
    call_command("seed_scale", certificates=N, due_soon=37, verbosity=0)
    with scope(system_principal("test")):  # every periodic audit is planned: the sweep has no candidate to read
        found = planned_due_candidates(actor=system_principal("test"), today=timezone.now().date())
        assert {kind: qs.count() for kind, qs in found.items()} == {"surveillance": 0, "recertification": 0}
    report = sweep()
    assert report.deadlines == 37
    assert sum(report.escalations.values()) == 0, report.escalations  # a steady state: nothing overdue
