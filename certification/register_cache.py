"""The public verification page, rendered once per certificate and language, until the certificate changes.

Verification is the platform's hottest read (buyers scan the QR code of every certificate they
receive) and its most dangerous one: a stale "valid" is worse than a slow page. So the cache is never
cleared by a timer but by the changes themselves, and it is built so that a change cannot be missed:

* Every stored page carries the *version* of its certificate and the register's *generation* read
  **before** the database was; a page is served only while both are still current. A version or generation
  that is missing (never set, or evicted) is created before anything is stored, so no page is ever stamped
  "none" and an eviction can only cause misses. Any save or
  delete of a certificate, or of its technologies or sites, sets a new random version of its
  number; any save or delete of a manufacturer, certification body, site, scheme or technology
  (names printed on many pages) sets a new generation. A reader that read the database before such
  a change and stores its page after it stores it under the old version: nobody is served it.
* Versions are set twice: at once (readers inside the writing transaction miss) and again after the
  commit (readers that read the old rows in between miss too). Pages are only stored from reads made
  outside any transaction, so an uncommitted state never reaches the cache.
* With a read replica (DATABASE_REPLICA_URL), a version also records the primary's WAL position at the
  commit; a page read from the replica is stored only once the replica has replayed that far, so the
  replica's lag cannot be frozen into the cache.
* Signals, not services, trigger it: the cache must follow every write path (services, the sweep,
  imports, the admin), and it holds no business rule: it only forgets.

Only the anonymous page (no session cookie, no query string) is stored; signed-in users get the page
rendered for them from the same query. The CSRF token of the language form and the "checked at" time
are written into the stored page for each request.

The anonymous page itself is rendered once per language and variant (the certificate's status), with slots for
the certificate's values, and filled per visit (`anonymous_page`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import connection, connections
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from iecq import stamps

from .register_labels import SHOWN, VARIANT, labels, shown, time_shown

PAGE_TIMEOUT = 7 * 24 * 3600  # only to return memory; correctness never depends on it
CSRF_SLOT = "\x00iecq-csrf\x00"
CHECKED_SLOT = "\x00iecq-checked-at\x00"
GENERATION = "register:generation"
_CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
logger = logging.getLogger(__name__)


def _version_key(number: str) -> str:
    return f"register:version:{number}"


def _page_key(number: str, language: str) -> str:
    return f"register:page:{language}:{number}"


# --- reading --------------------------------------------------------------------------------------------
def lookup(number: str, language: str) -> tuple[str | None, tuple]:
    """The stored page if it is still current, and the stamp (version, generation) a new page must carry."""
    key, version = _page_key(number, language), _version_key(number)
    # Eager (one round trip even for a certificate's first visit since its last change) unless a new value costs a
    # query: with a read replica, a stamp carries the primary's WAL position.
    found = stamps.read([version, GENERATION], [key], new=_new_value, eager=not _with_replica())
    stamp = (found.get(version), found.get(GENERATION))
    stored = found.get(key)
    if stored is not None and stored[0] == stamp:
        return stored[1], stamp
    return None, stamp


def store(number: str, language: str, stamp: tuple, html: str, *, using: str) -> bool:
    """Keep `html` under `stamp` if it was read from committed rows that are at least as new as the stamp."""
    if connections[using].in_atomic_block or not _replayed(stamp, using):
        return False
    cache.set(_page_key(number, language), (stamp, html), PAGE_TIMEOUT)
    return True


class StoredOnceSent(HttpResponse):
    """A response that runs `then` once the server has sent it (WSGI servers, and Django's test client, call
    `close()` after the last byte): storing a first visit's page is not part of the visitor's wait. A failure
    there (the cache unreachable) is logged; the page was already answered from the database."""

    def __init__(self, content: str, *, then: Callable[[], object]) -> None:
        super().__init__(content)
        self._then = then

    def close(self) -> None:
        then, self._then = self._then, None
        try:
            if then is not None:
                then()
        except Exception:
            logger.exception("the verification page was sent but could not be stored")
        finally:
            super().close()  # request_finished: the database connection is released after the store


def first_visit_response(
    request: HttpRequest, record: dict, *, number: str, language: str, stamp: tuple, using: str
) -> HttpResponse:
    """The anonymous page of `record` (read from the database `using` after `stamp` was), stored once it is sent
    under the key `lookup(number, language)` read.

    A page read inside a transaction is never stored (see `store`); that is decided now, while the transaction
    is still open, not once the response is closed."""
    html = anonymous_page(request, record)  # the CSRF token is a slot in it
    body = html.replace(CSRF_SLOT, get_token(request))
    if connections[using].in_atomic_block:
        return HttpResponse(body)

    def keep() -> None:
        store(number, language, stamp, with_slots(html, time_shown(record["checked_at"])), using=using)

    return StoredOnceSent(body, then=keep)


def with_slots(html: str, checked_at: str) -> str:
    """`anonymous_page`'s page (its CSRF token already a slot) with the check time a slot too, to be stored."""
    return html.replace(checked_at, CHECKED_SLOT)


def fill_slots(html: str, *, csrf_token: str, checked_at: str) -> str:
    return html.replace(CSRF_SLOT, csrf_token).replace(CHECKED_SLOT, checked_at)


# --- the anonymous page: rendered once per language and variant, the certificate's values filled in ------------
_SLOT = re.compile("\x00iecq-slot:([a-z_]+)\x00")
_skeletons: dict[tuple, str] = {}


def _slot(name: str) -> SafeString:
    return mark_safe(f"\x00iecq-slot:{name}\x00")  # noqa: S308 (a marker: no markup, replaced before it is sent)


def anonymous_page(request: HttpRequest, record: dict) -> str:
    """The page verify.html renders for an anonymous request without a query string, byte for byte (tested), with
    the request's CSRF token in its slot.

    Rendering it per certificate was most of a first visit's time in Python (the layout 2 of 2.5 ms; then the
    content's 30-odd variables, 0.1 ms). What varies from one certificate to the next is only what
    `register_labels.shown` gives and the path the language form returns to; what else the page says depends on
    the language and the certificate's status (`register_labels.VARIANT`). So the page is rendered once per
    language and variant, with slots for those values (its *skeleton*), and filled in one pass per visit. The
    layout reads only what is the same for every such request: the anonymous principal's navigation, the
    language, the site's name."""
    if request.user.is_authenticated:  # the layout shows who is signed in; it must never be shared
        raise ValueError("anonymous_page is for anonymous requests")
    key = (translation.get_language(), *(record[field] for field in VARIANT))
    skeleton = _skeletons.get(key)
    if skeleton is None:
        skeleton = _skeletons[key] = _skeleton(request, record)
    values = {**shown(record), "path": escape(request.get_full_path())}
    return _SLOT.sub(lambda slot: values[slot.group(1)], skeleton)


def _skeleton(request: HttpRequest, record: dict) -> str:
    slots = {name: _slot(name) for name in SHOWN}
    variant = {field: record[field] for field in VARIANT}  # nothing else of the record: no value can be frozen in
    context = {"record": variant, "shown": slots, "labels": labels()}
    content = render_to_string("register/verify_record.html", context)
    page = render_to_string(
        "register/verify_shell.html",
        {"slots": {"title": slots["number"], "path": _slot("path"), "content": mark_safe(content)}},  # noqa: S308
        request=request,
    )
    match = _CSRF_VALUE.search(page)
    if match is None or _slot("path") not in page or _slot("number") not in page:  # (each variant prints what it
        raise ValueError("register/verify_shell.html lost a slot")  # says of the record: tested byte for byte)
    return page.replace(match.group(1), CSRF_SLOT)


def _forget_skeletons(**kwargs) -> None:
    _skeletons.clear()  # a setting the layout reads may have changed (tests override them)


def _replayed(stamp: tuple, using: str) -> bool:
    if using == "default":
        return True
    positions = [part.split("@", 1)[1] for part in stamp if part and "@" in part]
    if not positions:
        return True
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT bool_and(pg_last_wal_replay_lsn() >= lsn::pg_lsn) FROM unnest(%s::text[]) AS lsn", [positions]
        )
        return bool(cursor.fetchone()[0])


# --- forgetting -----------------------------------------------------------------------------------------
def _with_replica() -> bool:
    return "replica" in settings.DATABASES and connection.vendor == "postgresql"


def _new_value() -> str:
    value = stamps.fresh()
    if _with_replica():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            value += "@" + cursor.fetchone()[0]
    return value


def forget(numbers: list[str] | set[str]) -> None:
    """The pages of these certificates are no longer current: now, and again once the change commits."""
    numbers = sorted({n for n in numbers if n})
    if numbers:
        stamps.renew([_version_key(n) for n in numbers], new=_new_value)


def forget_all() -> None:
    """A name printed on many pages changed: every page is no longer current."""
    stamps.renew([GENERATION], new=_new_value)


# --- the changes that make a page stale ----------------------------------------------------------------
def _certificate_changed(sender, instance, **kwargs) -> None:
    forget([instance.number])


def _certificate_relation_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if not reverse:
        forget([instance.number])
    else:  # site.certificates.add(…) and the like: the certificates are the other side
        forget_all()


def _name_changed(sender, **kwargs) -> None:
    forget_all()


def connect() -> None:
    from bodies.models import CertificationBody, Scheme, Technology
    from manufacturers.models import Manufacturer, Site

    from .models import Certificate

    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(_certificate_changed, sender=Certificate, dispatch_uid=f"register_cache_certificate_{name}")
        for model in (Manufacturer, CertificationBody, Site, Scheme, Technology):
            signal.connect(_name_changed, sender=model, dispatch_uid=f"register_cache_{model.__name__}_{name}")
    for field in ("technologies", "sites"):
        through = getattr(Certificate, field).through
        m2m_changed.connect(_certificate_relation_changed, sender=through, dispatch_uid=f"register_cache_{field}")
    setting_changed.connect(_forget_skeletons, dispatch_uid="register_cache_skeletons")
