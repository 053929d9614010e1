"""Import jobs: one uploaded file of manufacturers or certificates, validated whole, written whole or not at all."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from iecq.permissions import cb_decider
from iecq.principals import Principal
from iecq.tenancy import Tenancy, TenantScopedManager

from .choices import ImportFormat, ImportKind
from .choices import ImportState as S


def _importer(job: ImportJob, p: Principal) -> bool:
    """The CB's administrator or certification manager who runs the import, or the system closing a dead job."""
    return p.is_system or cb_decider(job, p)


def import_path(instance: ImportJob, filename: str) -> str:
    """Server-generated name; the uploaded name is kept only as metadata."""
    return f"imports/{instance.storage_name}"


class ImportJob(FSMModelMixin, models.Model):
    """A bulk import of manufacturers or certificates into one CB's records, from an uploaded CSV or JSON file.

    Every row is validated first (all errors collected); only a file without errors is written, in one
    transaction. The report lists each rejected row with its row number, column and message.
    """

    certification_body = models.ForeignKey("bodies.CertificationBody", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    format = models.CharField(_("format"), max_length=10, choices=ImportFormat.choices)
    file = models.FileField(upload_to=import_path, max_length=200)
    storage_name = models.CharField(max_length=80, unique=True)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    state = FSMField(_("status"), choices=S.choices, default=S.QUEUED, protected=True, db_index=True)
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows processed"), default=0)
    # {"errors": [{"row", "column", "message"}], "error_count", "truncated", "written"}
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_by = models.ForeignKey(
        "iecq.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_by_label = models.CharField(_("created by"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    tenancy = Tenancy(cb="certification_body")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"

    @transition(field=state, source=S.QUEUED, target=S.VALIDATING, permission=_importer)
    def start_validation(self) -> None:
        """The worker picked the job up and checks every row."""

    @transition(field=state, source=S.VALIDATING, target=S.IMPORTING, permission=_importer)
    def start_import(self) -> None:
        """No row has an error: the rows are written, all in one transaction."""

    @transition(field=state, source=S.IMPORTING, target=S.DONE, permission=_importer)
    def finish(self) -> None:
        """Every row is written (committed with the rows themselves)."""

    @transition(field=state, source=[S.VALIDATING, S.IMPORTING], target=S.REJECTED, permission=_importer)
    def reject(self) -> None:
        """At least one row is wrong: nothing is written; the report lists every error."""

    @transition(field=state, source=[S.QUEUED, S.VALIDATING, S.IMPORTING], target=S.FAILED, permission=_importer)
    def fail(self) -> None:
        """The job could not run to its end (our error, or the importer lost the right); nothing is written."""

    @property
    def is_final(self) -> bool:
        return self.state in (S.DONE, S.REJECTED, S.FAILED)
