from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from ..roles import ROLES_BY_KIND, OrganisationKind, Role
from ..tenancy import Tenancy, TenantScopedManager


class User(AbstractUser):
    """A person who signs in to the portal; what they may see comes from their memberships."""

    totp_secret = models.CharField(_("TOTP secret"), max_length=64, blank=True, default="")
    totp_enabled = models.BooleanField(_("two-factor sign-in enabled"), default=False)
    language = models.CharField(_("preferred language"), max_length=8, blank=True, default="")
    # The secret in the URL of the user's calendar feed (calendar apps cannot sign in); renewable.
    calendar_token = models.CharField(max_length=64, blank=True, default="", db_index=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class Organisation(models.Model):
    """A party that people act for: a certification body, a manufacturer, a supervisory body or the operator."""

    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    name = models.CharField(_("name"), max_length=200)
    # For a supervisory body: its jurisdiction. For the others: the country of the legal entity.
    country = CountryField(_("country"), blank=True)
    certification_body = models.OneToOneField(
        "bodies.CertificationBody", on_delete=models.PROTECT, null=True, blank=True, related_name="organisation"
    )
    manufacturer = models.OneToOneField(
        "manufacturers.Manufacturer", on_delete=models.PROTECT, null=True, blank=True, related_name="organisation"
    )
    supervisory_body = models.OneToOneField(
        "bodies.SupervisoryBody", on_delete=models.PROTECT, null=True, blank=True, related_name="organisation"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(organisation="pk")
    objects = TenantScopedManager()
    # Authentication resolves memberships and tokens before any principal exists.
    objects_unscoped = models.Manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="organisation_kind_link",
                condition=(
                    Q(
                        kind=OrganisationKind.CERTIFICATION_BODY,
                        certification_body__isnull=False,
                        manufacturer=None,
                        supervisory_body=None,
                    )
                    | Q(
                        kind=OrganisationKind.MANUFACTURER,
                        manufacturer__isnull=False,
                        certification_body=None,
                        supervisory_body=None,
                    )
                    | Q(
                        kind=OrganisationKind.SUPERVISORY_BODY,
                        supervisory_body__isnull=False,
                        certification_body=None,
                        manufacturer=None,
                    )
                    & ~Q(country="")
                    | Q(
                        kind=OrganisationKind.OPERATOR,
                        certification_body=None,
                        manufacturer=None,
                        supervisory_body=None,
                    )
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in one organisation; a user may belong to several and switches between them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(organisation="organisation")
    objects = TenantScopedManager()
    objects_unscoped = models.Manager()

    class Meta:
        ordering = ["organisation__name", "role"]
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} @ {self.organisation}"

    def clean(self) -> None:
        if self.organisation_id and self.role not in ROLES_BY_KIND[self.organisation.kind]:
            raise ValidationError({"role": _("This role does not exist in this kind of organisation.")})
