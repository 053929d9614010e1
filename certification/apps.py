from django.apps import AppConfig


class CertificationConfig(AppConfig):
    """The certification app; its models arrive with their own issue."""

    name = "certification"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import register, register_cache

        # The stored verification pages forget a certificate whenever it or a name it prints changes.
        register_cache.connect()
        # Verification's query is a function of the tables' owner, made from the current model after every migrate.
        post_migrate.connect(register.on_post_migrate, sender=self, dispatch_uid="certification_register_entry")
