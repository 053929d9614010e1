#!/usr/bin/env python3
"""`make backup`: a pg_dump (custom format) of DATABASE_URL, taken from one consistent snapshot.

    DATABASE_URL=postgres://... python scripts/backup.py [FILE]

pg_dump reads every table inside a single serializable, deferrable transaction: the dump shows the
database exactly as it stood at one instant, however busy the platform is meanwhile (writes that commit
after that instant are simply not in it). The file is written next to its final name and renamed when
complete, so a half-written dump never carries the final name. Prints the path of the dump.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path


def backup(database_url: str, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "pg_dump",
            "--format=custom",
            "--serializable-deferrable",
            "--no-password",
            f"--file={partial}",
            f"--dbname={database_url}",
        ],
        check=True,
    )
    subprocess.run(["pg_restore", "--list", str(partial)], check=True, stdout=subprocess.DEVNULL)  # noqa: S603,S607
    partial.replace(target)
    return target


def main(argv: list[str]) -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL must name the PostgreSQL database to back up (postgres://...).", file=sys.stderr)
        return 2
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    default = Path(os.environ.get("BACKUP_DIR", "backups")) / f"iecq-{stamp}.dump"
    target = Path(argv[1]) if len(argv) > 1 and argv[1] else default
    print(backup(url, target))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
