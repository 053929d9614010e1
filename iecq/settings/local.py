"""Settings for `make run`: SQLite and in-process tasks unless DATABASE_URL / REDIS_URL are set."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DEBUG", True)
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
