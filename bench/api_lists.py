"""Section (2) of `make bench` on its own: every API list route against the raw SQL that reads the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/iecq_api_50000 python bench/api_lists.py [REQUESTS]

Serves the application with gunicorn exactly as bench/run.py does (its functions, imported), against the
database DATABASE_URL names (already seeded with `seed_scale`), as scale-cb-admin's token, page_size=50,
and prints one line per list: API median, floor median, ratio. Nothing is written to docs/performance.md.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
run = importlib.util.module_from_spec(_spec)
sys.modules["bench_run"] = run
_spec.loader.exec_module(run)

DATABASE = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/iecq").rsplit("/", 1)[1]
run.db_name = lambda n: DATABASE  # every helper of bench/run.py then points at this one database


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    os.environ.update(run.child_env(0))
    import django

    django.setup()

    from iecq.models import Membership
    from iecq.principals import principal_from_membership, system_principal
    from iecq.services import api_token_create
    from iecq.tenancy import scope

    with scope(system_principal("benchmark")):
        membership = Membership.objects_unscoped.select_related("organisation", "user").get(
            user__username="scale-cb-admin"
        )
        cb_admin = principal_from_membership(membership)
        _token, secret = api_token_create(
            actor=cb_admin, name=f"bench {time.time():.0f}", role=cb_admin.role, scopes=list(run.api_scopes())
        )
    auth = {"Authorization": f"Bearer {secret}"}
    server = run.start_gunicorn(0)
    try:
        plan, tables, broken = run.api_list_plan(auth, requests=requests)
        for path, why in broken:
            print(f"{path}: {why}")
        got = run.load(plan)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    passed = 0
    print(f"{'list':<44} {'rows':>5} {'API':>9} {'SQL':>9} {'ratio':>6}")
    for name, (path, rows) in tables.items():
        api, sql = got[name]["median"], got[name]["floor_median"]
        passed += api / sql <= 3
        verdict = "PASS" if api / sql <= 3 else "FAIL"
        print(f"{path.split('?')[0]:<44} {rows:>5} {api * 1e3:>7.2f}ms {sql * 1e3:>7.2f}ms {api / sql:>6.2f} {verdict}")
    print(f"{passed} PASS, {len(tables) - passed} FAIL")


if __name__ == "__main__":
    main()
