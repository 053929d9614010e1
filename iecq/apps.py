from django.apps import AppConfig


class IecqConfig(AppConfig):
    """Principals (users, organisations, memberships, API tokens) and the transition log."""

    name = "iecq"
    verbose_name = "IECQ platform"

    def ready(self) -> None:
        from .api import schema  # noqa: F401  (registers the OpenAPI security scheme)
