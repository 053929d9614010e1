"""Settings for `make test`: the real PostgreSQL and Redis of the machine."""

from .base import *  # noqa: F403
from .base import database, env

DATABASES = {"default": database(env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/iecq"), conn_max_age=0)}
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", "test_iecq")}
if DATABASE_REPLICA_URL:  # noqa: F405
    DATABASES["replica"] = database(DATABASE_REPLICA_URL, conn_max_age=0)  # noqa: F405
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/15")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
# Tests that need the broker use a real worker (tests/test_celery.py); everything else runs tasks
# in-process so that a test sees the whole effect of a service.
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
