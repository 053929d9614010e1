from django.apps import AppConfig


class SurveillanceConfig(AppConfig):
    """The surveillance app; its models arrive with their own issue."""

    name = "surveillance"
