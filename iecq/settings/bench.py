"""Settings for `make bench`: the test settings plus the bench-only floor views under /__bench__/."""

from .test import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# The floors every figure is divided by (iecq/bench_views.py); never enabled outside the benchmark.
IECQ_BENCH_VIEWS = True
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Persistent connections, as in production (the test settings open one per request).
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
# The shared cache, as in production (base settings with REDIS_URL): gunicorn's workers must see one another's
# stored verification pages and their invalidation (the test settings use a per-process cache).
CACHES = {"default": {"BACKEND": "iecq.cache.RedisCache", "LOCATION": REDIS_URL}}  # noqa: F405
# The dashboard figure measures the figures computed, not the stored copy a second visit reads.
IECQ_DASHBOARD_CACHE_SECONDS = 0
