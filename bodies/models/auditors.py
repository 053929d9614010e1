"""Auditors of a CB: training, experience, competence per technology and qualification (CB-03, CB-04)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from iecq.tenancy import Tenancy, TenantScopedManager


class Auditor(models.Model):
    """A person a CB may assign to audits, if `bodies.assignment.assignment_problems` finds nothing against it."""

    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, related_name="auditors"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="auditor_records"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    qualified_until = models.DateField(_("qualified until"), db_index=True)
    audits_performed = models.PositiveIntegerField(_("audits performed"), default=0)
    experience = models.TextField(_("experience"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(cb="certification_body", country="certification_body__country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("auditor")
        constraints = [models.UniqueConstraint(fields=["certification_body", "email"], name="auditor_email_unique")]

    def __str__(self) -> str:
        return self.name


class AuditorTraining(models.Model):
    """A documented training course of an auditor (CB-04)."""

    auditor = models.ForeignKey(Auditor, on_delete=models.PROTECT, related_name="trainings")
    course = models.CharField(_("course"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    completed_on = models.DateField(_("completed on"))
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1, validators=[MinValueValidator(0.5)])
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(cb="auditor__certification_body", country="auditor__certification_body__country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-completed_on"]
        verbose_name = _("training record")

    def __str__(self) -> str:
        return f"{self.course} ({self.completed_on})"


class AuditorCompetence(models.Model):
    """An auditor's recognised competence in one component technology (CB-04)."""

    auditor = models.ForeignKey(Auditor, on_delete=models.PROTECT, related_name="competences")
    technology = models.ForeignKey("bodies.Technology", on_delete=models.PROTECT, related_name="+")
    since = models.DateField(_("competent since"))
    evidence = models.TextField(_("evidence"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(cb="auditor__certification_body", country="auditor__certification_body__country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["technology__name"]
        verbose_name = _("competence")
        constraints = [models.UniqueConstraint(fields=["auditor", "technology"], name="competence_unique")]

    def __str__(self) -> str:
        return f"{self.auditor}: {self.technology}"
