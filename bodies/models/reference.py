"""Reference data maintained by the system operator and readable by everybody."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class AccreditationBody(models.Model):
    """A national accreditation body; only IAF MLA signatories for product certification count (CB-01)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    acronym = models.CharField(_("acronym"), max_length=20, unique=True)
    country = CountryField(_("country"))
    iaf_mla_signatory = models.BooleanField(_("IAF MLA signatory"), default=False)
    iaf_mla_product_certification = models.BooleanField(
        _("MLA scope covers product certification (ISO/IEC 17065)"), default=False
    )
    iaf_mla_scope = models.CharField(_("IAF MLA scope"), max_length=300, blank=True)
    iaf_mla_since = models.DateField(_("signatory since"), null=True, blank=True)
    iaf_mla_until = models.DateField(_("signatory until"), null=True, blank=True)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["acronym"]
        verbose_name = _("accreditation body")
        verbose_name_plural = _("accreditation bodies")

    def __str__(self) -> str:
        return f"{self.acronym} ({self.country.code})"

    def recognised_on(self, on: date) -> bool:
        """Whether, on that day, it signs the IAF MLA for product certification."""
        return (
            self.iaf_mla_signatory
            and self.iaf_mla_product_certification
            and (self.iaf_mla_since is None or self.iaf_mla_since <= on)
            and (self.iaf_mla_until is None or on <= self.iaf_mla_until)
        )


class Technology(models.Model):
    """A component technology a CB may be competent in and certify (CB-02, CB-04)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("component technology")
        verbose_name_plural = _("component technologies")

    def __str__(self) -> str:
        return self.name


class Scheme(models.Model):
    """An IECQ scheme, with the document that defines it and its edition."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    document_reference = models.CharField(_("document reference"), max_length=100)
    edition = models.CharField(_("edition"), max_length=40)

    class Meta:
        ordering = ["name"]
        verbose_name = _("IECQ scheme")
        verbose_name_plural = _("IECQ schemes")

    def __str__(self) -> str:
        return self.name
