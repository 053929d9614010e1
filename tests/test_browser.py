"""The portal in a real browser: Debian's chromium driven by Playwright (PL-06).

Screenshots go to test-artifacts/screenshots/, which the test run keeps.
"""

import os
from pathlib import Path

import pytest
from django.db import connections

from bodies.choices import CertificationBodyState as S
from bodies.models import CertificationBody
from iecq.roles import Role
from iecq.tenancy import scope

from .factories import PASSWORD, SYSTEM

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.req("PL-06")]


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the test are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield b
        # While Playwright's loop runs, Django keeps the test's database connection in a context of its
        # own (asgiref); close it here, or it outlives the test and blocks dropping the test database.
        connections.close_all()
        b.close()


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.django_db(transaction=True)
def test_operator_starts_a_cb_assessment_in_the_browser(world, live_server, browser):
    page = browser.new_page()
    sign_in(page, live_server.url, world.operator[0].username)
    page.screenshot(path=str(SHOTS / "operator-home.png"), full_page=True)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Certification bodies").click()
    page.get_by_role("link", name="Alphaside Certification").click()
    page.get_by_label("Reason").first.fill("Application file complete")
    page.get_by_role("button", name="Start assessment").click()
    page.get_by_text("Done: Start assessment.").wait_for()
    assert page.get_by_role("cell", name="Application file complete").is_visible()
    page.screenshot(path=str(SHOTS / "operator-cb-under-assessment.png"), full_page=True)
    with scope(SYSTEM):
        assert CertificationBody.objects.get(pk=world.a.cb.pk).state == S.UNDER_ASSESSMENT


@pytest.mark.django_db(transaction=True)
def test_manufacturer_sees_only_its_company(world, live_server, browser):
    page = browser.new_page()
    user, _p = world.a.users[Role.MF_QUALITY_MANAGER]
    sign_in(page, live_server.url, user.username)
    page.get_by_role("link", name="My company").first.click()
    page.get_by_role("heading", name="Alphaside Components").wait_for()
    page.screenshot(path=str(SHOTS / "manufacturer-company.png"), full_page=True)
    page.goto(f"{live_server.url}/manufacturers/{world.b.manufacturer.pk}/")
    assert "Bravoside" not in page.content()
    assert page.get_by_role("heading", name="404").is_visible()


@pytest.mark.django_db(transaction=True)
def test_keyboard_reaches_the_main_content(world, live_server, browser):
    page = browser.new_page()
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Skip to content" in focused
