from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..tenancy import Tenancy, TenantScopedManager


class TransitionLog(models.Model):
    """One state change of one record: who, when, from, to and why (PL-02).

    Append-only: a database trigger rejects UPDATE and DELETE (migration 0002), and the
    application's database role is granted only SELECT and INSERT on this table. The owning CB,
    manufacturer and country are copied from the record so the log obeys the visibility rule alone.
    """

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=200)
    field = models.CharField(max_length=64, default="state")
    transition = models.CharField(max_length=64)
    source = models.CharField(_("from"), max_length=64)
    target = models.CharField(_("to"), max_length=64)
    reason = models.TextField(_("why"), blank=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_token = models.ForeignKey("iecq.ApiToken", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_organisation = models.ForeignKey(
        "iecq.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("who"), max_length=200)
    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    manufacturer = models.ForeignKey(
        "manufacturers.Manufacturer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    country = models.CharField(max_length=2, blank=True)

    tenancy = Tenancy(cb="certification_body", manufacturer="manufacturer", country="country")
    objects = TenantScopedManager()
    # Writing needs no read scope; iecq.transitions.log_append is its only user.
    objects_append = models.Manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "at"], name="log_object_idx"),
            models.Index(fields=["certification_body", "id"], name="log_cb_id_idx"),  # a CB's log, newest first
        ]

    def __str__(self) -> str:
        return f"{self.object_repr}: {self.source} → {self.target} by {self.actor_label}"

    @property
    def record_type(self) -> str:
        """`app_label.model` of the record, e.g. `certification.certificate` (from Django's per-process content
        type cache: a list of decisions neither joins nor builds a content type per row)."""
        content_type = ContentType.objects.get_for_id(self.content_type_id)
        return f"{content_type.app_label}.{content_type.model}"


class DecisionEvidence(models.Model):
    """A document supporting a logged decision (a suspension's evidence, say): checked by content, stored
    under a server-generated name, readable by whoever sees the decision."""

    log = models.ForeignKey(TransitionLog, on_delete=models.PROTECT, related_name="evidence_documents")
    # The decision's CB, copied from its log row when the file is stored (a log row never changes): a CB's
    # decision evidence newest first is read from the index (certification_body, id) (docs/performance.md).
    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, null=True, blank=True, editable=False,
        related_name="+", db_index=False,
    )  # fmt: skip
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(upload_to="decisions/", max_length=200)
    storage_name = models.CharField(max_length=80, unique=True)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by_label = models.CharField(_("uploaded by"), max_length=200)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    tenancy = Tenancy(cb="certification_body", manufacturer="log__manufacturer", country="log__country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence of a decision")
        indexes = [models.Index(fields=["certification_body", "id"], name="decision_evidence_cb_newest")]

    def save(self, *args, **kwargs) -> None:
        if self.log_id is not None:
            self.certification_body_id = self.log.certification_body_id  # never another CB's
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.title
