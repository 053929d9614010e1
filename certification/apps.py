from django.apps import AppConfig


class CertificationConfig(AppConfig):
    """The certification app; its models arrive with their own issue."""

    name = "certification"

    def ready(self) -> None:
        from . import register_cache

        # The stored verification pages forget a certificate whenever it or a name it prints changes.
        register_cache.connect()
