from django.apps import AppConfig


class SurveillanceConfig(AppConfig):
    """Surveillance of certified manufacturers: audits, samples, complaints, nonconformities, PCNs."""

    name = "surveillance"
