"""Deployment-level guarantees: production settings pass the deploy check, the app's database role
is neither owner nor superuser, demo data loads, and the worker runs tasks from the real broker."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from iecq.models import Membership, Organisation, TransitionLog
from iecq.roles import ROLES_BY_KIND
from iecq.tenancy import scope

from .factories import SYSTEM

ROOT = Path(__file__).resolve().parent.parent


def deploy_check(**extra_env) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "iecq.settings.production",
        "SECRET_KEY": "k3y-" + "x9Q!z" * 12,
        "ALLOWED_HOSTS": "iecq.example.org",
        "DATABASE_URL": "postgres://app@127.0.0.1:5432/iecq",
        **extra_env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 silenced" in result.stdout


def test_deploy_check_fails_when_a_protection_is_off():
    result = deploy_check(SECURE_HSTS_SECONDS="0", SECURE_SSL_REDIRECT="false")
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


def test_production_refuses_to_start_without_secrets():
    result = deploy_check(SECRET_KEY="")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_application_role_owns_nothing_and_cannot_rewrite_the_log():
    role = "iecq_app_test"
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cur.fetchone() is None:
            cur.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS")
    call_command("db_grant_app_role", role)
    params = connection.get_connection_params()
    conn = psycopg2.connect(
        dbname=params["dbname"], host=params.get("host", "127.0.0.1"), port=params.get("port", 5432), user=role
    )
    try:
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cur.fetchone() == (False, False)
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
        assert cur.fetchone() == (0,)
        # Row-level security (tests/test_rls.py): the role writes only inside a principal's scope.
        cur.execute("SELECT set_config('iecq.kind', 'operator', false)")
        cur.execute(
            "INSERT INTO bodies_certificationbody (name, legal_name, country, website, email, state, "
            "created_at, updated_at) VALUES ('Role Test CB', '', 'GB', '', '', 'applied', now(), now()) "
            "RETURNING id"
        )
        cb = cur.fetchone()[0]
        assert cb > 0
        # The client directory is the owner's triggers' alone: an engagement the role opens is listed all the same,
        # and the role cannot write a listing itself.
        cur.execute(
            "INSERT INTO manufacturers_manufacturer (name, legal_name, country, website, email, created_at, "
            "updated_at) VALUES ('Role Test Components', '', 'GB', '', '', now(), now()) RETURNING id"
        )
        manufacturer = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO manufacturers_site (manufacturer_id, name, address, city, country, created_at) "
            "VALUES (%s, 'Role Test site', '1 Way', 'Leeds', 'GB', now()) RETURNING id",
            [manufacturer],
        )
        site = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO manufacturers_engagement (manufacturer_id, certification_body_id, since, created_at) "
            "VALUES (%s, %s, now(), now())",
            [manufacturer, cb],
        )
        cur.execute("SELECT certification_body_id FROM manufacturers_sitelisting WHERE site_id = %s", [site])
        assert cur.fetchall() == [(cb,)]
        for sql in (
            f"INSERT INTO manufacturers_contactlisting (certification_body_id, contact_id) VALUES ({cb}, 1)",
            "UPDATE manufacturers_sitelisting SET certification_body_id = certification_body_id",
            "DELETE FROM manufacturers_sitelisting",
            "TRUNCATE manufacturers_sitelisting",
        ):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute(sql)
        cur.execute("SELECT count(*) FROM iecq_transitionlog")
        for sql in (
            "UPDATE iecq_transitionlog SET reason = 'x'",
            "DELETE FROM iecq_transitionlog",
            "TRUNCATE iecq_transitionlog",
        ):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute(sql)
    finally:
        conn.close()


@pytest.mark.django_db(transaction=True)
def test_demo_data_has_a_user_for_every_role_and_loads_twice():
    call_command("seed_demo", "--force")
    call_command("seed_demo", "--force")  # idempotent
    with scope(SYSTEM):
        roles = set(Membership.objects.values_list("role", flat=True))
        kinds = set(Organisation.objects.values_list("kind", flat=True))
        assert TransitionLog.objects.count() > 5
    assert roles == set().union(*ROLES_BY_KIND.values())
    assert kinds == set(ROLES_BY_KIND)
    from bodies.models import AccreditationBody

    assert {"UKAS", "DAkkS", "COFRAC", "ANAB", "JAB", "CNAS"} <= set(
        AccreditationBody.objects.values_list("acronym", flat=True)
    )


def test_settings_come_from_the_environment():
    assert settings.DATABASES["default"]["ENGINE"] == "iecq.dbbackend"
    assert settings.CELERY_BROKER_URL.startswith("redis://")


def test_make_run_works_on_sqlite_without_redis(tmp_path):
    """`make run` on a machine with neither PostgreSQL nor Redis configured: every migration applies on SQLite
    (hand-written SQL in a migration must stay portable), the demo loads, and verification answers from both
    its code paths (the database on the first visit, the stored page on the second)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}", DJANGO_SETTINGS_MODULE="iecq.settings.local")
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo", "-v0"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-3000:]
    probe = (
        "from django.conf import settings; settings.ALLOWED_HOSTS = ['testserver']\n"
        "from django.test import Client\n"
        "pages = [Client().get('/register/IECQ-AC-GB001-00002/') for _ in range(2)]\n"
        "print([p.status_code for p in pages], all('suspended since' in p.content.decode() for p in pages))\n"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[200, 200] True"


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit_unless_the_url_says_otherwise():
    """JIT compilation cost 77 ms on a 3 ms page of evidence under the row-level security policies (issue 10)."""
    from iecq.settings.base import database

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
    assert database("postgres://u@h/db?options=-c%20jit%3Don")["OPTIONS"]["options"] == "-c jit=on"
    assert (
        "OPTIONS" not in database("sqlite:///x.sqlite3") or "options" not in database("sqlite:///x.sqlite3")["OPTIONS"]
    )


@pytest.mark.django_db
def test_the_benchmarks_floor_views_are_not_served_outside_the_bench_settings(client):
    """`/__bench__/rows/<table>/` reads any table's rows as system work (iecq/bench_views.py): it exists only under
    iecq.settings.bench. Under every other settings module the URLs are not mounted at all."""
    assert not getattr(settings, "IECQ_BENCH_VIEWS", False)
    for path in ("/__bench__/rows/certification_certificate/?ids=1", "/__bench__/floor/", "/__bench__/dashboard/FR/"):
        assert client.get(path).status_code == 404, path
    production = (Path(settings.BASE_DIR) / "iecq" / "settings" / "production.py").read_text()
    assert "IECQ_BENCH_VIEWS" not in production and "settings.bench" not in production
