from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ImportKind(models.TextChoices):
    MANUFACTURERS = "manufacturers", _("Manufacturers")
    CERTIFICATES = "certificates", _("Certificates")


class ImportFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    JSON = "json", _("JSON")


class ImportState(models.TextChoices):
    """queued → validating → importing → done; validating → rejected (bad rows); any → failed (an error of ours)."""

    QUEUED = "queued", _("Queued")
    VALIDATING = "validating", _("Validating")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Done")
    REJECTED = "rejected", pgettext_lazy("import job state", "Rejected")
    FAILED = "failed", _("Failed")


FINAL_STATES = (ImportState.DONE, ImportState.REJECTED, ImportState.FAILED)
