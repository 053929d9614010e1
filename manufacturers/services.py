"""Writes on manufacturers, their sites and their contacts."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bodies.models import CertificationBody
from iecq.errors import Forbidden, ValidationFailed
from iecq.principals import Principal, system_principal
from iecq.roles import Role
from iecq.selectors import get_visible
from iecq.tenancy import scope, service

from . import selectors
from .models import Contact, Engagement, Manufacturer, Site

MANUFACTURER_FIELDS = ("name", "legal_name", "country", "website", "email")
SITE_FIELDS = ("name", "address", "city", "country")
CONTACT_FIELDS = ("name", "function", "email", "phone", "is_primary")
CB_REGISTRAR_ROLES = (Role.CB_ADMIN, Role.CB_CERTIFICATION_MANAGER, Role.CB_CLERK)
MF_EDITOR_ROLES = (Role.MF_ADMIN, Role.MF_QUALITY_MANAGER)


def _duplicate_manufacturer() -> ValidationFailed:
    return ValidationFailed(
        errors={"name": [_("A manufacturer with this name is already registered in this country.")]}
    )


def _may_edit_manufacturer(actor: Principal, manufacturer_id: int) -> bool:
    own = actor.is_manufacturer and actor.manufacturer_id == manufacturer_id and actor.has_role(*MF_EDITOR_ROLES)
    return own or actor.is_operator


@service
def manufacturer_create(
    *, actor: Principal, name: str, country: str, legal_name: str = "", website: str = "", email: str = ""
) -> Manufacturer:
    """Register a manufacturer. A CB that registers one becomes its certification body of record (engagement)."""
    if not (actor.is_operator or (actor.is_cb and actor.has_role(*CB_REGISTRAR_ROLES))):
        raise Forbidden(_("Only the operator or CB staff register manufacturers."))
    if Manufacturer._base_manager.filter(name__iexact=name.strip(), country=country).exists():
        raise _duplicate_manufacturer()
    try:
        # Until its engagement exists a new manufacturer is visible to nobody but the operator, so the
        # row is written as registration work (the database's row-level security checks the new row).
        with scope(system_principal("manufacturer registration")), transaction.atomic():
            manufacturer = Manufacturer.objects.create(
                name=name.strip(), country=country, legal_name=legal_name, website=website, email=email
            )
    except IntegrityError:
        raise _duplicate_manufacturer() from None
    if actor.is_cb:
        engagement_open(actor=actor, manufacturer=manufacturer, certification_body_id=actor.certification_body_id)
    return manufacturer


@service
def engagement_open(*, actor: Principal, manufacturer: Manufacturer, certification_body_id: int) -> Engagement:
    """Record that a manufacturer is a client of a CB (idempotent): the operator, or that CB itself."""
    if not (
        actor.is_operator or actor.is_system or (actor.is_cb and actor.certification_body_id == certification_body_id)
    ):
        raise Forbidden(_("Only the operator or the certification body itself opens a client relationship."))
    cb = CertificationBody._base_manager.get(pk=certification_body_id)
    engagement, _created = Engagement._base_manager.get_or_create(
        manufacturer=manufacturer, certification_body=cb, defaults={"since": timezone.now().date()}
    )
    return engagement


@service
def manufacturer_update(*, actor: Principal, pk: object, **changes: str) -> Manufacturer:
    """Change a manufacturer's master data: its own administrator or quality manager, or the operator."""
    manufacturer = selectors.manufacturer_get(principal=actor, pk=pk, for_update=True)
    if not _may_edit_manufacturer(actor, manufacturer.pk):
        raise Forbidden(_("Only the manufacturer's administrator or quality manager may change its details."))
    unknown = set(changes) - set(MANUFACTURER_FIELDS)
    if unknown:
        raise ValidationFailed(errors={field: [_("This field cannot be changed.")] for field in sorted(unknown)})
    name = changes.get("name", manufacturer.name).strip()
    country = changes.get("country", manufacturer.country)
    if Manufacturer._base_manager.filter(name__iexact=name, country=country).exclude(pk=manufacturer.pk).exists():
        raise _duplicate_manufacturer()
    for field, value in changes.items():
        setattr(manufacturer, field, value.strip() if field == "name" else value)
    manufacturer.save()
    return manufacturer


@service
def site_create(
    *, actor: Principal, manufacturer: Manufacturer | int, name: str, address: str, city: str, country: str
) -> Site:
    """Add a manufacturing site (MF-05)."""
    manufacturer_id = manufacturer.pk if isinstance(manufacturer, Manufacturer) else manufacturer
    manufacturer = selectors.manufacturer_get(principal=actor, pk=manufacturer_id, for_update=True)
    if not _may_edit_manufacturer(actor, manufacturer.pk):
        raise Forbidden(_("Only the manufacturer's administrator or quality manager may add sites."))
    if Site._base_manager.filter(manufacturer=manufacturer, name__iexact=name.strip()).exists():
        raise ValidationFailed(errors={"name": [_("This manufacturer already has a site with this name.")]})
    return Site.objects.create(
        manufacturer=manufacturer, name=name.strip(), address=address, city=city, country=country
    )


@service
def site_update(*, actor: Principal, pk: object, **changes: str) -> Site:
    site = selectors.site_get(principal=actor, pk=pk, for_update=True)
    if not _may_edit_manufacturer(actor, site.manufacturer_id):
        raise Forbidden(_("Only the manufacturer's administrator or quality manager may change its sites."))
    unknown = set(changes) - set(SITE_FIELDS)
    if unknown:
        raise ValidationFailed(errors={field: [_("This field cannot be changed.")] for field in sorted(unknown)})
    if (
        "name" in changes
        and Site._base_manager.filter(manufacturer_id=site.manufacturer_id, name__iexact=changes["name"].strip())
        .exclude(pk=site.pk)
        .exists()
    ):
        raise ValidationFailed(errors={"name": [_("This manufacturer already has a site with this name.")]})
    for field, value in changes.items():
        setattr(site, field, value.strip() if field == "name" else value)
    site.save()
    return site


def _duplicate_contact() -> ValidationFailed:
    return ValidationFailed(errors={"email": [_("This manufacturer already has a contact with this email address.")]})


def _contact_email_taken(manufacturer_id: int, email: str, *, exclude_pk: int | None = None) -> bool:
    return (
        Contact._base_manager.filter(manufacturer_id=manufacturer_id, email__iexact=email)
        .exclude(pk=exclude_pk)
        .exists()
    )


def _save_contact(contact: Contact) -> Contact:
    """Save, keeping one primary contact per manufacturer; a concurrent duplicate email is the same clear error."""
    try:
        with transaction.atomic():
            if contact.is_primary:
                Contact._base_manager.filter(manufacturer_id=contact.manufacturer_id, is_primary=True).exclude(
                    pk=contact.pk
                ).update(is_primary=False)
            contact.save()
    except IntegrityError:
        raise _duplicate_contact() from None
    return contact


@service
def contact_create(
    *,
    actor: Principal,
    manufacturer: Manufacturer | int,
    name: str,
    email: str,
    function: str = "",
    phone: str = "",
    is_primary: bool = False,
) -> Contact:
    """Add a contact person of a manufacturer (MF-05); a new primary contact replaces the previous one."""
    manufacturer_id = manufacturer.pk if isinstance(manufacturer, Manufacturer) else manufacturer
    manufacturer = selectors.manufacturer_get(principal=actor, pk=manufacturer_id, for_update=True)
    if not _may_edit_manufacturer(actor, manufacturer.pk):
        raise Forbidden(_("Only the manufacturer's administrator or quality manager may add contacts."))
    email = email.strip()
    if _contact_email_taken(manufacturer.pk, email):
        raise _duplicate_contact()
    contact = Contact(
        manufacturer=manufacturer,
        name=name.strip(),
        function=function.strip(),
        email=email,
        phone=phone.strip(),
        is_primary=is_primary,
    )
    return _save_contact(contact)


@service
def contact_update(*, actor: Principal, pk: object, **changes) -> Contact:
    """Change a contact's details (MF-05): the manufacturer's administrator or quality manager, or the operator."""
    contact = get_visible(Contact, actor, pk, for_update=True)
    if not _may_edit_manufacturer(actor, contact.manufacturer_id):
        raise Forbidden(_("Only the manufacturer's administrator or quality manager may change its contacts."))
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise ValidationFailed(errors={field: [_("This field cannot be changed.")] for field in sorted(unknown)})
    if "email" in changes:
        changes["email"] = changes["email"].strip()
        if _contact_email_taken(contact.manufacturer_id, changes["email"], exclude_pk=contact.pk):
            raise _duplicate_contact()
    for field, value in changes.items():
        setattr(contact, field, value.strip() if isinstance(value, str) else value)
    return _save_contact(contact)
