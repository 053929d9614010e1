from django.db import models
from django.utils.translation import gettext_lazy as _


class CertificationBodyState(models.TextChoices):
    APPLIED = "applied", _("Applied")
    UNDER_ASSESSMENT = "under_assessment", _("Under assessment")
    APPROVED = "approved", _("Approved")
    SUSPENDED = "suspended", _("Suspended")
    WITHDRAWN = "withdrawn", _("Withdrawn")
