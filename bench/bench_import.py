"""Benchmark of bulk imports (issue 10): 100,000 legacy certificates through an import job, upload to "done".

    from bench.bench_import import bench_import_certificates   # once Django is set up (bench/run.py)
    seconds = bench_import_certificates(100_000)

or on its own, on the benchmark database (`iecq_bench`, created on first use):

    .venv/bin/python bench/bench_import.py [rows]

The job runs in-process (CELERY_TASK_ALWAYS_EAGER, as without a broker), so the figure is the whole work
of a worker: reading the file, checking every row, writing certificates, scope links, first revisions and
transition-log rows in one transaction. Each call imports fresh numbers; the data stays in the database.
"""

from __future__ import annotations

import io
import os
import sys
import time
import uuid
from pathlib import Path

N_HOLDERS = 1000


def _bench_cb():
    """An approved CB with an accreditation in force, capacitors in its scope, clients and an administrator."""
    from datetime import timedelta

    from django.utils import timezone

    from bodies.models import Accreditation, AccreditationBody, CertificationBody, Scheme, Technology
    from iecq.models import Membership, Organisation, User
    from iecq.principals import principal_from_membership, system_principal
    from iecq.roles import OrganisationKind, Role
    from iecq.tenancy import scope
    from manufacturers.models import Engagement, Manufacturer

    today = timezone.now().date()
    with scope(system_principal("import benchmark data")):
        cb = CertificationBody.objects.filter(name="Bench Import CB").first()
        if cb is None:
            cb = CertificationBody.objects.create(
                name="Bench Import CB", legal_name="Bench Import CB Ltd", country="GB"
            )
            CertificationBody.objects.filter(pk=cb.pk).update(state="approved")  # fixture: not a lifecycle test
            tech, _c = Technology.objects.get_or_create(code="capacitors", defaults={"name": "Capacitors"})
            Scheme.objects.get_or_create(
                code="ac", defaults={"name": "IECQ Approved Component", "document_reference": "OD 3002", "edition": "3"}
            )
            cb.technologies.add(tech)
            body, _c = AccreditationBody.objects.get_or_create(
                acronym="UKAS",
                defaults={
                    "name": "United Kingdom Accreditation Service",
                    "country": "GB",
                    "iaf_mla_signatory": True,
                    "iaf_mla_product_certification": True,
                },
            )
            Accreditation.objects.create(
                certification_body=cb,
                accreditation_body=body,
                certificate_number=f"BENCH-IMPORT-{cb.pk}",
                scope="Product certification",
                valid_from=today - timedelta(days=30),
                valid_until=today + timedelta(days=3650),
            )
            makers = Manufacturer.objects.bulk_create(
                Manufacturer(name=f"Bench Import Holder {i}", country="GB") for i in range(N_HOLDERS)
            )
            Engagement.objects.bulk_create(
                Engagement(manufacturer=m, certification_body=cb, since=today) for m in makers
            )
            org = Organisation.objects.create(
                kind=OrganisationKind.CERTIFICATION_BODY, name=cb.name, country="GB", certification_body=cb
            )
            user = User.objects.create_user(username="bench-import-admin", password="bench-password-123")
            Membership.objects.create(user=user, organisation=org, role=Role.CB_ADMIN)
        membership = Membership.objects.select_related("organisation", "user").get(user__username="bench-import-admin")
    return principal_from_membership(membership)


def certificates_csv(rows: int, *, prefix: str) -> bytes:
    """A legacy register of `rows` certificates in force, spread over the benchmark CB's clients."""
    from datetime import timedelta

    from django.utils import timezone

    issued = timezone.now().date() - timedelta(days=200)
    expires = issued + timedelta(days=3 * 365)
    out = io.StringIO()
    out.write("number,manufacturer,manufacturer_country,scheme,technologies,component_types,issued_on,expires_on\n")
    for i in range(rows):
        out.write(
            f"{prefix}-{i:07d},Bench Import Holder {i % N_HOLDERS},GB,ac,capacitors,MLCC series {i % 97},"
            f"{issued.isoformat()},{expires.isoformat()}\n"
        )
    return out.getvalue().encode()


def bench_import_certificates(rows: int = 100_000) -> float:
    """Seconds from the upload of a `rows`-certificate CSV to its job being done (asserts it is done)."""
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile

    from iecq.imports.models import ImportJob
    from iecq.imports.services import import_job_create
    from iecq.tenancy import scope

    principal = _bench_cb()
    content = certificates_csv(rows, prefix=f"BENCH-{uuid.uuid4().hex[:8].upper()}")
    file = SimpleUploadedFile("bench-register.csv", content, content_type="text/csv")
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    from iecq.celery import app

    app.conf.task_always_eager = True  # the figure is the worker's work, measured in this process
    try:
        start = time.perf_counter()
        job = import_job_create(actor=principal, kind="certificates", file=file)
        elapsed = time.perf_counter() - start
    finally:
        app.conf.task_always_eager = eager
    with scope(principal):
        job = ImportJob.objects.get(pk=job.pk)
    assert job.state == "done" and job.report.get("written") == rows, (job.state, job.report.get("errors", [])[:5])
    return elapsed


if __name__ == "__main__":
    import subprocess
    from urllib.parse import urlsplit, urlunsplit

    ROOT = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iecq.settings.test")
    bench_db = os.environ.get("BENCH_DATABASE_NAME", "iecq_bench")
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/iecq")
    owner_url = base_url.rsplit("/", 1)[0] + "/" + bench_db

    import psycopg2

    admin = psycopg2.connect(base_url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [bench_db])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{bench_db}"')
    admin.close()
    # Migrations as the owner; the import itself, with BENCH_APP_ROLE, as the application role production's
    # worker connects as, under row-level security (docs/security.md).
    owner_env = {**os.environ, "DATABASE_URL": owner_url}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=owner_env, cwd=ROOT, check=True)
    role = os.environ.get("BENCH_APP_ROLE")
    if role:
        grant = [sys.executable, "manage.py", "db_grant_app_role", role]
        subprocess.run(grant, env=owner_env, cwd=ROOT, check=True, capture_output=True)
        parts = urlsplit(owner_url)
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(netloc=f"{role}@{parts.netloc.rsplit('@', 1)[-1]}"))
    else:
        os.environ["DATABASE_URL"] = owner_url

    import django

    django.setup()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(f"import of {n:,} certificates (CSV upload to done): {bench_import_certificates(n):.1f} s")
