from django.apps import AppConfig


class SanctionsConfig(AppConfig):
    """Corrective action requests, suspension requests, the bulletin, appeals and defect reports."""

    name = "sanctions"
