from django.apps import AppConfig


class BodiesConfig(AppConfig):
    """Certification bodies, accreditation bodies and (later) supervisory oversight."""

    name = "bodies"
