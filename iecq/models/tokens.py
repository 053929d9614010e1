import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..roles import Role
from ..tenancy import Tenancy, TenantScopedManager

# Areas an API token can be given read or write access to: "<area>:read" / "<area>:write".
API_AREAS = ("bodies", "manufacturers", "certification", "surveillance", "sanctions", "integrations")
API_SCOPES = tuple(f"{area}:{access}" for area in API_AREAS for access in ("read", "write"))


def hash_secret(secret: str) -> str:
    """Tokens are 256-bit random secrets, so a plain SHA-256 is a sufficient one-way store."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """An integrator's credential, owned by an organisation, acting in one of its roles, limited by scopes.

    Only the SHA-256 of the secret is stored; the full token is shown once, when it is created.
    """

    organisation = models.ForeignKey("iecq.Organisation", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    tenancy = Tenancy(organisation="organisation")
    objects = TenantScopedManager()
    objects_unscoped = models.Manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def matches(self, secret: str) -> bool:
        return secrets.compare_digest(self.secret_hash, hash_secret(secret))
