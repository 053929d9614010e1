"""The import pages in a real browser: upload, the report of rejected rows, and the htmx-polled progress bar."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from iecq.imports import services
from iecq.imports.runner import run_import
from iecq.roles import Role
from iecq.tenancy import scope
from manufacturers.models import Manufacturer

from . import test_browser
from .factories import SYSTEM
from .test_browser import SHOTS, sign_in

browser = test_browser.browser  # the real-browser fixture, shared with tests/test_browser.py

pytestmark = [pytest.mark.browser, pytest.mark.req("PL-06")]


@pytest.mark.django_db(transaction=True)
def test_a_cb_manager_imports_sees_rejected_rows_and_a_running_job_finishes_on_screen(
    world, live_server, browser, tmp_path, monkeypatch
):
    page = browser.new_page()
    sign_in(page, live_server.url, world.a.users[Role.CB_CERTIFICATION_MANAGER][0].username)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    bad = tmp_path / "register.csv"
    bad.write_text("name,country\nZeta Components,GB\n@SUM(A1),GB\nZeta Components,GB\n")
    page.get_by_label("What the file holds").select_option("manufacturers")
    page.locator("#id_file").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Nothing was written: 2 rows have errors.").wait_for()
    assert page.get_by_role("cell", name="The same manufacturer is already on row 2.").is_visible()
    page.screenshot(path=str(SHOTS / "import-rejected.png"), full_page=True)

    # A job still queued: its page polls, and shows the end without a reload once a worker ran it.
    _user, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    monkeypatch.setattr("iecq.imports.tasks.import_job_run.enqueue", lambda **kw: None)
    job = services.import_job_create(
        actor=manager, kind="manufacturers", file=SimpleUploadedFile("ok.csv", b"name,country\nZeta Components,GB\n")
    )
    page.goto(f"{live_server.url}/certification/imports/{job.pk}/")
    page.get_by_text("Waiting for a worker").wait_for()
    run_import(actor=manager, job_id=job.pk)
    page.get_by_text("1 row was written.").wait_for(timeout=15_000)
    assert page.locator("progress").get_attribute("value") == "100"
    page.screenshot(path=str(SHOTS / "import-done.png"), full_page=True)
    with scope(SYSTEM):
        assert Manufacturer.objects.filter(name="Zeta Components").count() == 1
