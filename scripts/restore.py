#!/usr/bin/env python3
"""`make restore FILE=...`: restore a dump made by scripts/backup.py into a fresh database.

    DATABASE_URL=postgres://.../iecq python scripts/restore.py FILE [TARGET_URL]

The target is RESTORE_DATABASE_URL (or TARGET_URL), else a new database on DATABASE_URL's server named
`<name>_restored_<UTC time>`. It must not exist yet: a restore never writes over a database, so the live
one cannot be damaged by a mistyped command. The restore runs in one transaction and stops at the first
error (then the new, empty database is dropped again). Prints the URL of the restored database; point
DATABASE_URL at it (or rename it) once it has been checked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def psql(url: str, sql: str) -> str:
    done = subprocess.run(  # noqa: S603
        ["psql", "--no-password", "-v", "ON_ERROR_STOP=1", "-Atc", sql, url],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def restore(dump: Path, target_url: str) -> str:
    name = database_name(target_url)
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"Refusing an unusual database name: {name!r}")
    maintenance = with_database(target_url, "postgres")
    if psql(maintenance, f"select 1 from pg_database where datname = '{name}'"):  # noqa: S608
        raise SystemExit(f"Database {name} exists: a restore goes into a fresh database only.")
    subprocess.run(["pg_restore", "--list", str(dump)], check=True, stdout=subprocess.DEVNULL)  # noqa: S603,S607
    psql(maintenance, f'create database "{name}"')
    try:
        subprocess.run(  # noqa: S603
            [  # noqa: S607
                "pg_restore",
                "--no-password",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={target_url}",
                str(dump),
            ],
            check=True,
        )
    except subprocess.CalledProcessError:
        psql(maintenance, f'drop database "{name}"')
        raise
    return target_url


def main(argv: list[str]) -> int:
    if len(argv) < 2 or not argv[1]:
        print("Usage: make restore FILE=backups/iecq-....dump", file=sys.stderr)
        return 2
    dump = Path(argv[1])
    if not dump.is_file():
        print(f"No such dump: {dump}", file=sys.stderr)
        return 2
    target = (argv[2] if len(argv) > 2 else "") or os.environ.get("RESTORE_DATABASE_URL", "")
    if not target:
        source = os.environ.get("DATABASE_URL", "")
        if not source.startswith(("postgres://", "postgresql://")):
            print("Set DATABASE_URL (the server) or RESTORE_DATABASE_URL (the new database).", file=sys.stderr)
            return 2
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        target = with_database(source, f"{database_name(source)}_restored_{stamp}")
    print(restore(dump, target))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
