"""CE-04/CE-05: the stored verification page is never stale (certification/register_cache.py).

These tests commit (transaction=True): the cache only keeps pages read from committed rows, and forgets
them again after each commit, so that is what has to be exercised.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from certification import register_cache, services
from certification.register_labels import page_context
from iecq.roles import Role
from iecq.tenancy import scope
from manufacturers.services import manufacturer_update

from .factories import SYSTEM
from .test_certification import issued

pytestmark = [pytest.mark.req("CE-04"), pytest.mark.req("CE-05"), pytest.mark.django_db(transaction=True)]

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def verify(client, number, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/register/{number}/", **extra)
    assert response.status_code == 200
    return response.content.decode(), len(queries.captured_queries), response


def test_the_second_anonymous_visit_is_served_without_the_database_and_its_form_still_works(world):
    cert = issued(world)
    first, first_queries, _r = verify(Client(), cert.number)
    visitor = Client()
    second, second_queries, _r = verify(visitor, cert.number)
    assert first_queries > 0 and second_queries == 0
    assert "This certificate is valid." in second and cert.number in second
    assert "\x00" not in second  # every slot was filled
    token = TOKEN.search(second).group(1)
    assert token != TOKEN.search(first).group(1)  # each visitor gets a token of their own
    # The token in the stored page is this visitor's: the language form posts without a CSRF failure.
    changed = visitor.post("/i18n/setlang/", {"language": "fr", "csrfmiddlewaretoken": token, "next": "/"})
    assert changed.status_code == 302
    visitor_fr, _q, _r = verify(visitor, cert.number)
    assert "Ce certificat est valide." in visitor_fr  # French is stored apart from English


def test_every_visit_says_when_it_was_checked_the_stored_page_included(world, monkeypatch):
    import datetime

    from certification import register_views

    cert = issued(world)
    first, _q, _r = verify(Client(), cert.number)
    assert re.search(r"<dd>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</dd>", first) and "+00:00" not in first
    later = datetime.datetime(2031, 1, 2, 3, 4, 5, 678, tzinfo=datetime.UTC)
    monkeypatch.setattr(register_views.timezone, "now", lambda: later)
    second, queries, _r = verify(Client(), cert.number)
    assert queries == 0 and "<dd>2031-01-02 03:04:05 UTC</dd>" in second  # the stored page, checked now


def test_a_number_or_search_with_a_nul_character_finds_nothing_rather_than_failing(world):
    import warnings

    from django.core.cache.backends.base import CacheKeyWarning

    client = Client()
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)  # such a number never becomes a cache key
        assert client.get("/register/IECQ%00-1/").status_code == 404
        assert client.get("/register/IECQ%201/").status_code == 404
    signed = client.get("/register/IECQ%00-1/signed.json")
    assert signed.status_code == 404 and signed.json()["code"] == "not_found"
    cert = issued(world)
    found = client.get("/register/", {"number": cert.number[:8] + "\x00" + cert.number[8:]})
    assert found.status_code == 200 and cert.number in found.content.decode()  # the NUL dropped, the rest searched


def test_a_suspension_is_shown_at_once_to_the_next_visitor(world):
    cert = issued(world)
    verify(Client(), cert.number)
    _page, queries, _r = verify(Client(), cert.number)
    assert queries == 0  # stored
    _u, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    services.certificate_transition(actor=manager, pk=cert.pk, name="suspend", reason="Major NC")
    page, queries, _r = verify(Client(), cert.number)
    assert queries > 0 and "suspended since" in page and "This certificate is valid." not in page
    services.certificate_transition(actor=manager, pk=cert.pk, name="reinstate", reason="CAR closed")
    page, _q, _r = verify(Client(), cert.number)
    assert "This certificate is valid." in page


def test_a_renamed_holder_is_shown_at_once(world):
    cert = issued(world)
    verify(Client(), cert.number)
    _u, admin = world.a.users[Role.MF_ADMIN]
    manufacturer_update(actor=admin, pk=cert.manufacturer_id, name="Renamed Components Ltd")
    page, queries, _r = verify(Client(), cert.number)
    assert queries > 0 and "Renamed Components Ltd" in page


def test_a_page_read_before_a_change_and_stored_after_it_is_never_served(world):
    cert = issued(world)
    html, stamp = register_cache.lookup(cert.number, "en")
    assert html is None
    register_cache.forget([cert.number])  # a change commits while the reader renders the old rows
    assert register_cache.store(cert.number, "en", stamp, "<p>old valid page</p>", using="default")
    assert register_cache.lookup(cert.number, "en")[0] is None
    page, _q, _r = verify(Client(), cert.number)
    assert "old valid page" not in page


def test_nothing_read_inside_a_transaction_is_stored(world):
    cert = issued(world)
    _html, stamp = register_cache.lookup(cert.number, "en")
    with transaction.atomic():
        assert register_cache.store(cert.number, "en", stamp, "<p>uncommitted</p>", using="default") is False
    assert register_cache.lookup(cert.number, "en")[0] is None


def test_signed_in_users_and_query_strings_are_not_served_the_stored_page(world):
    cert = issued(world)
    verify(Client(), cert.number)
    user, _p = world.a.users[Role.CB_ADMIN]
    member = Client()
    member.force_login(user)
    page, queries, _r = verify(member, cert.number)
    assert queries > 0 and "Sign out" in page
    _page, queries, _r = verify(Client(), cert.number, data={"utm": "<script>"})
    assert queries > 0
    with scope(SYSTEM):
        assert Client().get("/register/NO-SUCH-NUMBER/").status_code == 404
        assert Client().get("/register/NO-SUCH-NUMBER/").status_code == 404  # misses are never stored


def test_the_registers_function_says_what_the_model_says(world):
    """`register_entry` reads the register's function; it must give the record `public_record` builds from the
    model, for a suspended certificate with technologies and sites (and its status date from the log, in UTC)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import F

    from certification.models import Certificate
    from certification.register import REGISTER, public_record, register_entry
    from iecq.models import TransitionLog

    cert = issued(world)
    _u, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    services.certificate_transition(actor=manager, pk=cert.pk, name="suspend", reason="Major NC")
    entry = register_entry(f"  {cert.number} ")
    with scope(REGISTER):
        expected = public_record(Certificate.objects.get(pk=cert.pk))
    assert entry["status"] == "suspended" and entry["technologies"] and entry["sites"]
    with scope(SYSTEM):
        certificates = ContentType.objects.get_for_model(Certificate)
        suspended = TransitionLog.objects.filter(content_type=certificates, object_id=cert.pk, target="suspended")
        suspended_at = suspended.exclude(source=F("target")).latest("at").at
    assert entry["status_since"] == suspended_at.astimezone(__import__("datetime").UTC).date().isoformat()
    for key in set(expected) - {"checked_at", "status_since"}:
        assert entry[key] == expected[key], key
    assert register_entry("NO-SUCH-NUMBER") is None


def test_an_evicted_version_can_only_cause_a_miss(world):
    """If the cache drops a certificate's version (memory pressure), no page stored before can match again."""
    from django.core.cache import cache

    cert = issued(world)
    verify(Client(), cert.number)
    _html, stamp = register_cache.lookup(cert.number, "en")
    assert None not in stamp  # pages are never stamped "no version"
    assert register_cache.lookup(cert.number, "en")[0] is not None
    cache.delete(register_cache._version_key(cert.number))  # evicted
    assert register_cache.lookup(cert.number, "en")[0] is None
    _page, queries, _r = verify(Client(), cert.number)
    assert queries > 0


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_anonymous_page_is_what_the_template_renders_byte_for_byte(world, language):
    """The anonymous page is its content set into a layout rendered once per language (`anonymous_page`); it must
    equal verify.html rendered whole, for the first certificate (which builds the layout) and for the next."""
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.utils import translation

    from certification.models import Certificate
    from certification.register import register_entry

    csrf = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')
    register_cache._forget_skeletons()
    variants = set()
    with translation.override(language):
        for cert in (issued(world), world.a.records[Certificate]):
            request = RequestFactory().get(f"/register/{cert.number}/")
            request.user = AnonymousUser()
            record = register_entry(cert.number)
            variants.add((record["status"], record["mark_allowed"]))
            whole = render_to_string("register/verify.html", page_context(record), request)
            composed = register_cache.anonymous_page(request, record)
            assert register_cache.CSRF_SLOT in composed and cert.number in composed
            composed = composed.replace(register_cache.CSRF_SLOT, "token")
            assert csrf.sub(r"\1token", composed) == csrf.sub(r"\1token", whole)
    assert len(register_cache._skeletons) == len(variants)  # rendered once per language and variant
    request.user = world.a.users[Role.CB_ADMIN][0]  # a signed-in layout is never shared
    with pytest.raises(ValueError):
        register_cache.anonymous_page(request, record)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_anonymous_page_of_every_variant_and_of_hostile_values_is_what_the_template_renders(world, language):
    """Each status's sentences and badge, and values that escaping, joining and line breaks must treat as the
    template does: two records of each variant, the second filled into the skeleton the first made."""
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.utils import translation

    from certification.register import register_entry

    csrf = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')
    base = register_entry(issued(world).number)
    hostile = {
        "number": "IECQ-<b>&\"'",
        "manufacturer": {"name": "<script>alert(1)</script> & Söhne \x00iecq-slot:path\x00", "country": "DE"},
        "certification_body": {"name": 'CB "quoted" <i>', "country": "FR"},
        "scheme": "Scheme & <co>",
        "technologies": ["Passive <components>", "Connectors & cables"],
        "component_types": "Line one\nLine <two>\r\nLine three",
        "specifications": "",
        "sites": ["Plant <1>, Town, DE", "Plant 2 & 3, City, FR"],
        "revision": 12,
    }
    variants = [
        {"status": "valid", "mark_allowed": True},
        {"status": "suspended", "mark_allowed": False},
        {"status": "withdrawn", "mark_allowed": False},
        {"status": "expired", "mark_allowed": False},
        {"status": "valid", "mark_allowed": False},  # valid but past its expiry date: the mark is not allowed
    ]
    register_cache._forget_skeletons()
    with translation.override(language):
        for variant in variants:
            for values in ({}, hostile):
                record = {**base, **variant, **values, "status_label": variant["status"].title()}
                request = RequestFactory().get(f"/register/{record['number']}/")
                request.user = AnonymousUser()
                whole = render_to_string("register/verify.html", page_context(record), request)
                composed = register_cache.anonymous_page(request, record).replace(register_cache.CSRF_SLOT, "token")
                assert csrf.sub(r"\1token", composed) == csrf.sub(r"\1token", whole), (variant, bool(values))
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Söhne" in composed and "<script>alert" not in composed
        assert "Line one<br>Line &lt;two&gt;<br>Line three" in composed and "<dd>—</dd>" in composed
    assert len(register_cache._skeletons) == len(variants)


def test_the_entry_is_one_call_of_the_owners_function_which_gives_only_the_register(world):
    """Verification reads the register through `iecq_register_entry(number)`, the tables' owner's function (no
    row-level policy inside): one statement, and only the public record of the one certificate named exactly."""
    from certification.models import Certificate
    from certification.register import ENTRY_FUNCTION, register_entry

    cert = issued(world)
    with CaptureQueriesContext(connection) as queries:
        assert register_entry(cert.number)["number"] == cert.number
    sent = [q["sql"] for q in queries.captured_queries if "set_config(" not in q["sql"]]
    assert sent == [f"SELECT * FROM {ENTRY_FUNCTION}('{cert.number}')"]
    other = world.a.records[Certificate]
    with connection.cursor() as cursor:  # as the application's role, whatever tenant it acts for
        cursor.execute(f"SELECT * FROM {ENTRY_FUNCTION}(%s)", [other.number])
        (record,) = cursor.fetchone()
        for pattern in ("%", f"{other.number[:-1]}%", other.number.lower(), ""):
            cursor.execute(f"SELECT count(*) FROM {ENTRY_FUNCTION}(%s)", [pattern])
            assert cursor.fetchone()[0] == 0, pattern  # exact numbers only: no listing through it
        cursor.execute(
            "SELECT p.prosecdef, p.provolatile, pg_get_userbyid(p.proowner) = pg_get_userbyid(c.relowner) "
            "FROM pg_proc p, pg_class c WHERE p.proname = %s AND c.relname = 'certification_certificate'",
            [ENTRY_FUNCTION],
        )
        assert cursor.fetchone() == (True, "s", True)  # security definer, STABLE (cannot write), the owner's
    assert set(record) == {
        *("number", "state", "period_start", "expires_on", "issued_on", "revision", "component_types"),
        *("specifications", "scheme__name", "manufacturer__name", "manufacturer__country"),
        *("certification_body__name", "certification_body__country", "last_change", "technology_names", "site_lines"),
    }  # the public fields (CE-04), nothing else of the certificate or its holder


def test_the_first_visit_is_stored_once_sent_and_a_failed_store_loses_only_the_store(world, monkeypatch):
    cert = issued(world)
    stored = []
    real_store = register_cache.store
    monkeypatch.setattr(register_cache, "store", lambda *a, **k: stored.append(real_store(*a, **k)))
    response = Client().get(f"/register/{cert.number}/")
    assert isinstance(response, register_cache.StoredOnceSent)
    assert stored == [True]  # the test client, as a WSGI server does, closed the response after reading it
    register_cache.forget([cert.number])
    with transaction.atomic():  # read inside a transaction: answered, never stored, even once it has committed
        inside = Client().get(f"/register/{cert.number}/")
    assert inside.status_code == 200 and not isinstance(inside, register_cache.StoredOnceSent)
    assert stored == [True]

    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    register_cache.forget([cert.number])
    monkeypatch.setattr(register_cache, "store", unreachable)
    page, queries, _r = verify(Client(), cert.number)
    assert queries > 0 and "This certificate is valid." in page  # answered from the database all the same


def test_the_pages_labels_follow_the_language_and_its_relative_links_lead_where_they_say(world):
    cert = issued(world)
    english, _q, _r = verify(Client(), cert.number)
    french, _q, _r = verify(Client(), cert.number, HTTP_ACCEPT_LANGUAGE="fr")
    assert "<dt>Holder</dt>" in english and "<dt>Titulaire</dt>" in french  # translated once per language
    page = f"/register/{cert.number}/"
    hrefs = re.findall(r'<p class="muted"><a href="([^"]+)">.*?<a href="([^"]+)">.*?<a href="([^"]+)">', english)[0]
    signed, key, search = (urljoin(page, href) for href in hrefs)
    assert (signed, key, search) == (f"{page}signed.json", "/register/public-key.json", "/register/")
    assert Client().get(signed).json()["payload"]["number"] == cert.number
    assert "public_key" in Client().get(key).json()
    assert Client().get(search).status_code == 200
