"""The production cache backend (iecq.cache.RedisCache) against the real Redis: Django's behaviour, one client."""

from __future__ import annotations

import threading
import uuid

from django.conf import settings

from iecq.cache import RedisCache


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
    seen, errors = [], []

    def work(n: int) -> None:
        try:
            for i in range(50):
                cache.set(f"t{n}:{i}", i, 60)
                assert cache.get(f"t{n}:{i}") == i
            seen.append(cache._cache.get_client())
        except Exception as exc:  # reported below, from the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(client is first for client in seen)
    cache.delete_many([f"t{n}:{i}" for n in range(4) for i in range(50)])
