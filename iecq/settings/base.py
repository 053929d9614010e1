"""Settings shared by every environment. Everything that differs between machines comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    """An environment variable, or the default when it is unset or empty."""
    value = os.environ.get(name, "")
    return value if value != "" else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY", "insecure-local-development-key-change-me-0123456789abcdefghij")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_countries",
    "iecq",
    "bodies",
    "manufacturers",
    "certification",
    "surveillance",
    "sanctions",
    "iecq.imports",
    "iecq.integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # CSP with a per-request nonce, nosniff, no framing, referrer and permissions policies (iecq/security.py).
    "iecq.security.SecurityHeadersMiddleware",
    # Public reads to the read replica when DATABASE_REPLICA_URL is set (a no-op otherwise).
    "iecq.db_router.ReplicaRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Resolves the request's principal and opens its tenant scope for everything below.
    "iecq.portal.middleware.PrincipalScopeMiddleware",
]

ROOT_URLCONF = "iecq.urls"
WSGI_APPLICATION = "iecq.wsgi.application"
AUTH_USER_MODEL = "iecq.User"
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "iecq.portal.context.portal",
            ],
        },
    },
]

# DATABASE_URL is the role the application connects as. In production it should be a role that
# neither owns the tables nor bypasses row-level security; migrations then run with
# MIGRATION_DATABASE_URL (the owner), see `manage.py migrate_as_owner` and docs/deployment.md.


def database(url: str, **options) -> dict:
    """A DATABASES entry from a URL; PostgreSQL goes through `iecq.dbbackend` (Django's backend, told of rollbacks
    so that row-level security writes the tenant only when it changes: iecq/rls.py)."""
    config = dj_database_url.parse(url, **options)
    if config["ENGINE"] == "django.db.backends.postgresql":
        config["ENGINE"] = "iecq.dbbackend"
        # No JIT compilation: the planner's estimates for queries under the row-level security policies are
        # high enough to trigger it on a page of 50 rows, and compiling cost 77 ms for a 3 ms query (make bench,
        # docs/performance.md); the dashboards' aggregates measured no faster with it. `?options=` in the URL wins.
        config.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    return config


DATABASES = {
    "default": database(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
MIGRATION_DATABASE_URL = env("MIGRATION_DATABASE_URL")
# A streaming read replica for the public register, verification and dashboards (docs/scaling.md).
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = database(
        DATABASE_REPLICA_URL, conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")), conn_health_checks=True
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["iecq.db_router.ReplicaRouter"] if DATABASE_REPLICA_URL else []
IECQ_REPLICA_READ_PATHS = ("/register/", "/bulletin/", "/supervision/", "/dashboard/")
IECQ_REPLICA_STICKY_SECONDS = int(env("IECQ_REPLICA_STICKY_SECONDS", "30"))  # read-your-writes after a write
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 5  # every upload form takes one document; a request with more is refused (400)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
# The first handler stops storing a file once it passes IECQ_EVIDENCE_MAX_BYTES (iecq/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "iecq.uploads.SizeCapUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "iecq.security.csrf_failure"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Sign-in and API token throttling (iecq/lockout.py): failures counted in the cache per account and address.
IECQ_LOCKOUT_FAILURES = int(env("IECQ_LOCKOUT_FAILURES", "5"))
IECQ_LOCKOUT_WINDOW_SECONDS = int(env("IECQ_LOCKOUT_WINDOW_SECONDS", "900"))
IECQ_LOCKOUT_ADDRESS_FAILURES = int(env("IECQ_LOCKOUT_ADDRESS_FAILURES", "20"))

# --- email -------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "IECQ platform <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Redis and Celery --------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL
# Without a broker (make run on a bare machine) tasks run in-process, after the transaction commits.
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic work; the deadline sweep (SC-01) joins this schedule with the surveillance issue.
CELERY_BEAT_SCHEDULE = {
    # SC-01: the sweep is idempotent (SC-02), so running it hourly costs little and catches up after outages.
    "deadline-sweep": {"task": "iecq.tasks.deadline_sweep", "schedule": 3600.0},
    "outbox-dispatch": {"task": "iecq.tasks.outbox_dispatch", "schedule": 300.0},
    "sessions-clear": {"task": "iecq.tasks.sessions_clear", "schedule": 24 * 3600.0},
    "idempotency-keys-clear": {"task": "iecq.tasks.idempotency_keys_clear", "schedule": 3600.0},
    # CE-03: zips of certificate PDFs past their retention, stored certificate PDFs nobody reads any more.
    "stored-pdfs-clear": {"task": "certification.tasks.stored_pdfs_clear", "schedule": 24 * 3600.0},
    # CE-04: stored verification pages nobody visited for IECQ_REGISTER_PAGE_DAYS (only their space; never stale).
    "register-pages-prune": {"task": "certification.tasks.register_pages_prune", "schedule": 24 * 3600.0},
    # CE-04: the entries of certificates changed or added since the last run, kept ready for their first visit.
    "register-entries-fill": {"task": "certification.tasks.register_entries_fill", "schedule": 300.0},
    # PL-04: webhook deliveries that are due (retries, and any whose on-commit enqueue was lost).
    "webhook-dispatch-due": {"task": "integrations.webhook_dispatch_due", "schedule": 30.0},
    # An import whose task message or worker was lost is failed instead of polling forever.
    "imports-fail-stale": {"task": "iecq.imports.tasks.import_jobs_fail_stale", "schedule": 3600.0},
}
# How long an API Idempotency-Key is remembered (seconds); a retry after that is a new request.
IDEMPOTENCY_KEY_TTL = 24 * 3600
# Stored files (certification.pdf_cleanup, daily): a zip of certificate PDFs is deleted this many days after it
# was ready (its job then says "expired"); a stored certificate PDF nobody downloaded for this many days is
# deleted (the next download renders it again).
IECQ_PDF_BATCH_RETENTION_DAYS = int(env("IECQ_PDF_BATCH_RETENTION_DAYS", "7"))
# How long the supervisory dashboard's figures of a country are reused for the same reader (page, CSV, PDF); 0: never.
IECQ_DASHBOARD_CACHE_SECONDS = int(env("IECQ_DASHBOARD_CACHE_SECONDS", "300"))
# An import still queued, validating or importing this long after its upload is failed (hourly beat task).
IECQ_IMPORT_STALE_HOURS = int(env("IECQ_IMPORT_STALE_HOURS", "6"))
IECQ_STORED_PDF_RETENTION_DAYS = int(env("IECQ_STORED_PDF_RETENTION_DAYS", "30"))
# A stored verification page (certification/register_cache.py) is deleted this many days after it was stored; the
# next visit stores it again. Only space: a page is deleted at once by any change of what it prints.
IECQ_REGISTER_PAGE_DAYS = int(env("IECQ_REGISTER_PAGE_DAYS", "7"))
# A job of certificate PDFs still queued or rendering this many hours after it was asked for (its Celery message was
# lost) is failed by the same clean-up; its page then offers to ask again.
IECQ_PDF_BATCH_STALE_HOURS = int(env("IECQ_PDF_BATCH_STALE_HOURS", "6"))

CACHES = (
    {"default": {"BACKEND": "iecq.cache.RedisCache", "LOCATION": REDIS_URL}}
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "iecq.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["iecq.api.permissions.HasTokenScope"],
    "DEFAULT_PAGINATION_CLASS": "iecq.api.pagination.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["iecq.api.filtering.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "iecq.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "iecq.api.problems.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "IECQ certification platform API",
    "DESCRIPTION": (
        "REST API of the IECQ certification lifecycle platform. Authenticate with an organisation's "
        "API token: `Authorization: Bearer iecq_...`. Errors are RFC 9457 problem details."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The docs page: "Authorize" takes a Bearer token, kept across reloads, and every call can be tried.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "deepLinking": True, "displayRequestDuration": True},
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several resources have a `role` or a `state`; each enum gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "EvaluationRoleEnum": "certification.choices.EvaluationRole",
        "ApplicationStateEnum": "certification.choices.ApplicationState",
        "MembershipRoleEnum": "iecq.roles.Role",
        "KindEnum": "bodies.choices.CBAssessmentKind",
        "ResultEnum": "bodies.choices.AssessmentResult",
        "AuditKindEnum": "surveillance.choices.AuditKind",
        "AuditStateEnum": "surveillance.choices.AuditState",
        "AuditTeamRoleEnum": "surveillance.choices.TeamRole",
        "ComplaintKindEnum": "surveillance.choices.ComplaintKind",
        "NonconformityStateEnum": "surveillance.choices.NonconformityState",
        "PCNStateEnum": "surveillance.choices.PCNState",
        "SampleResultEnum": "surveillance.choices.SampleResult",
        "CARStateEnum": "sanctions.choices.CARState",
        "SuspensionRequestStateEnum": "sanctions.choices.RequestState",
        "AppealStateEnum": "sanctions.choices.AppealState",
        "DefectStateEnum": "sanctions.choices.DefectState",
        "DefectOutcomeEnum": "sanctions.choices.DefectOutcome",
        "ReporterKindEnum": "sanctions.choices.ReporterKind",
        "NoticeKindEnum": "sanctions.choices.NoticeKind",
        "ImportKindEnum": "iecq.imports.choices.ImportKind",
        "ImportStateEnum": "iecq.imports.choices.ImportState",
    },
}

# --- domain settings -----------------------------------------------------------------------------
IECQ_API_TOKEN_MAX_DAYS = int(env("IECQ_API_TOKEN_MAX_DAYS", "365"))
IECQ_SITE_NAME = env("IECQ_SITE_NAME", "IECQ certification platform")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
# Certification bodies (bodies app)
IECQ_CB_REACCREDITATION_YEARS = int(env("IECQ_CB_REACCREDITATION_YEARS", "5"))  # CB-09
IECQ_CB_SURVEILLANCE_MONTHS = int(env("IECQ_CB_SURVEILLANCE_MONTHS", "12"))  # CB-08
IECQ_DECLARATION_VALID_MONTHS = int(env("IECQ_DECLARATION_VALID_MONTHS", "12"))  # CB-03: re-signed yearly
IECQ_CONFLICT_COOLING_OFF_YEARS = int(env("IECQ_CONFLICT_COOLING_OFF_YEARS", "2"))  # CB-03
IECQ_CERTIFICATE_YEARS = int(env("IECQ_CERTIFICATE_YEARS", "3"))  # CE-01, SV-06
IECQ_EVIDENCE_MAX_BYTES = int(env("IECQ_EVIDENCE_MAX_BYTES", str(20 * 1024 * 1024)))  # MF-02
IECQ_PUBLIC_BASE_URL = env("IECQ_PUBLIC_BASE_URL", "http://127.0.0.1:8000")  # links printed in PDFs (QR code)
IECQ_SIGNING_KEY = env("IECQ_SIGNING_KEY")  # base64 Ed25519 private key for signed verification answers
IECQ_SIGNING_KEY_FILE = env("IECQ_SIGNING_KEY_FILE", str(BASE_DIR / "var" / "signing-key"))
# Surveillance and scheduling
IECQ_SURVEILLANCE_NORMAL_MONTHS = int(env("IECQ_SURVEILLANCE_NORMAL_MONTHS", "12"))  # SV-01
IECQ_SURVEILLANCE_REDUCED_MONTHS = int(env("IECQ_SURVEILLANCE_REDUCED_MONTHS", "18"))  # SV-07
IECQ_SURVEILLANCE_INCREASED_MONTHS = int(env("IECQ_SURVEILLANCE_INCREASED_MONTHS", "6"))  # SV-07
IECQ_AUDIT_PLANNING_DAYS = int(env("IECQ_AUDIT_PLANNING_DAYS", "90"))  # plan audits this long before they fall due
IECQ_NC_DAYS = {"major": 30, "minor": 90}  # SV-04: days to correct a nonconformity
IECQ_REMINDER_DAYS = [int(d) for d in (env("IECQ_REMINDER_DAYS", "30,7,0") or "").split(",")]  # SC-02
IECQ_DEADLINE_PROVIDERS = [
    "bodies.deadlines.deadlines_due",
    "certification.deadlines.deadlines_due",
    "surveillance.deadlines.deadlines_due",
    "sanctions.deadlines.deadlines_due",
]
IECQ_ESCALATIONS = [
    "certification.services.certificate_expire_overdue",  # SV-06
    "bodies.services.certification_body_lapse_overdue",  # CB-09
    "surveillance.services.audits_plan_due",  # SV-01, SV-06
    "sanctions.services.cars_escalate_overdue",  # SA-01
]
# Sanctions (sanctions app)
IECQ_CAR_DAYS = int(env("IECQ_CAR_DAYS", "30"))  # SA-01: days to answer a CAR
IECQ_SUSPENSION_MAX_MONTHS = int(env("IECQ_SUSPENSION_MAX_MONTHS", "6"))  # SA-02
IECQ_APPEAL_DAYS = int(env("IECQ_APPEAL_DAYS", "30"))  # SA-04: an appeal is lodged within this many days
IECQ_APPEAL_RESPONSE_DAYS = int(env("IECQ_APPEAL_RESPONSE_DAYS", "60"))  # SA-04, SC-01
IECQ_DEFECT_REPORTS_PER_HOUR = int(env("IECQ_DEFECT_REPORTS_PER_HOUR", "5"))  # SA-05: public form, per address
# PL-04 webhooks: targets must resolve to public addresses unless this allows private ones (a closed network).
IECQ_WEBHOOK_ALLOW_PRIVATE = env_bool("IECQ_WEBHOOK_ALLOW_PRIVATE", False)
IECQ_WEBHOOK_TIMEOUT_SECONDS = float(env("IECQ_WEBHOOK_TIMEOUT_SECONDS", "5"))
