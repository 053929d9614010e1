from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


class WatchKind(models.TextChoices):
    CERTIFICATE = "certificate", _("Certificate")
    MANUFACTURER = "manufacturer", _("Manufacturer")
