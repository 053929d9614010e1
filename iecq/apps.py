from django.apps import AppConfig


class IecqConfig(AppConfig):
    """Principals (users, organisations, memberships, API tokens) and the transition log."""

    name = "iecq"
    verbose_name = "IECQ platform"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from . import rls
        from .api import schema  # noqa: F401  (registers the OpenAPI security scheme)

        # Row-level security, the second wall (docs/security.md): every PostgreSQL connection carries the
        # active scope to the database before its queries, and every migrate (re)applies the policies of the
        # tables it touched.
        connection_created.connect(rls.on_connection_created, dispatch_uid="iecq_rls_connection")
        # Who an API token acts for is kept in the cache until a token, organisation or supervisory body changes.
        from .api import token_cache

        token_cache.connect()
        post_migrate.connect(rls.on_post_migrate, dispatch_uid="iecq_rls_post_migrate")
