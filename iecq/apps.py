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

        # Row-level security, the second wall (docs/security.md): every connection writes the active scope to
        # its session before the statements that need it, and every migrate (re)applies the policies of the
        # tables it touched.
        connection_created.connect(rls.on_connection_created, dispatch_uid="iecq_rls_connection")
        post_migrate.connect(rls.on_post_migrate, dispatch_uid="iecq_rls_post_migrate")
