"""CE-04/CE-05: the stored verification page is never stale (certification/register_cache.py).

These tests commit (transaction=True): pages are only stored from committed rows, by the tables' owner's function,
and forgotten by triggers in the changing transaction, so that is what has to be exercised. The suite connects as
a superuser; the page table's own protection is checked as the application's role (`app_conn`).
"""

from __future__ import annotations

import datetime
import re
import threading
from urllib.parse import urljoin

import psycopg2
import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import translation

from certification import register_cache, services
from certification.register_labels import page_context, time_shown
from iecq.roles import Role
from iecq.tenancy import scope
from manufacturers.services import manufacturer_update

from .factories import SYSTEM
from .test_certification import issued
from .test_imports import approved  # noqa: F401 (fixture)
from .test_rls import app_conn, app_role  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.req("CE-04"), pytest.mark.req("CE-05"), pytest.mark.django_db(transaction=True)]

TOKEN = re.compile(r"csrfmiddlewaretoken|X-CSRFToken")


def verify(client, number, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/register/{number}/", **extra)
    assert response.status_code == 200
    sent = [q["sql"] for q in queries.captured_queries if "set_config(" not in q["sql"]]
    return response.content.decode(), sent, response


def stored() -> dict[tuple[str, str], str]:
    with connection.cursor() as cursor:  # (the suite's superuser; the application's role sees no row)
        cursor.execute("SELECT number, language, html FROM certification_registerpage")
        return {(number, language): html for number, language, html in cursor.fetchall()}


def kept() -> dict[str, str]:
    """The entries kept ready for first visits (`RegisterEntry`), as the suite's superuser reads them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT number, entry FROM certification_registerentry")
        return dict(cursor.fetchall())


def computed(number: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT e::text FROM iecq_register_entry(%s) AS e", [number])
        return cursor.fetchone()[0]


def current_layout(language: str = "en") -> str:
    """The layout of anonymous pages in `language`, as the verification view computes it."""
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    request = RequestFactory().get("/register/any/")
    request.user = AnonymousUser()
    with translation.override(language):
        return register_cache.layout(request)


def owner_connection():
    params = connection.get_connection_params()
    conn = psycopg2.connect(
        dbname=params["dbname"],
        host=params.get("host", "127.0.0.1"),
        port=params.get("port", 5432),
        user=params.get("user", "postgres"),
    )
    return conn


def test_a_visit_is_one_statement_and_the_second_is_served_the_stored_page(world):
    cert = issued(world)
    first, first_sent, _r = verify(Client(), cert.number)
    assert [q.split("(")[0] for q in first_sent] == [
        f"SELECT * FROM {register_cache.VISIT_FUNCTION}",  # no page yet: the entry came with it
        f"SELECT {register_cache.STORE_FUNCTION}",  # stored once sent
    ]
    assert set(stored()) == {(cert.number, "en")}
    second, second_sent, _r = verify(Client(), cert.number)
    layout = current_layout()
    assert second_sent == [f"SELECT * FROM {register_cache.VISIT_FUNCTION}('{cert.number}', 'en', '{layout}')"]
    assert "This certificate is valid." in second and cert.number in second
    assert register_cache.CHECKED_SLOT not in second and "\x00" not in second  # every slot was filled
    assert not TOKEN.search(first) and not TOKEN.search(second)  # nothing of one visitor is served to another


def test_the_anonymous_language_picker_is_a_get_and_each_language_is_stored_apart(world):
    cert = issued(world)
    page = f"/register/{cert.number}/"
    english, _s, _r = verify(Client(), cert.number)
    assert 'action="/i18n/language/" method="get"' in english and f'name="next" type="hidden" value="{page}"' in english
    visitor = Client()
    chosen = visitor.get("/i18n/language/", {"language": "fr", "next": page})
    assert chosen.status_code == 302 and chosen["Location"] == page
    assert chosen.cookies["django_language"].value == "fr" and "no-cache" in chosen["Cache-Control"]
    french, _s, _r = verify(visitor, cert.number)
    assert "Ce certificat est valide." in french
    assert set(stored()) == {(cert.number, "en"), (cert.number, "fr")}
    # Only a path of this site is returned to; an unknown language is refused, and changes nothing.
    away = Client().get("/i18n/language/", {"language": "fr", "next": "https://evil.example/"})
    assert away.status_code == 302 and away["Location"] == "/"
    unknown = Client().get("/i18n/language/", {"language": "xx<script>", "next": page})
    assert unknown.status_code == 400 and "choose one of en, fr" in unknown.content.decode()
    assert "django_language" not in unknown.cookies
    assert Client().post("/i18n/language/", {"language": "fr"}).status_code == 405
    # Signed-in users keep Django's POST form, with their CSRF token.
    member = Client()
    member.force_login(world.a.users[Role.CB_ADMIN][0])
    signed_in, _s, _r = verify(member, cert.number)
    assert 'action="/i18n/setlang/" method="post"' in signed_in and TOKEN.search(signed_in)


def test_every_visit_says_when_it_was_checked_the_stored_page_included(world, monkeypatch):
    cert = issued(world)
    first, _s, _r = verify(Client(), cert.number)
    assert re.search(r"<dd>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</dd>", first) and "+00:00" not in first
    later = datetime.datetime(2031, 1, 2, 3, 4, 5, 678, tzinfo=datetime.UTC)
    monkeypatch.setattr(register_cache.timezone, "now", lambda: later)
    second, sent, _r = verify(Client(), cert.number)
    assert len(sent) == 1 and "<dd>2031-01-02 03:04:05 UTC</dd>" in second  # the stored page, checked now


def test_a_number_or_search_with_a_nul_character_finds_nothing_rather_than_failing(world):
    client = Client()
    assert client.get("/register/IECQ%00-1/").status_code == 404
    assert client.get("/register/IECQ%201/").status_code == 404
    signed = client.get("/register/IECQ%00-1/signed.json")
    assert signed.status_code == 404 and signed.json()["code"] == "not_found"
    cert = issued(world)
    found = client.get("/register/", {"number": cert.number[:8] + "\x00" + cert.number[8:]})
    assert found.status_code == 200 and cert.number in found.content.decode()  # the NUL dropped, the rest searched
    assert stored() == {}


def test_a_suspension_is_shown_at_once_to_the_next_visitor(world):
    cert = issued(world)
    verify(Client(), cert.number)
    assert (cert.number, "en") in stored()
    _u, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    services.certificate_transition(actor=manager, pk=cert.pk, name="suspend", reason="Major NC")
    assert stored() == {}  # forgotten in the transaction that suspended it
    page, _s, _r = verify(Client(), cert.number)
    assert "suspended since" in page and "This certificate is valid." not in page
    services.certificate_transition(actor=manager, pk=cert.pk, name="reinstate", reason="CAR closed")
    page, _s, _r = verify(Client(), cert.number)
    assert "This certificate is valid." in page


def test_a_renamed_holder_is_shown_at_once(world):
    cert = issued(world)
    verify(Client(), cert.number)
    _u, admin = world.a.users[Role.MF_ADMIN]
    manufacturer_update(actor=admin, pk=cert.manufacturer_id, name="Renamed Components Ltd")
    page, _s, _r = verify(Client(), cert.number)
    assert "Renamed Components Ltd" in page


def _store_all(numbers) -> None:
    for number in numbers:
        for language in ("en", "fr"):
            verify(Client(), number, HTTP_ACCEPT_LANGUAGE=language)


def test_a_change_to_anything_a_page_prints_forgets_exactly_the_pages_that_print_it(world):
    """Each table whose values the page prints, changed by plain SQL (so no application code is involved): the pages
    of the certificates the changed row concerns go in the same statement, the others stay."""
    from certification.models import Certificate

    mine = issued(world)
    with scope(SYSTEM):
        numbers = sorted(Certificate.objects.values_list("number", flat=True))
        assert len(numbers) > 2
        technology = mine.technologies.first()
        site = mine.sites.first()
    changes = {  # (statement, its parameters), in an order where each change still concerns `mine`
        "certificate": ("UPDATE certification_certificate SET specifications = 'new' WHERE id = %s", [mine.pk]),
        "holder": ("UPDATE manufacturers_manufacturer SET name = name || ' Ltd' WHERE id = %s", [mine.manufacturer_id]),
        "body": (
            "UPDATE bodies_certificationbody SET name = name || ' Ltd' WHERE id = %s",
            [mine.certification_body_id],
        ),
        "scheme": ("UPDATE bodies_scheme SET name = name || ' (rev.)' WHERE id = %s", [mine.scheme_id]),
        "technology": ("UPDATE bodies_technology SET name = name || ' (rev.)' WHERE id = %s", [technology.pk]),
        "site": ("UPDATE manufacturers_site SET city = city || '-Nord' WHERE id = %s", [site.pk]),
        "status log": (
            "INSERT INTO iecq_transitionlog (at, content_type_id, object_id, object_repr, field, transition, source, "
            "target, reason, actor_label, country) SELECT now(), id, %s, 'x', 'state', 'noop', 'valid', 'valid', '', "
            "'x', '' FROM django_content_type WHERE app_label = 'certification' AND model = 'certificate'",
            [mine.pk],
        ),
        "site link": ("DELETE FROM certification_certificate_sites WHERE certificate_id = %s", [mine.pk]),
        "technology link": (
            "DELETE FROM certification_certificate_technologies WHERE certificate_id = %s",
            [mine.pk],
        ),
    }
    for name, (statement, params) in changes.items():
        _store_all(numbers)
        register_cache.fill_entries()
        before, entries_before = stored(), kept()
        assert len(before) == 2 * len(numbers) and set(entries_before) == set(numbers), name
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            assert cursor.rowcount > 0, name
        with scope(SYSTEM):
            concerned = _printing(name, mine, technology, site)
        after = stored()
        assert mine.number in concerned, name
        assert {number for number, _l in before} - {number for number, _l in after} == concerned, name
        assert set(entries_before) - set(kept()) == concerned, name  # the kept entries go with the pages
        page, _s, _r = verify(Client(), mine.number)  # and the page is rendered anew from the changed rows
        if name == "holder":
            assert " Ltd (" in page
    _store_all(numbers)
    register_cache.fill_entries()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE certification_certificate_technologies")
    assert stored() == {} and kept() == {}  # a TRUNCATE forgets every page and entry


def _printing(name: str, mine, technology, site) -> set[str]:
    """The numbers of the certificates whose page prints the row each change touched."""
    from certification.models import Certificate

    certificates = Certificate.objects.all()
    by = {
        "holder": certificates.filter(manufacturer_id=mine.manufacturer_id),
        "body": certificates.filter(certification_body_id=mine.certification_body_id),
        "scheme": certificates.filter(scheme_id=mine.scheme_id),
        "technology": certificates.filter(technologies=technology),
        "site": certificates.filter(sites=site),
    }
    return set(by.get(name, certificates.filter(pk=mine.pk)).values_list("number", flat=True))


def test_a_page_rendered_before_a_change_committed_is_never_stored(world):
    cert = issued(world)
    _page, entry = register_cache.visit(cert.number, "en", current_layout())
    assert _page is None and entry
    _u, admin = world.a.users[Role.MF_ADMIN]
    manufacturer_update(actor=admin, pk=cert.manufacturer_id, name="Renamed while rendering")
    assert register_cache.store(cert.number, "en", entry, "<p>old valid page</p>", None, current_layout()) is False
    assert stored() == {}
    page, _s, _r = verify(Client(), cert.number)
    assert "old valid page" not in page and "Renamed while rendering" in page


def test_no_page_is_stored_while_a_change_is_under_way_and_a_change_waits_for_a_store_then_forgets_it(world):
    cert = issued(world)
    _page, entry = register_cache.visit(cert.number, "en", current_layout())
    # A change under way (not yet committed) holds the lock: the store gives up, whatever it read.
    writer = owner_connection()
    try:
        with writer.cursor() as cursor:
            cursor.execute("UPDATE manufacturers_manufacturer SET name = name WHERE id = %s", [cert.manufacturer_id])
        assert register_cache.store(cert.number, "en", entry, "<p>page</p>", None, "") is False
        writer.rollback()
        # A store that took the lock first: the change waits for it to commit, then deletes what it stored.
        storer = owner_connection()
        with storer.cursor() as cursor:
            cursor.execute(
                f"SELECT {register_cache.STORE_FUNCTION}(%s, 'en', %s, '<p>page</p>', NULL, '')", [cert.number, entry]
            )
            assert cursor.fetchone()[0] is True  # stored, not yet committed
        done = threading.Event()

        def change():
            with writer.cursor() as cursor:
                cursor.execute("UPDATE certification_certificate SET revision = revision WHERE id = %s", [cert.pk])
            writer.commit()
            done.set()

        thread = threading.Thread(target=change)
        thread.start()
        assert not done.wait(0.5)  # the change waits for the store's lock
        storer.commit()
        thread.join(10)
        assert done.is_set() and stored() == {}  # and then forgot the page the store had just committed
        storer.close()
    finally:
        writer.close()


def test_nothing_read_inside_a_transaction_is_stored(world):
    cert = issued(world)
    with transaction.atomic():
        inside = Client().get(f"/register/{cert.number}/")
    assert inside.status_code == 200 and not isinstance(inside, register_cache.StoredOnceSent)
    assert stored() == {}


def test_a_valid_certificates_page_is_not_served_after_its_expiry_date_and_old_pages_are_pruned(world):
    from certification.tasks import register_pages_prune

    cert = issued(world)
    verify(Client(), cert.number)
    with connection.cursor() as cursor:
        cursor.execute("SELECT fresh_until FROM certification_registerpage WHERE number = %s", [cert.number])
        assert cursor.fetchone()[0] == cert.expires_on  # the last day its mark is allowed
        cursor.execute("UPDATE certification_registerpage SET html = 'stale', fresh_until = current_date - 1")
    page, sent, _r = verify(Client(), cert.number)
    assert page != "stale" and len(sent) == 2  # read from the database and stored again
    with connection.cursor() as cursor:
        cursor.execute("UPDATE certification_registerpage SET stored_at = now() - interval '8 days'")
    assert register_pages_prune() == 1 and stored() == {}
    verify(Client(), cert.number)
    assert register_pages_prune() == 0 and len(stored()) == 1  # a page stored today stays


def test_signed_in_users_and_query_strings_are_not_served_the_stored_page(world):
    cert = issued(world)
    verify(Client(), cert.number)
    user, _p = world.a.users[Role.CB_ADMIN]
    member = Client()
    member.force_login(user)
    page, sent, _r = verify(member, cert.number)
    assert "Sign out" in page and not any(register_cache.VISIT_FUNCTION in q for q in sent)
    _page, sent, _r = verify(Client(), cert.number, data={"utm": "<script>"})
    assert not any(register_cache.VISIT_FUNCTION in q for q in sent)
    with scope(SYSTEM):
        assert Client().get("/register/NO-SUCH-NUMBER/").status_code == 404
    assert set(stored()) == {(cert.number, "en")}  # misses are never stored


def test_the_page_table_is_reached_only_through_the_owners_functions(world, app_conn):  # noqa: F811 (fixture)
    cert = issued(world)
    verify(Client(), cert.number)
    layout = current_layout()
    with app_conn.cursor() as cursor:  # as the application's role
        cursor.execute("SELECT count(*) FROM certification_registerpage")
        assert cursor.fetchone()[0] == 0  # row-level security, no policy: no row
        cursor.execute("UPDATE certification_registerpage SET html = 'forged'")
        assert cursor.rowcount == 0
        cursor.execute(f"SELECT page FROM {register_cache.VISIT_FUNCTION}(%s, 'en', %s)", [cert.number, layout])
        assert "This certificate is valid." in cursor.fetchone()[0]  # through the function
        cursor.execute(
            "SELECT p.proname, p.pronargs, p.prosecdef, p.provolatile, "
            "pg_get_userbyid(p.proowner) = pg_get_userbyid(c.relowner) FROM pg_proc p, pg_class c "
            "WHERE p.proname IN (%s, %s) AND c.relname = 'certification_registerpage' ORDER BY p.proname, p.pronargs",
            [register_cache.STORE_FUNCTION, register_cache.VISIT_FUNCTION],
        )
        assert cursor.fetchall() == [  # (and the previous release's signatures, which call these)
            (register_cache.STORE_FUNCTION, 5, True, "v", True),
            (register_cache.STORE_FUNCTION, 6, True, "v", True),  # it checks the entry again before it writes
            (register_cache.VISIT_FUNCTION, 2, True, "s", True),
            (register_cache.VISIT_FUNCTION, 3, True, "s", True),  # STABLE: it cannot write
        ]
        # The store writes only a page whose entry is the certificate's current one.
        cursor.execute(
            f"SELECT {register_cache.STORE_FUNCTION}(%s, 'en', %s, 'forged', NULL, %s)",
            [cert.number, '{"state": "valid"}', layout],
        )
        assert cursor.fetchone()[0] is False
    assert "forged" not in stored()[(cert.number, "en")]


def test_the_first_visit_is_stored_once_sent_and_a_failed_store_loses_only_the_store(world, monkeypatch):
    cert = issued(world)
    results = []
    real_store = register_cache.store
    monkeypatch.setattr(register_cache, "store", lambda *a, **k: results.append(real_store(*a, **k)))
    response = Client().get(f"/register/{cert.number}/")
    assert isinstance(response, register_cache.StoredOnceSent)
    assert results == [True]  # the test client, as a WSGI server does, closed the response after reading it

    def unreachable(*args, **kwargs):
        raise ConnectionError("database gone")

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE certification_registerpage")
    monkeypatch.setattr(register_cache, "store", unreachable)
    page, _s, _r = verify(Client(), cert.number)
    assert "This certificate is valid." in page and stored() == {}  # answered all the same


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


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_anonymous_page_of_every_variant_and_of_hostile_values_is_what_the_template_renders(world, language):
    """Each status's sentences and badge, and values that escaping, joining and line breaks must treat as the
    template does: two records of each variant, the second filled into the skeleton the first made."""
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.utils import translation

    from certification.register import register_entry

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
                composed = register_cache.anonymous_page(request, record)
                composed = register_cache.fill(composed, checked_at=time_shown(record["checked_at"]))
                assert composed == whole, (variant, bool(values))
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Söhne" in composed and "<script>alert" not in composed
        assert "Line one<br>Line &lt;two&gt;<br>Line three" in composed and "<dd>—</dd>" in composed
    assert len(register_cache._skeletons) == len(variants)


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
            assert register_cache.CHECKED_SLOT in composed and cert.number in composed and not TOKEN.search(whole)
            assert register_cache.fill(composed, checked_at=time_shown(record["checked_at"])) == whole
    assert len(register_cache._skeletons) == len(variants)  # rendered once per language and variant
    request.user = world.a.users[Role.CB_ADMIN][0]  # a signed-in layout is never shared
    with pytest.raises(ValueError):
        register_cache.anonymous_page(request, record)


def test_every_table_the_entry_reads_forgets_the_pages_when_it_changes(world):
    """A new join in the register's entry (certification.register) must come with its trigger (`_forget_sources`):
    the tables the compiled entry reads, and those with the triggers, are compared from the database itself."""
    from certification.register import ENTRY_FUNCTION

    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [ENTRY_FUNCTION])
        body = cursor.fetchone()[0]
        cursor.execute(
            "SELECT tgrelid::regclass::text, array_agg(tgname::text ORDER BY tgname) FROM pg_trigger "
            "WHERE tgname LIKE 'iecq_forget_%%' GROUP BY 1"
        )
        triggers = dict(cursor.fetchall())
    read = set(re.findall(r'(?:FROM|JOIN) "([a-z_]+)"', body)) - {"django_content_type"}  # ids never change
    assert len(read) >= 8, read
    assert read <= set(triggers), read - set(triggers)
    for table in read:
        assert {"iecq_forget_update", "iecq_forget_update_old", "iecq_forget_delete", "iecq_forget_truncate"} <= set(
            triggers[table]
        ), table


def test_a_first_visit_reads_the_kept_entry_and_a_change_deletes_it_in_the_same_statement(world):
    """The entries are kept ready by `fill_entries` (the beat task) and by each first visit's store: the visit reads
    the kept one (shown here by planting a marker in it), and a change deletes it at once, so the next visit
    computes the entry from the changed rows."""
    from certification.models import Certificate

    cert = issued(world)
    with scope(SYSTEM):
        numbers = set(Certificate.objects.values_list("number", flat=True))
    assert kept() == {}
    assert register_cache.fill_entries(batch=2) == len(numbers)  # in batches of two, each its own transaction
    assert register_cache.fill_entries() == 0  # nothing left to fill
    assert kept() == {number: computed(number) for number in numbers}
    with connection.cursor() as cursor:  # plant a marker: the visit must return the kept text as it is
        cursor.execute(
            "UPDATE certification_registerentry SET entry = replace(entry, %s, %s) WHERE number = %s",
            ['"specifications":"', '"specifications":"KEPT ', cert.number],
        )
        assert cursor.rowcount == 1
    page, sent, _r = verify(Client(), cert.number)
    assert "KEPT " in page and len(sent) == 2  # one visit, one store
    _u, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    services.certificate_transition(actor=manager, pk=cert.pk, name="suspend", reason="Major NC")
    assert cert.number not in kept() and stored() == {}  # deleted with the page, in the suspending transaction
    page, _s, _r = verify(Client(), cert.number)
    assert "suspended since" in page and "KEPT " not in page
    assert kept()[cert.number] == computed(cert.number)  # the first visit's store kept the entry it computed


def test_entries_are_filled_only_while_no_change_is_under_way_and_never_inside_a_transaction(world):
    cert = issued(world)
    writer = owner_connection()
    try:
        with writer.cursor() as cursor:  # a change under way holds the lock until it commits
            cursor.execute("UPDATE certification_certificate SET revision = revision WHERE id = %s", [cert.pk])
        assert register_cache.fill_entries(patience=0.2) == 0 and kept() == {}  # it waited, then gave up
        writer.rollback()
        assert register_cache.fill_entries(patience=0.2) > 0 and cert.number in kept()
    finally:
        writer.close()
    with transaction.atomic(), pytest.raises(RuntimeError, match="outside transactions"):
        register_cache.fill_entries()


def test_the_entry_table_is_reached_only_through_the_owners_functions_and_filled_by_the_beat_task(
    world,
    app_conn,  # noqa: F811 (fixture)
):
    from django.conf import settings

    from certification.tasks import register_entries_fill

    cert = issued(world)
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["certification.tasks.register_entries_fill"] <= 600
    with app_conn.cursor() as cursor:  # the application's role fills through the owner's function
        cursor.execute(f"SELECT * FROM {register_cache.FILL_FUNCTION}(0, 1)")
        filled, last = cursor.fetchone()
        assert filled == 1 and len(kept()) == 1 and last > 0
    assert register_entries_fill() > 0 and register_entries_fill() == 0  # the beat task fills the others
    with app_conn.cursor() as cursor:  # as the application's role
        cursor.execute("SELECT count(*) FROM certification_registerentry")
        assert cursor.fetchone()[0] == 0  # row-level security, no policy: no row
        cursor.execute("UPDATE certification_registerentry SET entry = '{}'")
        assert cursor.rowcount == 0
        cursor.execute(f"SELECT entry FROM {register_cache.VISIT_FUNCTION}(%s, 'en', '')", [cert.number])
        assert cursor.fetchone()[0] == computed(cert.number)  # the kept entry, through the function
        cursor.execute(
            "SELECT p.prosecdef, p.provolatile FROM pg_proc p WHERE p.proname = %s", [register_cache.FILL_FUNCTION]
        )
        assert cursor.fetchall() == [(True, "v")]


def test_an_imports_certificates_have_their_entries_kept_once_it_commits(
    approved,  # noqa: F811 (fixture)
    django_capture_on_commit_callbacks,
):
    from .test_imports import CERT_HEADER, cert_line, csv_file, upload

    job = upload(
        approved,
        csv_file(CERT_HEADER, cert_line("LEG-0001"), cert_line("LEG-0002", sites="")),
        capture=django_capture_on_commit_callbacks,
    )
    assert job.state == "done", job.report
    assert {"LEG-0001", "LEG-0002"} <= set(kept())  # filled by the task the import asked for after its commit
    assert kept()["LEG-0001"] == computed("LEG-0001")


def test_a_changed_entry_function_forgets_the_entries_and_pages_kept_from_the_old_one(world):
    from certification import register

    cert = issued(world)
    verify(Client(), cert.number)
    register_cache.fill_entries()
    assert cert.number in kept() and stored()
    register.install()  # as after every migrate: the same statement, nothing forgotten
    assert cert.number in kept() and stored()
    with connection.cursor() as cursor:  # the function as an older model compiled it
        for statement in register.entry_function_statements(connection):
            cursor.execute(statement.replace("BEGIN RETURN QUERY", "BEGIN /* older */ RETURN QUERY"))
    register.install()
    assert kept() == {} and stored() == {}
    page, _s, _r = verify(Client(), cert.number)
    assert "This certificate is valid." in page and kept()[cert.number] == computed(cert.number)


def test_a_page_stored_in_another_layout_is_rendered_again_not_served(world):
    """After a deployment that changed what the page looks like (a template, a style sheet's hashed name, a
    translation), the pages stored before it are not served: the layout is a digest of every variant's skeleton."""
    cert = issued(world)
    verify(Client(), cert.number)
    layout = current_layout()
    assert len(layout) == 16 and {page for page in stored().values()}
    with connection.cursor() as cursor:  # a page of an earlier deployment
        cursor.execute("UPDATE certification_registerpage SET layout = 'earlier', html = 'earlier page'")
    page, sent, _r = verify(Client(), cert.number)
    assert page != "earlier page" and "This certificate is valid." in page and len(sent) == 2  # stored again
    with connection.cursor() as cursor:
        cursor.execute("SELECT layout FROM certification_registerpage")
        assert cursor.fetchall() == [(layout,)]
    with override_settings(IECQ_SITE_NAME="Registre national IECQ"):  # something every page prints
        assert current_layout() != layout
        page, sent, _r = verify(Client(), cert.number)
        assert "Registre national IECQ" in page and len(sent) == 2  # not the page stored in the old layout
    assert current_layout("fr") not in (layout, current_layout())  # each language its own


def test_the_previous_releases_calls_still_work_while_a_deployment_replaces_its_processes(world):
    """Processes of the release before pages had a layout call the two-argument visit and the five-argument store:
    they get the entry (no page is in their layout) and what they store is never served to the current release."""
    cert = issued(world)
    verify(Client(), cert.number)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {register_cache.VISIT_FUNCTION}(%s, 'en')", [cert.number])
        page, entry = cursor.fetchone()
        assert page is None and entry == computed(cert.number)
        cursor.execute(
            f"SELECT {register_cache.STORE_FUNCTION}(%s, 'en', %s, 'previous release page', NULL)", [cert.number, entry]
        )
        assert cursor.fetchone()[0] is True
    assert stored()[(cert.number, "en")] == "previous release page"
    page, sent, _r = verify(Client(), cert.number)
    assert "This certificate is valid." in page and len(sent) == 2  # rendered and stored again in this layout
