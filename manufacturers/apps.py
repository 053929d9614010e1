from django.apps import AppConfig


class ManufacturersConfig(AppConfig):
    """Manufacturers, their sites and their client relationships with certification bodies."""

    name = "manufacturers"
