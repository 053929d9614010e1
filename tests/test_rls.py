"""PL-01, second wall: PostgreSQL row-level security on every tenant-owned table (docs/security.md).

The suite itself connects as the superuser, which bypasses the policies; these tests connect as a
plain application role (neither owner nor BYPASSRLS, granted by `db_grant_app_role`) and prove that
the database alone applies the same rule as `visibility_q`, and that the portal and the API work
end to end when Django connects as that role.
"""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from iecq.principals import PUBLIC, system_principal
from iecq.rls import POLICY, principal_settings, tenant_models
from iecq.roles import Role
from iecq.tenancy import scope, visibility_q

from .conftest import token_client
from .factories import SYSTEM

pytestmark = [pytest.mark.req("PL-01"), pytest.mark.django_db(transaction=True)]

APP_ROLE = "iecq_app_rls"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_role():
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        if cur.fetchone() is None:
            cur.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS")
    call_command("db_grant_app_role", APP_ROLE)
    return APP_ROLE


@pytest.fixture
def app_conn(app_role):
    """A second connection to the test database, as the application role."""
    params = connection.get_connection_params()
    conn = psycopg2.connect(
        dbname=params["dbname"], host=params.get("host", "127.0.0.1"), port=params.get("port", 5432), user=app_role
    )
    conn.autocommit = True
    yield conn
    conn.close()


def act_as(conn, principal) -> None:
    values = principal_settings(principal)
    with conn.cursor() as cur:
        cur.execute("SELECT " + ", ".join(f"set_config('iecq.{k}', %s, false)" for k in values), list(values.values()))


def visible_ids(conn, model) -> set:
    with conn.cursor() as cur:
        cur.execute(f'SELECT id FROM "{model._meta.db_table}"')
        return {row[0] for row in cur.fetchall()}


def test_every_tenant_table_has_its_policy_and_the_app_role_cannot_bypass_it(app_conn):
    tables = {m._meta.db_table for m in tenant_models()}
    assert len(tables) > 30
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid "
            "WHERE c.relrowsecurity AND p.polname = %s",
            [POLICY],
        )
        protected = {row[0] for row in cur.fetchall()}
    assert tables - protected == set()
    with app_conn.cursor() as cur:
        cur.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cur.fetchone() == (False, False)
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
        assert cur.fetchone() == (0,)


def test_with_no_tenant_the_app_role_sees_nothing_and_writes_nothing(world, app_conn):
    populated = []
    with scope(SYSTEM):
        for model in tenant_models():
            if model._base_manager.exists():
                populated.append(model)
    assert len(populated) >= 25  # the world fills most tenant tables, so "0 rows" below means something
    for model in populated:
        assert visible_ids(app_conn, model) == set(), f"{model.__name__} is readable with no tenant set"
    with app_conn.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
        cur.execute(
            "INSERT INTO bodies_certificationbody (name, legal_name, country, website, email, state, "
            "created_at, updated_at) VALUES ('No Tenant CB', '', 'GB', '', '', 'applied', now(), now())"
        )


def principals(world):
    a, b = world.a, world.b
    return {
        "cb A": a.users[Role.CB_ADMIN][1],
        "cb B": b.users[Role.CB_CLERK][1],
        "manufacturer A": a.users[Role.MF_ADMIN][1],
        "supervisor DE": b.users[Role.SB_VIEWER][1],
        "token cb A": a.tokens["cb"][1],
        "operator": world.operator[1],
        "public": PUBLIC,
        "system": system_principal("rls test"),
    }


def test_the_policies_apply_the_same_rule_as_visibility_q_for_every_kind_of_principal(world, app_conn):
    """For every tenant table and every kind of principal, the database shows exactly the rows the application does."""
    differences = []
    compared = 0
    for label, principal in principals(world).items():
        act_as(app_conn, principal)
        for model in tenant_models():
            with scope(SYSTEM):
                expected = set(model._base_manager.filter(visibility_q(model, principal)).values_list("pk", flat=True))
            seen = visible_ids(app_conn, model)
            compared += 1
            if seen != expected:
                differences.append(f"{label} {model.__name__}: database {sorted(seen)}, application {sorted(expected)}")
    assert compared > 200
    assert not differences, "\n".join(differences)


def test_tenant_a_sees_only_its_rows_and_cannot_change_b(world, app_conn):
    from certification.models import Certificate

    act_as(app_conn, world.a.users[Role.CB_ADMIN][1])
    cert_a, cert_b = world.a.records[Certificate], world.b.records[Certificate]
    assert visible_ids(app_conn, Certificate) == {cert_a.pk}
    with app_conn.cursor() as cur:
        cur.execute("SELECT name FROM bodies_certificationbody ORDER BY name")
        assert [r[0] for r in cur.fetchall()] == ["Alphaside Certification", "Publicside Certification"]
        cur.execute("UPDATE certification_certificate SET specifications = 'hijacked' WHERE id = %s", [cert_b.pk])
        assert cur.rowcount == 0
        cur.execute("DELETE FROM certification_certificate WHERE id = %s", [cert_b.pk])
        assert cur.rowcount == 0
        cur.execute("UPDATE bodies_certificationbody SET name = 'Hijacked' WHERE id = %s", [world.b.cb.pk])
        assert cur.rowcount == 0
        # Its own rows it may change: the policy is what stopped the writes above, not a missing grant.
        cur.execute("UPDATE certification_certificate SET specifications = specifications WHERE id = %s", [cert_a.pk])
        assert cur.rowcount == 1
    with scope(SYSTEM):
        cert_b_now = Certificate.objects.get(pk=cert_b.pk)
        assert cert_b_now.specifications == cert_b.specifications
        assert world.b.cb.__class__.objects.get(pk=world.b.cb.pk).name == "Bravoside Certification"


@pytest.fixture
def django_as_app_role(app_role):
    """Django's own connection switched to the application role for the test, then back to the owner."""
    connection.close()
    original = connection.settings_dict["USER"]
    connection.settings_dict["USER"] = app_role
    yield
    connection.close()
    connection.settings_dict["USER"] = original


def test_portal_and_api_work_end_to_end_as_the_app_role(world, django_as_app_role):
    from certification.models import Certificate

    with connection.cursor() as cur:
        cur.execute("SELECT current_user")
        assert cur.fetchone() == (APP_ROLE,)
    user, _p = world.a.users[Role.CB_ADMIN]
    portal = Client()
    portal.force_login(user)
    api = token_client(world.a.tokens["cb"][0])
    cert_a, cert_b = world.a.records[Certificate], world.b.records[Certificate]

    home = portal.get("/manufacturers/")
    assert home.status_code == 200 and "Alphaside Components" in home.content.decode()
    assert "Bravoside" not in home.content.decode()
    assert portal.get(f"/bodies/{world.a.cb.pk}/").status_code == 200
    assert portal.get(f"/bodies/{world.b.cb.pk}/").status_code == 404
    listed = api.get("/api/v1/certificates/")
    assert listed.status_code == 200, listed.content
    assert [c["id"] for c in listed.json()["results"]] == [cert_a.pk]
    assert api.get(f"/api/v1/certificates/{cert_b.pk}/").status_code == 404
    assert api.get(f"/api/v1/certification-bodies/{world.a.cb.pk}/").status_code == 200

    # A write through a service, with its log row and notifications, commits as the app role.
    created = api.post(
        "/api/v1/manufacturers/",
        {"name": "Rowlevel Components", "country": "GB"},
        format="json",
    )
    assert created.status_code == 201, created.content
    again = api.get(f"/api/v1/manufacturers/{created.json()['id']}/")
    assert again.status_code == 200 and again.json()["name"] == "Rowlevel Components"

    # The public register reads across tenants as the public principal.
    anonymous = Client()
    assert anonymous.get("/bodies/").status_code == 200
    assert "Publicside Certification" in anonymous.get("/bodies/").content.decode()

    # A supervisory body of the other side sees its country's CB through the same role.
    sb_user, _p = world.b.users[Role.SB_VIEWER]
    sb = Client()
    sb.force_login(sb_user)
    assert sb.get(f"/bodies/{world.b.cb.pk}/").status_code == 200
    assert sb.get(f"/bodies/{world.a.cb.pk}/").status_code == 404


@pytest.mark.django_db(transaction=False)
def test_production_runs_web_worker_and_beat_as_the_app_role_and_migrates_as_the_owner():
    from .test_deployment_files import COMPOSE

    app_url = COMPOSE["x-app"]["environment"]["DATABASE_URL"]
    assert app_url.startswith("postgres://iecq_app:")
    for name in ("web", "worker", "beat"):
        env = COMPOSE["services"][name].get("environment", COMPOSE["x-app"]["environment"])
        assert env["DATABASE_URL"] == app_url, name
    migrate = COMPOSE["services"]["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://iecq_owner:")
    assert "migrate" in " ".join(migrate["command"])  # post_migrate (re)applies the policies as the owner
    init = (ROOT / "deploy" / "postgres-init.sh").read_text()
    assert "NOSUPERUSER NOBYPASSRLS" in init


def _tenant_writes(queries) -> int:
    return sum("set_config('iecq." in q["sql"] for q in queries)


def test_the_tenant_is_written_once_per_change_and_again_after_any_rollback(world, django_as_app_role):
    """The tenant travels with the first query of a principal the connection does not hold yet: a scope that
    runs no query costs no round trip, the same principal twice costs one, and a rollback (of a transaction or
    of a savepoint) that undid a `set_config` is followed by a new one, so that the database never answers for
    a principal other than the active one."""
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    from certification.models import Certificate

    admin_a = world.a.users[Role.CB_ADMIN][1]
    admin_b = world.b.users[Role.CB_ADMIN][1]
    cert_a, cert_b = world.a.records[Certificate], world.b.records[Certificate]

    def ids() -> set:
        with connection.cursor() as cur:  # raw SQL: only the database's policy filters it
            cur.execute("SELECT id FROM certification_certificate")
            return {row[0] for row in cur.fetchall()}

    with CaptureQueriesContext(connection) as captured, scope(admin_a):
        with scope(admin_b):
            pass  # no query: nothing written
        assert ids() == {cert_a.pk}
        assert ids() == {cert_a.pk}
        with scope(admin_b):
            assert ids() == {cert_b.pk}
        assert ids() == {cert_a.pk}
    assert _tenant_writes(captured.captured_queries) == 3  # A, B, A again: not once per scope entry and exit

    # A set_config inside a transaction that rolls back is undone by PostgreSQL; the next query writes it again.
    with scope(admin_a):
        assert ids() == {cert_a.pk}
        with pytest.raises(RuntimeError), transaction.atomic():
            with scope(admin_b):
                assert ids() == {cert_b.pk}
            raise RuntimeError("roll back")
        with scope(admin_b):  # the connection reverted to A's settings; B must be written again
            assert ids() == {cert_b.pk}
        with transaction.atomic():
            assert ids() == {cert_a.pk}
            with pytest.raises(RuntimeError), transaction.atomic():  # a savepoint
                with scope(admin_b):
                    assert ids() == {cert_b.pk}
                raise RuntimeError("roll back the savepoint")
            assert ids() == {cert_a.pk}
            with scope(admin_b):
                assert ids() == {cert_b.pk}
    # Outside every scope the database sees nothing, whatever the connection last held.
    assert ids() == set()
