"""The public verification page, stored once per certificate and language in PostgreSQL until the certificate changes.

Verification is the platform's hottest read (buyers scan the QR code of every certificate they receive) and its
most dangerous one: a stale "valid" is worse than a slow page. So a stored page is never cleared by a timer, and is
never served once anything it prints has changed, by the database's own means:

* **Forgotten in the changing transaction.** Triggers on every table whose values the page prints (the certificate,
  its technologies and sites and their names, its status log, its holder, its certification body, its scheme) delete
  the affected certificates' pages in the statement that changes them (`iecq_register_forget_<table>`). A page is a
  row of `certification.RegisterPage`; readers see it gone exactly when they see the change.
* **Stored only if it is still true.** A page is stored after it was sent (`StoredOnceSent`), by the tables' owner's
  `iecq_register_store`, which takes an advisory lock that every change holds (shared) from its trigger until it
  commits, and gives up if one is under way; then, in a new snapshot, it reads the certificate's entry again and
  stores the page only if the entry is still the one the page was rendered from. Every change that began before the
  lock has committed and is in that snapshot; every change after it waits for the store to commit, then deletes the
  page. A page read from a lagging replica is thus checked against the primary. Writes run at READ COMMITTED
  (Django's default; the store refuses any other level, whose snapshot would predate its lock).
* **One statement a visit.** `iecq_register_visit(number, language, layout)` answers with the stored page, or, when
  there is none, with the certificate's entry (`certification.register.entry_function_statements`): a first visit
  costs one round trip, as a later one does. The tables' owner's functions are the only way to the page table:
  row-level security is on with no policy, so the application's role reads and writes none of it directly.
* **Entries kept ready.** The entry itself joins seven tables; computing it was most of a first visit's statement.
  So each certificate's entry is kept as JSON text (`certification.RegisterEntry`), and the visit reads it with one
  index lookup, computing it only where none is kept. Entries are deleted by the same triggers as the pages, and
  written under the same lock and check: by a first visit's store, and by `iecq_register_fill`, which the beat
  task `register_entries_fill` (and `seed_scale`) runs in short batches for every certificate without one (new
  ones, changed ones). A kept entry is never stale; a missing one only costs its visit the computation.
* **Pages of this deployment only.** A page is stored with its `layout` (a digest of the language's skeletons,
  `layout`) and served only in that layout: after a deployment that changed a template, a style sheet's hashed
  name or a translation, the pages stored before it are rendered again at their next visit.
* A page that depends on the date (a valid certificate allows its mark until its expiry date) carries that date and
  is not served after it. Pages nobody visited for a while are deleted by a daily task (`prune`); only to return
  space.

Only the anonymous page (no session cookie, no query string, no message waiting) is stored; signed-in users get the
page rendered for them from the same entry. The page holds nothing of the visitor: anonymous pages carry no CSRF
token (their language form is a GET, see `iecq.portal.views.choose_language`), and the "checked at" time is written
in for each request.

The anonymous page itself is rendered once per language and variant (the certificate's status), with slots for the
certificate's values, and filled per first visit (`anonymous_page`). On SQLite (`make run` without PostgreSQL)
nothing is stored: every visit is rendered from the database.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import re
from collections.abc import Callable

from django.core.signals import setting_changed
from django.db import connections, router
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .register_labels import SHOWN, VARIANT, labels, shown, status_label, time_shown

# Where the "checked at" time goes in a stored page: markup, which no escaped value can hold (PostgreSQL text cannot
# hold the NUL of the other slots).
CHECKED_SLOT = "<!--iecq:checked-at-->"
VISIT_FUNCTION = "iecq_register_visit"
STORE_FUNCTION = "iecq_register_store"
PRUNE_FUNCTION = "iecq_register_prune"
FILL_FUNCTION = "iecq_register_fill"
FORGET_FUNCTION = "iecq_register_forget"
# The advisory lock every change of what a page prints holds shared until it commits, and a store takes exclusive.
LOCK = 0x1EC0_0000_0001
_VISIT_CALL = f"SELECT * FROM {VISIT_FUNCTION}(%s, %s, %s)"  # noqa: S608 (constants)
_STORE_CALL = f"SELECT {STORE_FUNCTION}(%s, %s, %s, %s, %s, %s)"
_CSRF = re.compile(r"csrfmiddlewaretoken|X-CSRFToken", re.IGNORECASE)
logger = logging.getLogger(__name__)


# --- reading and storing --------------------------------------------------------------------------------
def supported() -> bool:
    """Pages are stored on PostgreSQL only."""
    from .models import Certificate

    return connections[router.db_for_read(Certificate)].vendor == "postgresql"


def visit(number: str, language: str, layout: str) -> tuple[str | None, str | None]:
    """In one statement: (the stored page, None) while it is current and of this `layout`; else (None, the
    certificate's entry as JSON text); (None, None) if no certificate has this number."""
    from iecq.tenancy import scope

    from .models import Certificate
    from .register import REGISTER

    with scope(REGISTER), connections[router.db_for_read(Certificate)].cursor() as cursor:
        cursor.execute(_VISIT_CALL, [number, language, layout])
        row = cursor.fetchone()
    return (None, None) if row is None else (row[0], row[1])


def store(number: str, language: str, entry: str, html: str, fresh_until: datetime.date | None, layout: str) -> bool:
    """Keep `html`, rendered from `entry` in `layout`, while nothing it prints changes; False where it was not kept
    (a change was under way, or has already committed)."""
    from iecq.tenancy import scope

    from .register import REGISTER

    with scope(REGISTER), connections["default"].cursor() as cursor:
        cursor.execute(_STORE_CALL, [number, language, entry, html, fresh_until, layout])
        return bool(cursor.fetchone()[0])


def prune(*, older_than: datetime.timedelta) -> int:
    """Delete the pages stored longer ago than `older_than`, and those past their date; how many."""
    with connections["default"].cursor() as cursor:
        cursor.execute(f"SELECT {PRUNE_FUNCTION}(%s)", [timezone.now() - older_than])
        return int(cursor.fetchone()[0])


def fill_entries(*, batch: int = 1000, patience: float = 30.0) -> int:
    """Compute the entry of every certificate that has none (`RegisterEntry`), `batch` at a time, each batch in
    its own short transaction; how many were filled. A batch waits while a change is under way (it holds the lock
    every change holds); after `patience` seconds of waiting it gives up, and the next run goes on."""
    import time

    connection = connections["default"]
    if connection.in_atomic_block:  # the lock would be held, and every change wait, until the caller commits
        raise RuntimeError("fill_entries runs outside transactions")
    filled, after, waited = 0, 0, 0.0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {FILL_FUNCTION}(%s, %s)", [after, batch])  # noqa: S608 (constant)
            count, last = cursor.fetchone()
        if count == -1:  # a change is under way
            if waited >= patience:
                logger.info("register entries: gave up after %.0f s of changes under way", waited)
                return filled
            time.sleep(0.05)
            waited += 0.05
            continue
        if last is None:
            return filled
        filled, after = filled + count, last


def fill(html: str, *, checked_at: str) -> str:
    return html.replace(CHECKED_SLOT, checked_at)


def checked_now() -> str:
    return time_shown(timezone.now().replace(microsecond=0).isoformat())


class StoredOnceSent(HttpResponse):
    """A response that runs `then` once the server has sent it (WSGI servers, and Django's test client, call
    `close()` after the last byte): storing a first visit's page is not part of the visitor's wait. A failure
    there (the database unreachable) is logged; the page was already answered."""

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


def first_visit_response(request: HttpRequest, entry: str, *, number: str, language: str, layout: str) -> HttpResponse:
    """The anonymous page of the certificate whose entry `visit` gave, stored once it is sent.

    A page read inside a transaction is never stored (its rows may never commit); that is decided now, while the
    transaction is still open, not once the response is closed."""
    from .models import Certificate
    from .register import record_from_entry

    record = record_from_entry(json.loads(entry))
    page = anonymous_page(request, record)
    body = fill(page, checked_at=time_shown(record["checked_at"]))
    if connections[router.db_for_read(Certificate)].in_atomic_block or connections["default"].in_atomic_block:
        return HttpResponse(body)
    # From the day after its expiry date, a valid certificate's page must no longer allow the mark.
    fresh_until = datetime.date.fromisoformat(record["expires_on"]) if record["mark_allowed"] else None
    return StoredOnceSent(body, then=lambda: store(number, language, entry, page, fresh_until, layout))


# --- the anonymous page: rendered once per language and variant, the certificate's values filled in ------------
_SLOT = re.compile("\x00iecq-slot:([a-z_]+)\x00")
# Per language and variant: the page split at its slots, [text, slot name, text, slot name, …, text].
_skeletons: dict[tuple, list[str]] = {}


def _slot(name: str) -> SafeString:
    return mark_safe(f"\x00iecq-slot:{name}\x00")  # noqa: S308 (a marker: no markup, replaced before it is sent)


def anonymous_page(request: HttpRequest, record: dict) -> str:
    """The page verify.html renders for an anonymous request without a query string, byte for byte (tested), with
    the "checked at" time left as a slot (`CHECKED_SLOT`, filled by `fill`).

    Rendering it per certificate was most of a first visit's time in Python (the layout 2 of 2.5 ms; then the
    content's 30-odd variables, 0.1 ms). What varies from one certificate to the next is only what
    `register_labels.shown` gives and the path the language form returns to; what else the page says depends on
    the language and the certificate's status (`register_labels.VARIANT`). So the page is rendered once per
    language and variant, with slots for those values (its *skeleton*), and filled in one pass per visit. The
    layout reads only what is the same for every such request: the anonymous principal's navigation, the
    language, the site's name."""
    if request.user.is_authenticated:  # the layout shows who is signed in; it must never be shared
        raise ValueError("anonymous_page is for anonymous requests")
    skeleton = _skeleton_of(request, record)
    values = {**shown(record), "checked_at": CHECKED_SLOT, "path": escape(request.get_full_path())}
    parts = skeleton.copy()
    for i in range(1, len(parts), 2):
        parts[i] = values[parts[i]]
    return "".join(parts)


def _skeleton(request: HttpRequest, record: dict) -> list[str]:
    slots = {name: _slot(name) for name in SHOWN}
    variant = {field: record[field] for field in VARIANT}  # nothing else of the record: no value can be frozen in
    context = {"record": variant, "shown": slots, "labels": labels()}
    content = render_to_string("register/verify_record.html", context)
    page = render_to_string(
        "register/verify_shell.html",
        {"slots": {"title": slots["number"], "path": _slot("path"), "content": mark_safe(content)}},  # noqa: S308
        request=request,
    )
    if _slot("path") not in page or _slot("number") not in page or _slot("checked_at") not in page:
        raise ValueError("register/verify_shell.html lost a slot")  # (each variant's content is tested byte for byte)
    if _CSRF.search(page):  # one visitor's token would be served to everyone
        raise ValueError("the anonymous verification page must not carry a CSRF token")
    return _SLOT.split(page)  # (the split keeps each slot's name at the odd positions)


# Per language: a digest of every skeleton of the language (`layout`).
_layouts: dict[str | None, str] = {}


def layout(request: HttpRequest) -> str:
    """The layout of the active language's anonymous pages: a digest of the skeletons of every variant (each
    status, and a valid one with and without its mark), rendered once per process and language. A page is stored
    with the layout it was rendered in and served only while it is the current one: after a deployment that
    changed a template, a style sheet's hashed name or a translation, stored pages are rendered again at their
    next visit rather than served as they were."""
    from .choices import CertificateState

    language = translation.get_language()
    found = _layouts.get(language)
    if found is None:
        digest = hashlib.sha256()
        for state in CertificateState.values:
            for mark in (False, True) if state == CertificateState.VALID else (False,):
                variant = {"status": state, "status_label": status_label(state), "mark_allowed": mark}
                digest.update("\x00".join(_skeleton_of(request, variant)).encode())
        found = _layouts[language] = digest.hexdigest()[:16]
    return found


def _skeleton_of(request: HttpRequest, record: dict) -> list[str]:
    key = (translation.get_language(), *(record[field] for field in VARIANT))
    skeleton = _skeletons.get(key)
    if skeleton is None:
        skeleton = _skeletons[key] = _skeleton(request, record)
    return skeleton


def _forget_skeletons(**kwargs) -> None:
    _skeletons.clear()  # a setting the layout reads may have changed (tests override them)
    _layouts.clear()


def connect() -> None:
    setting_changed.connect(_forget_skeletons, dispatch_uid="register_cache_skeletons")


# --- the database's side: the page table's functions and the triggers that forget ---------------------------
def _forget_sources() -> dict[str, tuple[str, tuple[str, ...]]]:
    """For each table whose values a page prints: the numbers of the certificates whose pages its changed rows
    (`iecq_changed`, the statement's transition table) make stale, and the events that can change them."""
    from django.contrib.contenttypes.models import ContentType

    from iecq.models import TransitionLog

    from .models import Certificate

    cert = Certificate._meta.db_table

    def via(column: str) -> str:
        return f"SELECT c.number FROM {cert} c WHERE c.{column} IN (SELECT id FROM iecq_changed)"  # noqa: S608

    sources = {
        cert: ("SELECT number FROM iecq_changed", ("UPDATE", "DELETE")),  # a new certificate has no page yet
        TransitionLog._meta.db_table: (
            f"SELECT c.number FROM {cert} c WHERE c.id IN (SELECT object_id FROM iecq_changed "  # noqa: S608
            f"WHERE content_type_id = (SELECT id FROM {ContentType._meta.db_table} "
            "WHERE app_label = 'certification' AND model = 'certificate'))",
            ("INSERT", "UPDATE", "DELETE"),
        ),
    }
    for name in ("manufacturer", "certification_body", "scheme"):
        field = Certificate._meta.get_field(name)
        sources[field.related_model._meta.db_table] = (via(field.column), ("UPDATE", "DELETE"))
    for name in ("technologies", "sites"):
        field = Certificate._meta.get_field(name)
        through = field.remote_field.through._meta.db_table
        own, other = field.m2m_column_name(), field.m2m_reverse_name()
        sources[through] = (
            f"SELECT c.number FROM {cert} c WHERE c.id IN (SELECT {own} FROM iecq_changed)",  # noqa: S608
            ("INSERT", "UPDATE", "DELETE"),
        )
        sources[field.related_model._meta.db_table] = (
            f"SELECT c.number FROM {cert} c JOIN {through} t ON t.{own} = c.id "  # noqa: S608
            f"WHERE t.{other} IN (SELECT id FROM iecq_changed)",
            ("UPDATE", "DELETE"),
        )
    return sources


def statements() -> list[str]:
    """The DDL of the page and entry tables' protection, their functions and the triggers that forget them."""
    from .models import Certificate, RegisterEntry, RegisterPage

    page = RegisterPage._meta.db_table
    entries = RegisterEntry._meta.db_table
    cert = Certificate._meta.db_table
    definer = "SECURITY DEFINER SET search_path = public"
    today = "(now() AT TIME ZONE 'UTC')::date"
    out = [
        f"ALTER TABLE {page} ENABLE ROW LEVEL SECURITY",  # no policy: the application's role sees no row
        f"ALTER TABLE {entries} ENABLE ROW LEVEL SECURITY",
        f"CREATE OR REPLACE FUNCTION {VISIT_FUNCTION}(p_number text, p_language text, p_layout text) "  # noqa: S608
        f"RETURNS TABLE(page text, entry text) LANGUAGE plpgsql STABLE {definer} AS $visit$ BEGIN "
        f"RETURN QUERY SELECT p.html, NULL::text FROM {page} p WHERE p.number = p_number AND p.language = p_language "
        f"AND p.layout = p_layout AND (p.fresh_until IS NULL OR p.fresh_until >= {today}); "
        "IF FOUND THEN RETURN; END IF; "
        f"RETURN QUERY SELECT NULL::text, r.entry FROM {entries} r WHERE r.number = p_number; "  # kept ready
        "IF NOT FOUND THEN RETURN QUERY SELECT NULL::text, e::text FROM iecq_register_entry(p_number) AS e; END IF; "
        "END $visit$",
        f"CREATE OR REPLACE FUNCTION {STORE_FUNCTION}(p_number text, p_language text, p_entry text, p_html text, "  # noqa: S608
        f"p_fresh_until date, p_layout text) RETURNS boolean LANGUAGE plpgsql VOLATILE {definer} AS $store$ BEGIN "
        # A snapshot per statement, taken after the lock below, is what makes the check true: READ COMMITTED only.
        "IF current_setting('transaction_isolation') <> 'read committed' THEN RETURN false; END IF; "
        # Every change of what a page prints holds this lock shared until it commits: none may be under way.
        f"IF NOT pg_try_advisory_xact_lock({LOCK}) THEN RETURN false; END IF; "
        # A new snapshot: every change made before the lock was taken has committed and is seen here.
        "IF NOT EXISTS (SELECT 1 FROM iecq_register_entry(p_number) AS e WHERE e::text = p_entry) "
        "THEN RETURN false; END IF; "
        "PERFORM set_config('synchronous_commit', 'off', true); "  # a page lost in a crash is only a miss
        f"INSERT INTO {page} (number, language, html, fresh_until, stored_at, layout) "
        "VALUES (p_number, p_language, p_html, p_fresh_until, now(), p_layout) ON CONFLICT (number, language) "
        "DO UPDATE SET html = EXCLUDED.html, fresh_until = EXCLUDED.fresh_until, stored_at = EXCLUDED.stored_at, "
        "layout = EXCLUDED.layout; "
        # The entry too, where none was kept; a kept one is this one (any change since would have deleted it), and
        # is not written again: an update would leave a dead row behind each first visit.
        f"INSERT INTO {entries} (number, entry) VALUES (p_number, p_entry) ON CONFLICT (number) DO NOTHING; "
        "RETURN true; END $store$",
        # Fill the entries of up to p_limit certificates after id p_after that have none: found before the lock (a
        # search of the whole register when none is missing), then computed under the same lock and in the same
        # fresh snapshot as a store. (How many, the last id covered); (0, NULL) when none is left after p_after;
        # (-1, p_after) when a change is under way (nothing done: try again).
        f"CREATE OR REPLACE FUNCTION {FILL_FUNCTION}(p_after bigint, p_limit integer) "  # noqa: S608
        f"RETURNS TABLE(filled bigint, last_id bigint) LANGUAGE plpgsql VOLATILE {definer} AS $fill$ "
        "DECLARE ids bigint[]; n bigint; BEGIN "
        f"ids := ARRAY(SELECT c.id FROM {cert} c WHERE c.id > p_after AND NOT EXISTS "
        f"(SELECT 1 FROM {entries} r WHERE r.number = c.number) ORDER BY c.id LIMIT p_limit); "
        "IF cardinality(ids) = 0 THEN RETURN QUERY SELECT 0::bigint, NULL::bigint; RETURN; END IF; "
        "IF current_setting('transaction_isolation') <> 'read committed' "
        f"OR NOT pg_try_advisory_xact_lock({LOCK}) THEN RETURN QUERY SELECT -1::bigint, p_after; RETURN; END IF; "
        "PERFORM set_config('synchronous_commit', 'off', true); "  # an entry lost in a crash is computed again
        f"INSERT INTO {entries} (number, entry) SELECT c.number, e::text FROM {cert} c "
        "CROSS JOIN LATERAL iecq_register_entry(c.number) AS e WHERE c.id = ANY(ids) ON CONFLICT (number) DO NOTHING; "
        "GET DIAGNOSTICS n = ROW_COUNT; "  # (a first visit may have stored one of them meanwhile)
        "RETURN QUERY SELECT n, ids[cardinality(ids)]; END $fill$",
        # The signatures before pages had a layout, for the processes of the previous release while a deployment
        # replaces them: they are answered with the entry (no page is in their layout), and what they store is
        # never served. (To be dropped once no release before 2026-11-27 runs.)
        f"CREATE OR REPLACE FUNCTION {VISIT_FUNCTION}(p_number text, p_language text) "  # noqa: S608
        f"RETURNS TABLE(page text, entry text) LANGUAGE sql STABLE {definer} AS $visit$ "
        f"SELECT * FROM {VISIT_FUNCTION}(p_number, p_language, '') $visit$",
        f"CREATE OR REPLACE FUNCTION {STORE_FUNCTION}(p_number text, p_language text, p_entry text, p_html text, "
        f"p_fresh_until date) RETURNS boolean LANGUAGE sql VOLATILE {definer} AS $store$ "
        f"SELECT {STORE_FUNCTION}(p_number, p_language, p_entry, p_html, p_fresh_until, '') $store$",
        f"CREATE OR REPLACE FUNCTION {PRUNE_FUNCTION}(p_before timestamptz) RETURNS bigint LANGUAGE plpgsql "  # noqa: S608
        f"VOLATILE {definer} AS $prune$ DECLARE n bigint; BEGIN "
        f"DELETE FROM {page} WHERE stored_at < p_before OR fresh_until < {today}; "
        "GET DIAGNOSTICS n = ROW_COUNT; RETURN n; END $prune$",
        f"CREATE OR REPLACE FUNCTION {FORGET_FUNCTION}_all() RETURNS trigger LANGUAGE plpgsql {definer} AS $forget$ "  # noqa: S608
        f"BEGIN PERFORM pg_advisory_xact_lock_shared({LOCK}); DELETE FROM {page}; DELETE FROM {entries}; "
        "RETURN NULL; END $forget$",
    ]
    for table, (numbers, events) in _forget_sources().items():
        function = f"{FORGET_FUNCTION}_{table}"
        out.append(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql {definer} AS $forget$ BEGIN "  # noqa: S608
            f"PERFORM pg_advisory_xact_lock_shared({LOCK}); "  # held until this change commits: no store meanwhile
            f"IF EXISTS (SELECT 1 FROM {page}) THEN DELETE FROM {page} WHERE number IN ({numbers}); END IF; "
            f"IF EXISTS (SELECT 1 FROM {entries}) THEN DELETE FROM {entries} WHERE number IN ({numbers}); END IF; "
            "RETURN NULL; END $forget$"
        )
        triggers = [(f"iecq_forget_{event.lower()}", event, "OLD" if event == "DELETE" else "NEW") for event in events]
        if "UPDATE" in events:  # a row's old and new values may concern different certificates
            triggers.append(("iecq_forget_update_old", "UPDATE", "OLD"))
        for name, event, side in triggers:
            out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            out.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {side} TABLE AS iecq_changed "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
        out.append(f"DROP TRIGGER IF EXISTS iecq_forget_truncate ON {table}")
        out.append(
            f"CREATE TRIGGER iecq_forget_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FORGET_FUNCTION}_all()"
        )
    return out


def install(using: str = "default") -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in statements():
                cursor.execute(statement)


def on_post_migrate(sender, using="default", **kwargs) -> None:
    install(using)
