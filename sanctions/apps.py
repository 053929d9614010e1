from django.apps import AppConfig


class SanctionsConfig(AppConfig):
    """The sanctions app; its models arrive with their own issue."""

    name = "sanctions"
