"""The production cache backend (iecq.cache.RedisCache) against the real Redis: Django's behaviour, one client."""

from __future__ import annotations

import threading
import uuid

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache

from iecq.cache import RedisCache, add_many_then_get_many


def _cache() -> RedisCache:
    return RedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"test-cache-{uuid.uuid4().hex}"})


def test_it_stores_reads_and_forgets_like_djangos_backend():
    cache = _cache()
    assert cache.get("missing") is None
    cache.set("a", {"x": 1}, 60)
    cache.set_many({"b": 2, "c": [3]}, 60)
    assert cache.get_many(["a", "b", "c", "missing"]) == {"a": {"x": 1}, "b": 2, "c": [3]}
    assert cache.add("a", "other") is False
    assert cache.incr("b") == 3
    cache.delete("a")
    assert cache.get("a") is None
    cache.delete_many(["b", "c"])


def test_every_call_shares_one_client_per_pool_across_threads():
    cache = _cache()
    first = cache._cache.get_client()
    assert cache._cache.get_client() is first
    assert cache._cache.get_client(write=True) is first  # one server: reads and writes share its pool
    seen = []

    def work(n: int) -> None:
        for i in range(50):
            cache.set(f"t{n}:{i}", i, 60)
            assert cache.get(f"t{n}:{i}") == i
        seen.append(cache._cache.get_client())

    assert _in_threads(work, 4) == []
    assert len(seen) == 4 and all(client is first for client in seen)
    cache.delete_many([f"t{n}:{i}" for n in range(4) for i in range(50)])


def test_add_many_then_get_many_keeps_what_is_there_and_reads_back_in_one_command(monkeypatch):
    cache = _cache()
    cache.set("kept", "first", 60)
    add_many_then_get_many(cache, {"warm": 1}, ["warm"])  # the script is loaded into the server once
    client = cache._cache.get_client(write=True)
    sent = []
    for name in ("evalsha", "eval", "mget", "set", "pipeline"):
        monkeypatch.setattr(client, name, _recording(getattr(client, name), name, sent))
    found = add_many_then_get_many(cache, {"kept": "second", "made": "new"}, ["kept", "made", "other"], timeout=None)
    assert found == {"kept": "first", "made": "new"}  # an existing value wins; a missing one is created
    assert sent == ["evalsha"]  # the adds and the read: one command
    assert client.ttl(cache.make_and_validate_key("made")) == -1  # timeout None: kept until changed or evicted
    assert cache.get("kept") == "first" and cache.get("made") == "new"  # stored as the backend stores anything


def test_add_many_then_get_many_gives_what_it_adds_the_timeout_asked():
    cache = _cache()
    found = add_many_then_get_many(cache, {"short": [1, 2]}, ["short"], timeout=60)
    assert found == {"short": [1, 2]}
    assert 0 < cache._cache.get_client().ttl(cache.make_and_validate_key("short")) <= 60
    assert add_many_then_get_many(cache, {}, []) == {}  # nothing asked: no command (MGET needs a key)


def test_add_many_then_get_many_is_atomic_under_concurrent_creators():
    cache = _cache()
    seen = []

    def create(n: int) -> None:
        seen.append(add_many_then_get_many(cache, {"stamp": f"made by {n}"}, ["stamp"])["stamp"])

    assert _in_threads(create, 8) == []
    assert (
        len(seen) == 8 and len(set(seen)) == 1 and seen[0] == cache.get("stamp")
    )  # one creator won; everybody read its value


def test_add_many_then_get_many_on_any_other_backend_means_the_same():
    other = LocMemCache(f"test-{uuid.uuid4().hex}", {})
    other.set("kept", "first")
    assert add_many_then_get_many(other, {"kept": "second", "made": "new"}, ["kept", "made", "other"]) == {
        "kept": "first",
        "made": "new",
    }


def _in_threads(work, count: int) -> list[Exception]:
    """`work(n)` for n in range(count), each in its own thread, all at once; what they raised."""
    errors: list[Exception] = []

    def run(n: int) -> None:
        try:
            work(n)
        except Exception as exc:  # reported to the test, from the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _recording(method, name: str, sent: list):
    def recorded(*args, **kwargs):
        sent.append(name)
        return method(*args, **kwargs)

    return recorded
