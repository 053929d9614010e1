"""Public reads from a REAL streaming replica; writes and read-your-writes on the primary (issue 10).

A small primary (port 5498) and a hot standby made from it with pg_basebackup (port 5499) are
started under /tmp for this module; the shared server is never touched. A child process runs the
application against the pair (DATABASE_URL = primary, DATABASE_REPLICA_URL = standby) and reports
which database served each statement.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRIMARY_PORT, REPLICA_PORT = 5498, 5499
BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), None)
NEEDED = ("initdb", "pg_ctl", "pg_basebackup", "pg_dump", "psql")

pytestmark = pytest.mark.skipif(
    BIN is None or not all(os.access(os.path.join(BIN, b), os.X_OK) for b in NEEDED),
    reason="PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found under /usr/lib/postgresql/*/bin",
)


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60, **kwargs)


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def replica_pair(django_db_setup, django_db_blocker):
    if not (_port_free(PRIMARY_PORT) and _port_free(REPLICA_PORT)):
        pytest.skip(f"ports {PRIMARY_PORT}/{REPLICA_PORT} are in use")
    from django.db import connection

    test_db = connection.settings_dict["NAME"]
    base = tempfile.mkdtemp(prefix="iecq-replica-", dir="/tmp")
    primary, replica = os.path.join(base, "primary"), os.path.join(base, "replica")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    pg = lambda name: os.path.join(BIN, name)  # noqa: E731
    started = []
    try:
        _run(_as_postgres([pg("initdb"), "-D", primary, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]))
        with open(os.path.join(primary, "postgresql.conf"), "a") as conf:
            conf.write(
                f"port = {PRIMARY_PORT}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{base}'\n"
                "wal_level = replica\nmax_wal_senders = 4\nfsync = off\nshared_buffers = 16MB\n"
            )
        _run(_as_postgres([pg("pg_ctl"), "-D", primary, "-l", f"{base}/primary.log", "-w", "start"]))
        started.append(primary)
        conn = ["-h", "127.0.0.1", "-U", "postgres"]
        _run([pg("psql"), *conn, "-p", str(PRIMARY_PORT), "-d", "postgres", "-c", "CREATE DATABASE iecq"])
        # The schema (and the migrations' rows) of this run's test database, as migrated by pytest-django.
        dump = _run([pg("pg_dump"), *conn, "-p", "5432", "--no-owner", "--no-privileges", test_db]).stdout
        _run([pg("psql"), *conn, "-p", str(PRIMARY_PORT), "-d", "iecq", "-q"], input=dump)
        _run(
            _as_postgres(
                [pg("pg_basebackup"), *conn, "-p", str(PRIMARY_PORT), "-D", replica, "-R", "-X", "stream", "-c", "fast"]
            )
        )
        with open(os.path.join(replica, "postgresql.auto.conf"), "a") as conf:
            conf.write(f"port = {REPLICA_PORT}\nhot_standby = on\n")
        _run(_as_postgres([pg("pg_ctl"), "-D", replica, "-l", f"{base}/replica.log", "-w", "start"]))
        started.append(replica)
        yield {
            "primary": f"postgres://postgres@127.0.0.1:{PRIMARY_PORT}/iecq",
            "replica": f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/iecq",
        }
    finally:
        for data in reversed(started):
            subprocess.run(_as_postgres([pg("pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]), timeout=60)
        shutil.rmtree(base, ignore_errors=True)


PROBE = r"""
import json, os, time
import django
django.setup()
from django.conf import settings
from django.db import connections
from django.test import Client

from certification.models import Certificate
from iecq.db_router import WROTE_COOKIE
from iecq.principals import system_principal
from iecq.scale import SCALE_PASSWORD, seed_scale
from iecq.tenancy import scope

settings.ALLOWED_HOSTS = ["testserver"]
seen = {"default": [], "replica": []}
tenant = {"default": 0, "replica": 0}

def recorder(alias):
    def wrapper(execute, sql, params, many, context):
        if "set_config('iecq." in sql:  # the tenant for row-level security (iecq.rls), not a read
            tenant[alias] += 1
        elif "iecq_register_entry(" in sql:  # the register's entry: the owner's function (certification.register)
            seen[alias].append("REGISTER ENTRY")
        elif "iecq_register_visit(" in sql:  # verification: the stored page or the entry (certification.register_cache)
            seen[alias].append("REGISTER VISIT")
        elif "iecq_register_store(" in sql:  # the page, once sent, stored on the primary after checking its rows
            seen[alias].append("REGISTER STORE")
        else:
            seen[alias].append(sql.split(None, 1)[0].upper())
        return execute(sql, params, many, context)
    return wrapper

out = {}
with connections["replica"].cursor() as cur:
    cur.execute("SELECT pg_is_in_recovery()")
    out["replica_in_recovery"] = cur.fetchone()[0]
seed_scale(40)  # on the primary
with scope(system_principal("probe")):
    cert = Certificate.objects.order_by("pk").first()
    count = Certificate.objects.count()
    for _ in range(200):  # wait for streaming replication to replay the seed
        if Certificate.objects.using("replica").count() == count:
            break
        time.sleep(0.05)
    out["replicated"] = Certificate.objects.using("replica").count() == count

def request(client, method, path, **kw):
    for alias in seen:
        seen[alias].clear()
        tenant[alias] = 0
        connections[alias].close()  # as a fresh server connection: it holds no tenant yet
    with connections["default"].execute_wrapper(recorder("default")), \
         connections["replica"].execute_wrapper(recorder("replica")):
        response = getattr(client, method)(path, **kw)
    return {"status": response.status_code, "default": list(seen["default"]), "replica": list(seen["replica"]),
            "has_number": cert.number in response.content.decode(errors="replace"),
            "wrote_cookie": WROTE_COOKIE in response.cookies, "replica_tenant": tenant["replica"]}

anon = Client()
out["verify"] = request(anon, "get", f"/register/{cert.number}/")
for _ in range(200):  # the page the visit stored on the primary, once the replica has replayed it
    with connections["replica"].cursor() as cur:
        cur.execute("SELECT count(*) FROM certification_registerpage")  # (the probe connects as a superuser)
        out["page_replicated"] = cur.fetchone()[0] == 1
    if out["page_replicated"]:
        break
    time.sleep(0.05)
out["verify_stored"] = request(anon, "get", f"/register/{cert.number}/")
out["search"] = request(anon, "get", "/register/", data={"number": cert.number[:12]})
out["signed"] = request(anon, "get", f"/register/{cert.number}/signed.json")
out["bulletin"] = request(anon, "get", "/bulletin/")
out["healthz"] = request(anon, "get", "/healthz")
user = Client()
credentials = {"username": "scale-cb-admin", "password": SCALE_PASSWORD}
out["login"] = request(user, "post", "/accounts/login/", data=credentials)
out["portal_list"] = request(user, "get", "/certification/certificates/")
out["verify_after_write"] = request(user, "get", f"/register/{cert.number}/")
out["api_list"] = request(user, "get", "/api/v1/certificates/")
user.cookies.pop(WROTE_COOKIE)
out["verify_after_cookie_expired"] = request(user, "get", f"/register/{cert.number}/")
print("PROBE" + json.dumps(out))
"""


def test_public_reads_go_to_the_replica_and_writes_never_do(replica_pair):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "iecq.settings.test",
        "DATABASE_URL": replica_pair["primary"],
        "DATABASE_REPLICA_URL": replica_pair["replica"],
        "IECQ_REPLICA_STICKY_SECONDS": "30",
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.split("PROBE", 1)[1])
    assert out["replica_in_recovery"] is True  # a real hot standby: it cannot take a write at all
    assert out["replicated"] is True

    # The register, verification, signed answers and the bulletin read only from the replica.
    for name in ("verify", "search", "signed", "bulletin"):
        hit = out[name]
        assert hit["status"] == 200, (name, hit)
        assert hit["replica"], (name, hit)
        # The one statement on the primary: a first visit's page, stored once sent, where it is checked against the
        # primary's rows (a lagging replica's page is never stored).
        assert hit["default"] == (["REGISTER STORE"] if name == "verify" else []), (name, hit)
    assert out["verify"]["replica"] == ["REGISTER VISIT"], out["verify"]
    # The page stored on the primary reached the replica, which serves it to the next visitor: nothing on the primary.
    assert out["page_replicated"] is True
    stored = out["verify_stored"]
    assert stored["replica"] == ["REGISTER VISIT"] and stored["default"] == [] and stored["has_number"], stored
    assert out["verify"]["has_number"] and out["search"]["has_number"]
    # The replica's copies of the row-level security policies are told the tenant too (the public, here).
    assert out["verify"]["replica_tenant"] > 0, out["verify"]
    # Everything else reads from the primary.
    assert out["healthz"]["replica"] == []
    for name in ("login", "portal_list", "api_list"):
        assert out[name]["replica"] == [], (name, out[name])
        assert out[name]["default"], (name, out[name])
    assert out["portal_list"]["status"] == 200 and out["api_list"]["status"] == 200
    # Read your writes: after a write (the sign-in) that browser reads the register from the primary…
    assert out["login"]["wrote_cookie"] is True
    assert out["verify_after_write"]["status"] == 200 and out["verify_after_write"]["has_number"]
    assert out["verify_after_write"]["replica"] == [] and out["verify_after_write"]["default"]
    # …until the flag expires.
    assert out["verify_after_cookie_expired"]["replica"] and not out["verify_after_cookie_expired"]["default"]
    # Never a write to the replica.
    statements = {s for hit in out.values() if isinstance(hit, dict) for s in hit["replica"]}
    # (A hot standby refuses writes anyway; the register's function is STABLE, which PostgreSQL keeps from writing.)
    assert statements <= {"SELECT", "SET", "SHOW", "REGISTER ENTRY", "REGISTER VISIT"}, statements
    assert "REGISTER VISIT" in statements  # verification read the register through its function, on the replica
    assert time.monotonic() - started < 120


def test_router_sends_writes_and_transactions_to_the_primary(settings):

    from iecq.db_router import ReplicaRouter, replica_path, replica_reads

    router = ReplicaRouter()
    assert router.db_for_read(None) == "default"
    with replica_reads():
        assert router.db_for_read(None) == "replica"
        assert router.db_for_write(None) == "default"
    assert router.allow_migrate("replica", "certification") is False
    assert router.allow_migrate("default", "certification") is True
    assert replica_path("/register/IECQ-1/") and not replica_path("/certification/certificates/")


@pytest.mark.django_db
def test_a_read_inside_a_transaction_stays_on_the_primary():
    from django.db import transaction

    from iecq.db_router import ReplicaRouter, replica_reads

    with replica_reads(), transaction.atomic():
        assert ReplicaRouter().db_for_read(None) == "default"
