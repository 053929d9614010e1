"""The shared cache's Redis backend: Django's, with one client per connection pool instead of one per call.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every cache operation, and each one builds
its table of about 170 response callbacks: 60 µs of a 310 µs `get_many` (make bench, where an API request makes
one cache read). A `redis.Redis` is safe to share between threads (each command borrows a connection from the
pool), and the pool itself starts afresh in a forked process, so one client per pool is kept.

`add_many_then_get_many` is `add` for several keys then `get_many`, pipelined into one round trip (iecq.stamps
creates missing stamps and reads them back). Other backends get the same through the generic cache API.
"""

from __future__ import annotations

from django.core.cache import BaseCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    def add_many_then_get_many(self, absent: dict, keys: list[str], timeout=None) -> dict:
        client = self._cache.get_client(write=True)
        serializer = self._cache._serializer
        expiry = self.get_backend_timeout(timeout)
        names = {self.make_and_validate_key(key): key for key in keys}
        with client.pipeline(transaction=False) as pipe:
            for key, value in absent.items():
                pipe.set(self.make_and_validate_key(key), serializer.dumps(value), ex=expiry, nx=True)
            pipe.mget(list(names))
            *_, values = pipe.execute()
        return {
            names[name]: serializer.loads(value) for name, value in zip(names, values, strict=True) if value is not None
        }


def add_many_then_get_many(cache: BaseCache, absent: dict, keys: list[str], timeout=None) -> dict:
    """Each of `absent` stored only where its key is absent (a value already there wins), then `keys` read."""
    pipelined = getattr(cache, "add_many_then_get_many", None)  # `cache` may be django.core.cache's proxy
    if pipelined is not None and timeout != 0:  # 0 (expire at once) is not a Redis expiry
        return pipelined(absent, keys, timeout)
    for key, value in absent.items():
        cache.add(key, value, timeout=timeout)
    return cache.get_many(keys)
