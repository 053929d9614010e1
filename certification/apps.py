from django.apps import AppConfig


class CertificationConfig(AppConfig):
    """The certification app; its models arrive with their own issue."""

    name = "certification"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import register, register_cache

        register_cache.connect()
        # Verification's functions and the triggers that forget stored pages are made from the current models after
        # every migrate: the entry first, which the page table's functions call.
        post_migrate.connect(register.on_post_migrate, sender=self, dispatch_uid="certification_register_entry")
        post_migrate.connect(register_cache.on_post_migrate, sender=self, dispatch_uid="certification_register_pages")
