from django.apps import AppConfig


class CertificationConfig(AppConfig):
    """The certification app; its models arrive with their own issue."""

    name = "certification"
