"""Brute-force protection for portal sign-in and API tokens, counted in the Django cache (Redis in production).

The policy, chosen so that an attacker can neither guess at leisure nor lock a real user out from everywhere:

1. Per address: IECQ_LOCKOUT_ADDRESS_FAILURES failed attempts (any account, any token) from one address
   within IECQ_LOCKOUT_WINDOW_SECONDS block every attempt from that address until the window has passed.
2. Per account and address: IECQ_LOCKOUT_FAILURES failures for one account (or one token prefix) from one
   address lock that pair for the window.
3. Per account, unknown addresses only: when an account (or token prefix) has collected
   4 x IECQ_LOCKOUT_FAILURES failures in the window from anywhere (a distributed attack), it is locked for
   every address it has never signed in from. Addresses where the account (or token) succeeded in the last
   IECQ_LOCKOUT_KNOWN_DAYS stay open, so the owner keeps working from their usual place while the attack runs.

While locked, the password or token is not even checked (the attacker learns nothing), and the answer is the
same whether the account exists or not. Counters are fixed windows: a counter expires
IECQ_LOCKOUT_WINDOW_SECONDS after its first failure. A successful sign-in clears the account-and-address
counter. The address is REMOTE_ADDR: behind a reverse proxy, the proxy must set it (gunicorn
`--forwarded-allow-ips`), never a client-supplied header.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

PREFIX = "iecq:lockout"
DISTRIBUTED_FACTOR = 4  # failures from anywhere, as a multiple of the per-pair limit, that lock unknown addresses


@dataclass(frozen=True)
class Lock:
    """Why attempts are refused and for how long, at most (seconds)."""

    reason: str
    retry_after: int


def _window() -> int:
    return settings.IECQ_LOCKOUT_WINDOW_SECONDS


def _known_seconds() -> int:
    return getattr(settings, "IECQ_LOCKOUT_KNOWN_DAYS", 90) * 24 * 3600


def _h(value: str) -> str:
    """Account names and addresses hashed, so the cache holds no personal data in clear."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _keys(kind: str, account: str, address: str) -> dict[str, str]:
    a, ip = _h(account), _h(address)
    return {
        "address": f"{PREFIX}:address:{ip}",
        "pair": f"{PREFIX}:{kind}:pair:{a}:{ip}",
        "account": f"{PREFIX}:{kind}:account:{a}",
        "known": f"{PREFIX}:{kind}:known:{a}:{ip}",
    }


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def _count(key: str) -> int:
    return int(cache.get(key) or 0)


def _bump(key: str) -> int:
    """Add one to a fixed-window counter that expires a window after its first failure."""
    if cache.add(key, 1, timeout=_window()):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=_window())
        return 1


def check(kind: str, account: str, address: str) -> Lock | None:
    """The lock that refuses this attempt before any credential is checked, or None."""
    return state(kind, account, address)[0]


def state_keys(kind: str, account: str, address: str) -> list[str]:
    """The cache keys `state()` reads, for a caller that reads them in its own round trip."""
    keys = _keys(kind, account, address)
    return [keys["address"], keys["pair"], keys["account"], keys["known"]]


def state(kind: str, account: str, address: str, *, read: dict | None = None) -> tuple[Lock | None, bool]:
    """`check()` and `is_known()` together, in one cache read; `read` holds `state_keys()` already read by the
    caller (the API token check reads them with the token's entry: one Redis round trip per request)."""
    keys = _keys(kind, account, address)
    got = cache.get_many(state_keys(kind, account, address)) if read is None else read
    known = bool(got.get(keys["known"]))
    per_pair = settings.IECQ_LOCKOUT_FAILURES
    if int(got.get(keys["address"]) or 0) >= settings.IECQ_LOCKOUT_ADDRESS_FAILURES:
        return Lock("address", _window()), known
    if int(got.get(keys["pair"]) or 0) >= per_pair:
        return Lock("account-address", _window()), known
    if int(got.get(keys["account"]) or 0) >= per_pair * DISTRIBUTED_FACTOR and not known:
        return Lock("account-unknown-address", _window()), known
    return None, known


def failed(kind: str, account: str, address: str) -> None:
    """Count a wrong password or token against the address, the pair and the account."""
    for name in ("address", "pair", "account"):
        _bump(_keys(kind, account, address)[name])


def succeeded(kind: str, account: str, address: str) -> None:
    """A real sign-in: this address becomes known for the account, its pair counter starts again."""
    keys = _keys(kind, account, address)
    cache.delete(keys["pair"])
    cache.set(keys["known"], 1, timeout=_known_seconds())


def is_known(kind: str, account: str, address: str) -> bool:
    return bool(cache.get(_keys(kind, account, address)["known"]))


def failures(kind: str, account: str, address: str) -> dict[str, int]:
    """The three counters, for tests and the operator's diagnosis."""
    keys = _keys(kind, account, address)
    return {name: _count(keys[name]) for name in ("address", "pair", "account")}
