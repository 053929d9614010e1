from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Bulk imports of manufacturers and certificates (a legacy register) from CSV or JSON, run by Celery."""

    name = "iecq.imports"
    label = "imports"
