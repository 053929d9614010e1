from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from iecq.tenancy import Tenancy, TenantScopedManager


class Manufacturer(models.Model):
    """A manufacturer of electronic components; may deal with several CBs and sees all its own records (MF-05)."""

    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal entity"), max_length=200, blank=True)
    country = CountryField(_("country"))
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("contact email"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # A CB sees the manufacturers it has a client relationship with; a supervisory body those of its country.
    tenancy = Tenancy(cb="engagements__certification_body", manufacturer="pk", country="country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("manufacturer")
        verbose_name_plural = _("manufacturers")
        constraints = [models.UniqueConstraint(fields=["name", "country"], name="manufacturer_name_country_unique")]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A manufacturing site; certificates name the sites they cover."""

    manufacturer = models.ForeignKey(Manufacturer, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300)
    city = models.CharField(_("city"), max_length=100)
    country = CountryField(_("country"))
    created_at = models.DateTimeField(auto_now_add=True)

    # A CB sees the sites of its clients, as listed in its directory (SiteListing, kept by the database).
    tenancy = Tenancy(cb="listings__certification_body", manufacturer="manufacturer", country="manufacturer__country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["manufacturer__name", "name"]
        verbose_name = _("site")
        constraints = [models.UniqueConstraint(fields=["manufacturer", "name"], name="site_name_unique")]

    def __str__(self) -> str:
        return f"{self.name}, {self.city}"


class Engagement(models.Model):
    """A client relationship between a manufacturer and a CB, opened by the first application to that CB."""

    manufacturer = models.ForeignKey(Manufacturer, on_delete=models.PROTECT, related_name="engagements")
    # Indexed with the manufacturer (Meta.indexes): a CB's clients are read from the index alone, by every
    # visibility check of manufacturers, sites and contacts.
    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, related_name="engagements", db_index=False
    )
    since = models.DateField(_("client since"))
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(cb="certification_body", manufacturer="manufacturer", country="manufacturer__country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-since"]
        constraints = [models.UniqueConstraint(fields=["manufacturer", "certification_body"], name="engagement_unique")]
        indexes = [
            models.Index(fields=["certification_body", "manufacturer"], name="engagement_cb_clients"),
            models.Index(fields=["certification_body", "id"], name="engagement_cb_id_idx"),  # a CB's newest first
        ]

    def __str__(self) -> str:
        return f"{self.manufacturer} ↔ {self.certification_body}"


class Contact(models.Model):
    """A person at a manufacturer the CB deals with (MF-05)."""

    manufacturer = models.ForeignKey(Manufacturer, on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    function = models.CharField(_("function"), max_length=200, blank=True)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # A CB sees the contacts of its clients, as listed in its directory (ContactListing, kept by the database).
    tenancy = Tenancy(cb="listings__certification_body", manufacturer="manufacturer", country="manufacturer__country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-is_primary", "name"]
        verbose_name = _("contact")
        constraints = [models.UniqueConstraint(fields=["manufacturer", "email"], name="contact_email_unique")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class _Listing(models.Model):
    """A row of a CB's client directory: one per CB and per site or contact of each of its clients (a manufacturer
    with an engagement to that CB).

    The directory is what the engagements imply, kept by the database itself: triggers on engagements, sites and
    contacts add and remove its rows in the same transaction as the change (migration manufacturers 0005), on
    every path (services, bulk creation, COPY, raw SQL); the application never writes it. It exists for one
    question: a CB's newest sites or contacts, read from the (CB, id) index a page at a time. Asked through the
    engagements, that page read every site or contact of every client of the CB and sorted them
    (docs/performance.md)."""

    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.DO_NOTHING, related_name="+", db_index=False
    )

    class Meta:
        abstract = True


class SiteListing(_Listing):
    # DO_NOTHING: the database removes the rows (a trigger before the site is deleted), including rows of other
    # CBs that the deleting user's row-level security would hide from Django's cascade.
    site = models.ForeignKey(Site, on_delete=models.DO_NOTHING, related_name="listings")

    tenancy = Tenancy(cb="certification_body", manufacturer="site__manufacturer", country="site__manufacturer__country")
    objects = TenantScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["certification_body", "site"], name="site_listing_unique")]

    def __str__(self) -> str:
        return f"{self.site_id} listed for CB {self.certification_body_id}"


class ContactListing(_Listing):
    contact = models.ForeignKey(Contact, on_delete=models.DO_NOTHING, related_name="listings")

    tenancy = Tenancy(
        cb="certification_body", manufacturer="contact__manufacturer", country="contact__manufacturer__country"
    )
    objects = TenantScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["certification_body", "contact"], name="contact_listing_unique")]

    def __str__(self) -> str:
        return f"{self.contact_id} listed for CB {self.certification_body_id}"
