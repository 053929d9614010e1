"""A CB's client directory (manufacturers.models SiteListing, ContactListing) is exactly what the engagements
imply, whatever wrote the data: services, bulk creation, updates, deletes, raw SQL. The database keeps it
(triggers of migration manufacturers 0005); a CB's sites and contacts are read through it (issue 10)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from iecq.tenancy import scope
from manufacturers import services
from manufacturers.models import Contact, ContactListing, Engagement, Manufacturer, Site, SiteListing

from .factories import SYSTEM, make_cb

pytestmark = pytest.mark.django_db


def listed() -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """(CB, site) and (CB, contact) pairs in the directory."""
    with scope(SYSTEM):
        sites = set(SiteListing.objects.values_list("certification_body_id", "site_id"))
        contacts = set(ContactListing.objects.values_list("certification_body_id", "contact_id"))
    return sites, contacts


def implied() -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """The same pairs as the engagements say them."""
    with scope(SYSTEM):
        pairs = list(Engagement.objects.values_list("certification_body_id", "manufacturer_id"))
        sites = {
            (cb, s) for cb, m in pairs for s in Site.objects.filter(manufacturer_id=m).values_list("pk", flat=True)
        }
        contacts = {
            (cb, c) for cb, m in pairs for c in Contact.objects.filter(manufacturer_id=m).values_list("pk", flat=True)
        }
    return sites, contacts


def assert_directory_follows_engagements() -> None:
    assert listed() == implied()


def test_the_directory_follows_every_write_to_engagements_sites_and_contacts(world):
    assert_directory_follows_engagements()
    assert listed()[0], "the world's engagements list their manufacturers' sites"
    manufacturer = world.a.manufacturer
    other_cb, _org = make_cb("Directory Second CB", "DE")
    with scope(SYSTEM):
        # a service: a second CB opens an engagement; the manufacturer's sites and contacts are listed for it too
        contact = services.contact_create(
            actor=world.operator[1], manufacturer=manufacturer, name="Q. Engineer", email="q@x.org"
        )
        services.engagement_open(actor=world.operator[1], manufacturer=manufacturer, certification_body_id=other_cb.pk)
        assert_directory_follows_engagements()
        assert (other_cb.pk, contact.pk) in listed()[1]
        # a new site and a new contact are listed for every CB of the manufacturer
        site = services.site_create(
            actor=world.operator[1],
            manufacturer=manufacturer,
            name="Second site",
            address="2 Way",
            city="Leeds",
            country="GB",
        )
        assert {(world.a.cb.pk, site.pk), (other_cb.pk, site.pk)} <= listed()[0]
        # bulk creation, as the import does
        newcomer = Manufacturer.objects.create(name="Bulk Components", country="GB")
        Site.objects.bulk_create([Site(manufacturer=newcomer, name="Bulk site", address="3", city="X", country="GB")])
        Engagement.objects.bulk_create(
            [Engagement(manufacturer=newcomer, certification_body=other_cb, since=timezone.now().date())]
        )
        assert_directory_follows_engagements()
        # a contact moved to another manufacturer (an update that bypasses save())
        Contact.objects.filter(pk=contact.pk).update(manufacturer=newcomer)
        assert_directory_follows_engagements()
        assert (world.a.cb.pk, contact.pk) not in listed()[1] and (other_cb.pk, contact.pk) in listed()[1]
        # an engagement moved to another CB, then ended
        engagement = Engagement.objects.get(manufacturer=newcomer)
        Engagement.objects.filter(pk=engagement.pk).update(certification_body=world.b.cb)
        assert_directory_follows_engagements()
        Engagement.objects.filter(pk=engagement.pk).delete()
        assert_directory_follows_engagements()
        # deletes through the ORM and through raw SQL
        Site.objects.filter(pk=site.pk).delete()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM manufacturers_contact WHERE id = %s", [contact.pk])
        assert_directory_follows_engagements()
        assert not any(s == site.pk for _cb, s in listed()[0])


def test_a_cb_reads_its_clients_sites_and_contacts_through_its_directory(world):
    """What the API lists for a CB is its clients' sites and contacts, newest first, and nothing else."""
    from tests.conftest import token_client

    with scope(SYSTEM):
        services.contact_create(
            actor=world.operator[1], manufacturer=world.a.manufacturer, name="A person", email="a@a.org"
        )
        services.contact_create(
            actor=world.operator[1], manufacturer=world.b.manufacturer, name="B person", email="b@b.org"
        )
        own_sites = list(
            Site.objects.filter(manufacturer=world.a.manufacturer).order_by("-pk").values_list("pk", flat=True)
        )
        own_contacts = list(
            Contact.objects.filter(manufacturer=world.a.manufacturer).order_by("-pk").values_list("pk", flat=True)
        )
    client = token_client(world.a.tokens["cb"][0])
    assert [row["id"] for row in client.get("/api/v1/sites/").json()["results"]] == own_sites
    assert [row["id"] for row in client.get("/api/v1/contacts/").json()["results"]] == own_contacts


def test_the_consistency_check_sees_a_listing_no_engagement_implies():
    """The check the tests above rely on can fail: a listing written by hand for a manufacturer that is nobody's
    client (what no service does) is seen."""
    cb, _org = make_cb("Directory CB", "FR")
    with scope(SYSTEM):
        stranger = Manufacturer.objects.create(name="Stranger Components", country="FR")
        site = Site.objects.create(manufacturer=stranger, name="Stranger site", address="1", city="Lyon", country="FR")
        assert not SiteListing.objects.filter(site=site).exists()
        SiteListing.objects.create(certification_body=cb, site=site)
    assert listed() != implied()
