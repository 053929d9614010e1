from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """The integrator's event feed, signed webhooks and watchlists (PL-03, PL-04)."""

    name = "iecq.integrations"
    label = "integrations"
    default_auto_field = "django.db.models.BigAutoField"
