"""Accessibility of every portal page, as every role, checked by axe-core in Debian's chromium (PL-06).

A crawler signs in as each role and follows the links it is offered from the home page: the navigation, each list,
one page of each kind (a detail page, a form) and the public pages. Every page gets axe-core (vendored in
tests/vendor/axe-core, run from the test only, never served) and the test fails on any "serious" or "critical"
violation, listing the rule, the page and the elements. Following links is safe: a GET never changes anything.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from iecq.roles import Role

from . import browser_support
from .browser_support import AXE, shot, sign_in

# The module's fixtures `browser` (one chromium), `context` and `page` (fresh for each test).
browser_fixture, context_fixture, page_fixture = (
    browser_support.browser_fixture,
    browser_support.context_fixture,
    browser_support.page_fixture,
)

pytestmark = [pytest.mark.browser, pytest.mark.req("PL-06")]

# Not pages of the portal: files, feeds, machine answers, the API's own Swagger UI, and signing out.
SKIPPED = re.compile(
    r"^/(api/|i18n/|jsi18n/|static/|media/|calendar\.ics|accounts/logout/|healthz)"
    r"|(\.pdf|\.atom|\.json|\.ics|/download/|/pdf/)$"
)
BLOCKING = {"serious", "critical"}
# The pages a role always gets checked on, besides what the crawler finds.
PUBLIC_START = ["/", "/accounts/login/", "/register/", "/bulletin/", "/bulletin/report-a-defect/", "/bodies/"]
MAX_PAGES = 70
# Pages that are the same for every role but for the header (itself checked on every page): reference data, the
# public register and bulletin, the account pages. The first role that meets one checks it; the others skip it.
SAME_FOR_EVERY_ROLE = re.compile(
    r"^/(bodies/(technologies|schemes|accreditation-bodies|proficiency-rounds|supervisory-bodies|reference)/"
    r"|register/|bulletin/|accounts/)"
)
checked_for_every_role: set[str] = set()

RUN_AXE = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return {passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\\n')[1])}))};
}"""


def kind_of(path: str) -> str:
    """One page of each kind: record ids and certificate numbers are not what makes a page different."""
    path = re.sub(r"/\d+/", "/<pk>/", path)
    return re.sub(r"^/register/[^/]+/$", "/register/<number>/", path)


def crawl_and_check(page, base: str, start: list[str]) -> tuple[list[str], list[str]]:
    """Visit the start pages and every page of a new kind they link to; return (pages, violations)."""
    queue = list(start)
    seen_kinds: set[str] = set()
    visited: list[str] = []
    problems: list[str] = []
    while queue and len(visited) < MAX_PAGES:
        path = queue.pop(0)
        kind = kind_of(path)
        if kind in seen_kinds or (kind in checked_for_every_role and kind not in start):
            continue
        seen_kinds.add(kind)
        if SAME_FOR_EVERY_ROLE.match(kind):
            checked_for_every_role.add(kind)
        response = page.goto(base + path)
        assert response is not None and response.status < 500, f"{path} answered {response and response.status}"
        if page.locator('[hx-trigger~="load"]').count():
            page.wait_for_load_state("networkidle")
        visited.append(path)
        result = page.evaluate(RUN_AXE)
        assert result["passes"] >= 10, f"axe-core did not run on {path}"
        for v in result["violations"]:
            if v["impact"] in BLOCKING:
                problems.append(f"{path} [{v['impact']}] {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]))
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
            parts = urlsplit(href)
            if f"{parts.scheme}://{parts.netloc}" != base or parts.query or SKIPPED.search(parts.path):
                continue
            if kind_of(parts.path) not in seen_kinds:
                queue.append(parts.path)
    return visited, problems


@pytest.fixture
def axe_page(context):
    context.add_init_script(path=str(AXE))
    return context.new_page()


# One role of each kind of organisation (a CB's auditor sees what its certification manager sees, with fewer forms).
def test_the_checker_reports_what_it_should(axe_page):
    """A page with known faults fails, so a green run above means the pages are clean, not that axe was idle."""
    axe_page.set_content('<html><body><img src="x.png"><input type="text"></body></html>')
    found = {(v["id"], v["impact"]) for v in axe_page.evaluate(RUN_AXE)["violations"]}
    assert {("image-alt", "critical"), ("label", "critical"), ("html-has-lang", "serious")} <= found


ROLES = [
    None,  # the public
    Role.MF_QUALITY_MANAGER,
    Role.CB_CERTIFICATION_MANAGER,
    Role.SB_VIEWER,
    "operator",
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES, ids=lambda r: str(r or "public"))
def test_every_page_has_no_serious_accessibility_violation(world, live_server, axe_page, role):
    from certification.models import Certificate

    base = live_server.url
    start = list(PUBLIC_START) if role is None else ["/"]
    if role is not None:
        user = world.operator[0] if role == "operator" else world.a.users[role][0]
        sign_in(axe_page, base, user.username)
        start += ["/notifications/", "/accounts/two-factor/"]
    else:
        start.append(f"/register/{world.a.records[Certificate].number}/")
    visited, problems = crawl_and_check(axe_page, base, start)
    # The crawler must have reached the role's lists, details and forms, or a green result would mean nothing.
    assert len(visited) >= (6 if role is None else 15), visited
    if problems:
        shot(axe_page, f"axe-failure-{role or 'public'}")
    assert not problems, f"{len(problems)} serious or critical violations:\n" + "\n".join(problems)


FOCUS_STYLE = """() => { const s = getComputedStyle(document.activeElement);
  return {tag: document.activeElement.tagName, id: document.activeElement.id, text: document.activeElement.textContent,
          style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor}; }"""


@pytest.mark.django_db(transaction=True)
def test_the_keyboard_skips_to_the_content_and_always_shows_where_it_is(world, live_server, page):
    user, _p = world.a.users[Role.MF_QUALITY_MANAGER]
    sign_in(page, live_server.url, user.username)
    page.goto(f"{live_server.url}/certification/applications/new/")
    page.keyboard.press("Tab")
    skip = page.evaluate(FOCUS_STYLE)
    assert "Skip to content" in skip["text"] and skip["style"] == "solid" and skip["width"] >= 2, skip
    page.keyboard.press("Enter")
    assert page.evaluate(FOCUS_STYLE)["id"] == "main"  # focus moved: the next Tab is inside the content
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUS_STYLE)
    assert first["tag"] in ("A", "SELECT", "INPUT", "BUTTON", "TEXTAREA"), first
    assert first["style"] == "solid" and first["width"] >= 2, first
    # Dark on the light page, yellow on the dark top bar: never the same colour as what is behind it.
    assert first["color"] != skip["color"]
