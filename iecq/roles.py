"""Organisation kinds and membership roles, and what each role may do."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    CERTIFICATION_BODY = "certification_body", _("Certification body")
    MANUFACTURER = "manufacturer", _("Manufacturer")
    SUPERVISORY_BODY = "supervisory_body", _("Supervisory body")
    OPERATOR = "operator", _("System operator")


class Role(models.TextChoices):
    CB_ADMIN = "cb_admin", _("CB administrator")
    CB_CERTIFICATION_MANAGER = "cb_certification_manager", _("Certification manager")
    CB_AUDITOR = "cb_auditor", _("Auditor")
    CB_TECHNICAL_REVIEWER = "cb_technical_reviewer", _("Technical reviewer")
    CB_CLERK = "cb_clerk", _("Clerk")
    MF_ADMIN = "mf_admin", _("Manufacturer administrator")
    MF_QUALITY_MANAGER = "mf_quality_manager", _("Quality manager")
    MF_SUBMITTER = "mf_submitter", _("Submitter")
    SB_VIEWER = "sb_viewer", _("Supervisory viewer")
    OP_ADMIN = "op_admin", _("Operator administrator")


ROLES_BY_KIND: dict[str, frozenset[str]] = {
    OrganisationKind.CERTIFICATION_BODY: frozenset(
        {Role.CB_ADMIN, Role.CB_CERTIFICATION_MANAGER, Role.CB_AUDITOR, Role.CB_TECHNICAL_REVIEWER, Role.CB_CLERK}
    ),
    OrganisationKind.MANUFACTURER: frozenset({Role.MF_ADMIN, Role.MF_QUALITY_MANAGER, Role.MF_SUBMITTER}),
    OrganisationKind.SUPERVISORY_BODY: frozenset({Role.SB_VIEWER}),
    OrganisationKind.OPERATOR: frozenset({Role.OP_ADMIN}),
}

# Roles that administer their own organisation (members, API tokens).
ORGANISATION_ADMIN_ROLES = frozenset({Role.CB_ADMIN, Role.MF_ADMIN, Role.OP_ADMIN})
# Roles that may change their own organisation's master data (names, sites, contacts).
MASTER_DATA_ROLES = frozenset(
    {Role.CB_ADMIN, Role.CB_CERTIFICATION_MANAGER, Role.MF_ADMIN, Role.MF_QUALITY_MANAGER, Role.OP_ADMIN}
)
