"""Backup and restore drill: `scripts/backup.py` dumps the database while a thread keeps suspending and
reinstating a certificate (each change a transaction with its log row and bulletin notice);
`scripts/restore.py` restores the dump into a fresh database. The restored certificates, bulletin notices,
CARs and TransitionLog must equal, row for row, the database as it stood after one of the writer's commits:
the dump is one consistent snapshot, never half of a change."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import psycopg2
import pytest
from django.db import connection, connections

from certification.models import Certificate
from certification.services import certificate_transition
from iecq.models import TransitionLog
from iecq.roles import Role
from sanctions.models import BulletinNotice, CorrectiveActionRequest

pytestmark = [pytest.mark.req("PL-02"), pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
TABLES = [m._meta.db_table for m in (Certificate, BulletinNotice, CorrectiveActionRequest, TransitionLog)]


def database_url(settings_dict: dict, name: str | None = None) -> str:
    """A postgres:// URL of the test database (or another one on its server)."""
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{name or settings_dict['NAME']}"


def read_tables(cursor) -> dict[str, list[tuple]]:
    """Every row of the compared tables, in id order, in one transaction (one snapshot)."""
    out = {}
    for table in TABLES:
        cursor.execute(f'SELECT * FROM "{table}" ORDER BY id')
        out[table] = cursor.fetchall()
    return out


class Writer(threading.Thread):
    """Suspends and reinstates one certificate until stopped; after each commit, records the four tables."""

    def __init__(self, manager, certificate_pk: int) -> None:
        super().__init__(daemon=True)
        self.manager, self.pk = manager, certificate_pk
        self.stop = threading.Event()
        self.snapshots: list[dict[str, list[tuple]]] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            names = ["suspend", "reinstate"]
            n = 0
            while not self.stop.is_set():
                certificate_transition(actor=self.manager, pk=self.pk, name=names[n % 2], reason=f"drill {n}")
                n += 1
                with connection.cursor() as cursor:  # nothing else writes: this is the state after commit n
                    self.snapshots.append(read_tables(cursor))
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            connections.close_all()


def run_script(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_dump_taken_during_writes_restores_to_one_consistent_moment(world, tmp_path, reliability):
    _u, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    reliability.describe(
        "Backup and restore",
        "make backup during writes, make restore into a fresh database: certificates, bulletin notices, CARs and "
        "the TransitionLog equal, row for row, the database after one of the writer's commits.",
    )
    cert = world.a.records[Certificate]
    source_url = database_url(connection.settings_dict)
    with connection.cursor() as cursor:
        initial = read_tables(cursor)
    writer = Writer(manager, cert.pk)
    writer.start()
    while len(writer.snapshots) < 3 and writer.is_alive():
        writer.stop.wait(0.05)
    dump = tmp_path / "drill.dump"
    run_script("scripts/backup.py", str(dump), env={"DATABASE_URL": source_url})
    commits_at_dump_end = len(writer.snapshots)
    while len(writer.snapshots) < commits_at_dump_end + 3 and writer.is_alive():
        writer.stop.wait(0.05)  # writes go on after the dump: they must not be in it
    writer.stop.set()
    writer.join(timeout=60)
    assert writer.error is None, writer.error
    assert dump.is_file() and dump.stat().st_size > 0

    target_name = f"{connection.settings_dict['NAME']}_restore_drill"
    target_url = database_url(connection.settings_dict, name=target_name)
    drop = f'DROP DATABASE IF EXISTS "{target_name}"'
    maintenance = psycopg2.connect(database_url(connection.settings_dict, name="postgres"))
    maintenance.autocommit = True
    maintenance.cursor().execute(drop)
    try:
        restored_url = run_script("scripts/restore.py", str(dump), target_url, env={})
        assert restored_url == target_url
        with psycopg2.connect(target_url) as restored_conn, restored_conn.cursor() as cursor:
            restored = read_tables(cursor)
        restored_conn.close()
        # A second restore into the same (no longer fresh) database is refused.
        again = subprocess.run(
            [sys.executable, "scripts/restore.py", str(dump), target_url], cwd=ROOT, capture_output=True, text=True
        )
        assert again.returncode != 0 and "fresh database" in (again.stdout + again.stderr)
    finally:
        maintenance.cursor().execute(drop)
        maintenance.close()

    states = [initial, *writer.snapshots]
    matches = [k for k, state in enumerate(states) if state == restored]
    assert matches, "the restored tables match no committed state: the dump is not one snapshot"
    moment = matches[0]
    assert moment >= 3 and moment <= commits_at_dump_end  # taken during the writes, none after the dump ended
    assert len(restored[TransitionLog._meta.db_table]) > len(initial[TransitionLog._meta.db_table])
    assert restored[CorrectiveActionRequest._meta.db_table]  # the CARs came along, row for row
    reliability.record("Backup and restore", "writer commits during the drill", len(writer.snapshots))
    reliability.record("Backup and restore", "restored state = after writer commit no.", moment)
    reliability.record("Backup and restore", "rows compared", sum(len(rows) for rows in restored.values()))
    reliability.record("Backup and restore", "tables compared", ", ".join(TABLES))
