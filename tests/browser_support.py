"""One Debian chromium per test module, driven by Playwright, for the accessibility and journey tests (PL-06).

A test module binds `browser_fixture`, `context_fixture` and `page_fixture` to use the fixtures `browser`,
`context` and `page`; screenshots go to test-artifacts/screenshots/, which the test run keeps. The browser is
shared by the module's tests (starting chromium costs seconds); each test gets a fresh context, so cookies and
sessions never leak from one test to the next.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connections

from .factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module", name="browser")
def browser_fixture():
    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the tests are still synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield b
            b.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(name="context")
def context_fixture(browser):
    """A fresh browser context (cookies, storage) for one test."""
    ctx = browser.new_context()
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()
    # While Playwright's loop runs, Django keeps the test's database connection in a context of its own (asgiref);
    # close it here, or it outlives the test and blocks flushing or dropping the test database.
    connections.close_all()


@pytest.fixture(name="page")
def page_fixture(context):
    return context.new_page()


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
