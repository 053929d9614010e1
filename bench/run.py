"""Benchmarks, each printed as a ratio to a floor measured in the same run (no timed assertions).

    make bench            # PostgreSQL database `iecq_bench`, created and filled on first use

Today: the cost of the visibility rule and of the API stack on a list of manufacturers, against
the raw SQL that reads the same rows and a bare Django view that returns a constant.
The national-scale data set and the full figure list arrive with the performance issue.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iecq.settings.test")
BENCH_DB = os.environ.get("BENCH_DATABASE_NAME", "iecq_bench")
base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/iecq")
os.environ["DATABASE_URL"] = base_url.rsplit("/", 1)[0] + "/" + BENCH_DB

import psycopg2  # noqa: E402

admin = psycopg2.connect(base_url.rsplit("/", 1)[0] + "/postgres")
admin.autocommit = True
with admin.cursor() as cur:
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
    if cur.fetchone() is None:
        cur.execute(f'CREATE DATABASE "{BENCH_DB}"')
admin.close()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402

from bodies.models import CertificationBody  # noqa: E402
from iecq.models import Membership, Organisation, User  # noqa: E402
from iecq.principals import principal_from_membership, system_principal  # noqa: E402
from iecq.roles import OrganisationKind, Role  # noqa: E402
from iecq.selectors import visible  # noqa: E402
from iecq.tenancy import scope  # noqa: E402
from manufacturers.models import Engagement, Manufacturer  # noqa: E402

N_CBS, N_MANUFACTURERS = 50, 5000


def constant_view(request):
    return HttpResponse(b'{"ok": true}', content_type="application/json")


urlpatterns = [path("floor/", constant_view), path("", include("iecq.urls"))]


def seed() -> None:
    call_command("migrate", verbosity=0)
    with scope(system_principal("benchmark data")):
        if CertificationBody.objects.count() >= N_CBS:
            return
        cbs = CertificationBody.objects.bulk_create(
            CertificationBody(name=f"Bench CB {i}", country="GB" if i % 2 else "DE") for i in range(N_CBS)
        )
        makers = Manufacturer.objects.bulk_create(
            Manufacturer(name=f"Bench Manufacturer {i}", country="GB" if i % 3 else "FR")
            for i in range(N_MANUFACTURERS)
        )
        today = timezone.now().date()
        Engagement.objects.bulk_create(
            Engagement(manufacturer=m, certification_body=cbs[i % N_CBS], since=today) for i, m in enumerate(makers)
        )
        org = Organisation.objects.create(
            kind=OrganisationKind.CERTIFICATION_BODY, name=cbs[0].name, country="DE", certification_body=cbs[0]
        )
        user = User.objects.create_user(username="bench-cb-admin", password="bench-password-123")
        Membership.objects.create(user=user, organisation=org, role=Role.CB_ADMIN)


def median_seconds(fn, repeat: int = 200) -> float:
    for _ in range(10):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    seed()
    with scope(system_principal("benchmark")):
        membership = Membership.objects.select_related("organisation", "user").get(user__username="bench-cb-admin")
    principal = principal_from_membership(membership)
    cb_id = principal.certification_body_id

    def raw_sql():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT m.* FROM manufacturers_manufacturer m WHERE m.id IN (SELECT e.manufacturer_id FROM "
                "manufacturers_engagement e WHERE e.certification_body_id = %s) ORDER BY m.id DESC LIMIT 50",
                [cb_id],
            )
            cur.fetchall()

    def through_rule():
        list(visible(Manufacturer, principal).order_by("-pk")[:50])

    client = Client()
    client.force_login(membership.user)
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        response = client.get("/api/v1/manufacturers/")
        assert response.status_code == 200 and len(response.json()["results"]) == 50, response.content[:200]
        floor_view = median_seconds(lambda: client.get("/floor/"))
        api_list = median_seconds(lambda: client.get("/api/v1/manufacturers/"))
    floor_sql = median_seconds(raw_sql)
    rule = median_seconds(through_rule)

    print(f"machine: {os.cpu_count()} cores; data: {N_CBS} CBs, {N_MANUFACTURERS} manufacturers")
    print(f"{'figure':<58} {'median':>10} {'ratio':>7}")
    print(f"{'floor: raw SQL, 50 manufacturers of one CB':<58} {floor_sql * 1e3:>8.2f}ms {1:>7.2f}")
    print(f"{'visibility rule (ORM), same 50 rows':<58} {rule * 1e3:>8.2f}ms {rule / floor_sql:>7.2f}")
    print(f"{'floor: bare Django view returning a constant':<58} {floor_view * 1e3:>8.2f}ms {1:>7.2f}")
    print(f"{'API GET /api/v1/manufacturers/ (page of 50)':<58} {api_list * 1e3:>8.2f}ms {api_list / floor_view:>7.2f}")


if __name__ == "__main__":
    main()
