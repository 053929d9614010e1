"""Who an API token acts for, kept in the shared cache until a token, an organisation or a supervisory body changes.

Every API request authenticated the same way: one query for the token with its organisation (inside the
identity crossing, so one more `set_config` round trip), then the principal built from them. That was a
third of an empty list's cost. The cache keeps, per token prefix, what the check needs (the secret's hash,
expiry, last use) and the principal's fields (`iecq.stamps`): never a timer for correctness, a *generation* read
before the database, set anew (at once and after the commit) by every save or delete of an API token, an
organisation or a supervisory body. A revocation therefore takes effect for the next request, like
before; an entry read before a change and stored after it carries the old generation and is never used.
A revoked or unknown token is never stored. Signals trigger it so that every write path is covered.
"""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.db import connection
from django.db.models.signals import post_delete, post_save

from .. import stamps
from ..principals import Principal

GENERATION = "apitoken:generation"
TIMEOUT = 600  # only to return memory


def _key(prefix: str) -> str:
    return f"apitoken:{prefix}"


def lookup(prefix: str) -> tuple[dict | None, str]:
    """The stored entry of `prefix` if still current, and the generation a new entry must carry."""
    entry, generation, _others = lookup_with(prefix, [])
    return entry, generation


def lookup_with(prefix: str, others: list[str]) -> tuple[dict | None, str, dict]:
    """`lookup()`, and the cached values of `others` read in the same round trip (the API check reads the
    lockout counters with the entry: one Redis round trip per request instead of two)."""
    found = stamps.read([GENERATION], [_key(prefix), *others])
    entry = found.get(_key(prefix))
    read = {key: found[key] for key in others if key in found}
    if entry is not None and entry["generation"] == found[GENERATION]:
        return entry, found[GENERATION], read
    return None, found[GENERATION], read


def store(prefix: str, generation: str, *, token, principal: Principal) -> dict | None:
    """Keep what the next request needs; only rows read outside a transaction (committed) are kept."""
    entry = {
        "generation": generation,
        "secret_hash": token.secret_hash,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "principal": {**vars(principal), "scopes": sorted(principal.scopes or ())},
    }
    if not connection.in_atomic_block:
        cache.set(_key(prefix), entry, TIMEOUT)
    return entry


def touch(prefix: str, entry: dict, now: datetime) -> None:
    entry["last_used_at"] = now
    if not connection.in_atomic_block:
        cache.set(_key(prefix), entry, TIMEOUT)


def principal_of(entry: dict) -> Principal:
    fields = dict(entry["principal"])
    fields["scopes"] = frozenset(fields["scopes"])
    return Principal(**fields)


def forget_all(sender=None, **kwargs) -> None:
    """A token, an organisation or a supervisory body changed: no stored entry is current any more."""
    stamps.renew([GENERATION])


def connect() -> None:
    from bodies.models import SupervisoryBody

    from ..models import ApiToken, Organisation

    for model in (ApiToken, Organisation, SupervisoryBody):
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(forget_all, sender=model, dispatch_uid=f"token_cache_{model.__name__}_{name}")
