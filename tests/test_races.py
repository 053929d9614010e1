"""Races on one certificate: many real HTTP clients (threads, each with its own connection and API token request,
served by the live server with a database connection per request) take the same or conflicting transitions
at the same instant. Row locks make them queue: exactly one suspend or withdraw wins, the others get 409,
and the TransitionLog counts exactly the successes.

Rounds: RACE_ROUNDS (default 10) in the normal suite; `make stress` runs 1,000 (ROUNDS=...) and its figures go
to docs/reliability.md under "Races (make stress)". RACE_CLIENTS (default 50) requests per round.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core.servers.basehttp import ThreadedWSGIServer

from certification.choices import CertificateState as C
from certification.models import Certificate
from iecq.models import TransitionLog
from iecq.tenancy import scope

from .factories import SYSTEM

pytestmark = [pytest.mark.req("PL-02")]

# The live server's listen backlog is 10 by default: 50 clients connecting at once would be reset before a
# single request is read. A real deployment's gunicorn listens with a backlog of 2048.
ThreadedWSGIServer.request_queue_size = 256

ROUNDS = int(os.environ.get("RACE_ROUNDS", "10"))
CLIENTS = int(os.environ.get("RACE_CLIENTS", "50"))
SECTION = os.environ.get("RACE_SECTION", "Races")

MIXED = ("suspend", "withdraw", "recertify")
# Each round's plan: which transition each of the CLIENTS requests takes.
PLANS = {
    "same: all suspend": lambda n: ["suspend"] * n,
    "same: all withdraw": lambda n: ["withdraw"] * n,
    "conflicting: suspend, withdraw, recertify": lambda n: [
        ("suspend", "withdraw", "recertify")[i % 3] for i in range(n)
    ],
    "conflicting: suspend vs withdraw": lambda n: [("suspend", "withdraw")[i % 2] for i in range(n)],
}


def reset(cert: Certificate) -> None:
    """The certificate back to valid for the next round (a test fixture write, not a transition)."""
    with scope(SYSTEM):
        Certificate.objects.filter(pk=cert.pk).update(state=C.VALID, suspended_on=None)


def log_rows(cert: Certificate) -> list[tuple[str, str, str]]:
    with scope(SYSTEM):
        return list(
            TransitionLog.objects.filter(content_type__model="certificate", object_id=cert.pk)
            .order_by("id")
            .values_list("transition", "source", "target")
        )


def fire(base_url: str, token: str, cert_pk: int, names: list[str]) -> list[tuple[str, int]]:
    """All requests at once: a barrier releases every thread together; each thread has its own HTTP session."""
    barrier = threading.Barrier(len(names))

    def one(name: str) -> tuple[str, int]:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        url = f"{base_url}/api/v1/certificates/{cert_pk}/{name}/"
        barrier.wait(timeout=30)
        try:
            response = session.post(url, json={"reason": f"race {name}"}, timeout=60)
            return name, response.status_code
        finally:
            session.close()

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return list(pool.map(one, names))


def check_round(plan: str, results: list[tuple[str, int]], new_rows: list[tuple[str, str, str]], final: str) -> None:
    statuses = Counter(status for _name, status in results)
    assert set(statuses) <= {200, 409}, f"{plan}: unexpected answers {statuses}"
    wins = Counter(name for name, status in results if status == 200)
    # The log counts exactly the successes, transition by transition.
    assert Counter(row[0] for row in new_rows) == wins, (plan, wins, new_rows)
    # The log is one unbroken chain from valid to the final state.
    state = C.VALID
    for _name, source, target in new_rows:
        assert source == state, (plan, new_rows)
        state = target
    assert state == final
    assert wins["suspend"] <= 1 and wins["withdraw"] <= 1
    if plan.startswith("same"):
        assert sum(wins.values()) == 1 and statuses[409] == len(results) - 1, (plan, statuses)
    else:
        assert wins["withdraw"] == 1 and final == C.WITHDRAWN  # withdraw is possible from every state but its own


def test_concurrent_transitions_on_one_certificate(world, live_server, reliability):
    cert = world.a.records[Certificate]
    token, _p = world.a.tokens["cb"]
    totals: Counter = Counter()
    reliability.describe(
        SECTION,
        "Concurrent API clients (threads, one HTTP connection each, live server) take the same or conflicting "
        "transitions on one certificate at once: one suspend or withdraw wins, the rest get 409, the log counts "
        "exactly the successes.",
    )
    plans_run: Counter = Counter()
    for round_no in range(ROUNDS):
        plan = list(PLANS)[round_no % len(PLANS)]
        reset(cert)
        before = len(log_rows(cert))
        results = fire(live_server.url, token, cert.pk, PLANS[plan](CLIENTS))
        rows = log_rows(cert)[before:]
        with scope(SYSTEM):
            final = Certificate.objects.get(pk=cert.pk).state
        check_round(plan, results, rows, final)
        statuses = Counter(status for _n, status in results)
        totals["requests"] += len(results)
        totals["successes (200)"] += statuses[200]
        totals["conflicts (409)"] += statuses[409]
        totals["log rows written"] += len(rows)
        plans_run[plan] += 1
    assert totals["log rows written"] == totals["successes (200)"]
    reliability.record(SECTION, "rounds run", ROUNDS)
    reliability.record(SECTION, "concurrent clients per round", CLIENTS)
    for key, value in totals.items():
        reliability.record(SECTION, key, value)
    for plan, count in plans_run.items():
        reliability.record(SECTION, f"rounds of '{plan}'", count)
