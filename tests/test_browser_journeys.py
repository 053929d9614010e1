"""Whole journeys through the portal in Debian's chromium, each pressing the portal's real buttons (PL-06).

(a) a manufacturer applies and uploads evidence; (b) a CB takes an application to a certificate; (c) an auditor
records a nonconformity at a surveillance audit, the manufacturer answers the CAR and the CB accepts it; (d) a
supervisory body reads what it oversees; (e) the public verifies a suspended certificate. One chromium for the
module; screenshots of each step in test-artifacts/screenshots/journey-*.png.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from iecq.roles import Role
from iecq.tenancy import scope

from . import browser_support
from .browser_support import shot, sign_in, sign_out
from .factories import SYSTEM

# The module's fixtures `browser` (one chromium), `context` and `page` (fresh for each test).
browser_fixture, context_fixture, page_fixture = (
    browser_support.browser_fixture,
    browser_support.context_fixture,
    browser_support.page_fixture,
)

pytestmark = [pytest.mark.browser, pytest.mark.req("PL-06"), pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def approve(world) -> None:
    """Side A's CB becomes able to accept applications (qualified, assessed, approved by the operator)."""
    from bodies.services import certification_body_transition

    from .factories import qualify_for_approval

    qualify_for_approval(world.a.cb, marker="journey")
    operator = world.operator[1]
    certification_body_transition(actor=operator, pk=world.a.cb.pk, name="start_assessment")
    certification_body_transition(actor=operator, pk=world.a.cb.pk, name="approve")


def press(page, action: str, reason: str = "") -> None:
    """Press a transition's button on a detail page, with its reason, and wait for the portal's answer."""
    form = page.locator("form.transition").filter(has=page.get_by_role("button", name=action, exact=True))
    if reason:
        form.get_by_label("Reason").fill(reason)
    form.get_by_role("button", name=action, exact=True).click()
    page.get_by_text(f"Done: {action}.").wait_for()


def fetch(model, **lookup):
    with scope(SYSTEM):
        return model.objects.get(**lookup)


@pytest.mark.req("MF-02", "MF-04")
def test_a_manufacturer_applies_and_uploads_evidence(world, live_server, page, tmp_path):
    from certification.choices import ApplicationState
    from certification.models import Application

    approve(world)
    base = live_server.url
    user, _p = world.a.users[Role.MF_QUALITY_MANAGER]
    sign_in(page, base, user.username)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Applications").click()
    page.get_by_role("link", name="New", exact=True).click()
    page.get_by_role("heading", name="Apply for certification").wait_for()
    page.get_by_label("Certification body").select_option(label="Alphaside Certification")
    page.get_by_label("Scheme").select_option(index=1)
    page.get_by_label("Capacitors").check()
    page.get_by_label("Component types").fill("Multilayer ceramic capacitors, 0402 and 0603")
    page.get_by_label("Alphaside Components main site").check()
    shot(page, "journey-a-1-application-form")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="APP-").wait_for()
    shot(page, "journey-a-2-inquiry-recorded")

    document = tmp_path / "quality-manual.pdf"
    document.write_bytes(PDF)
    evidence = page.get_by_role("region", name="Evidence")
    evidence.get_by_label("Title").fill("Quality manual, revision 7")
    evidence.get_by_label("Effective date").fill(timezone.now().date().isoformat())
    evidence.get_by_label("Document").set_input_files(str(document))
    evidence.get_by_role("button", name="Upload").click()
    page.get_by_text("Quality manual, revision 7").first.wait_for()
    press(page, "Submit application", "Complete file with the quality manual")
    shot(page, "journey-a-3-application-submitted")

    with scope(SYSTEM):
        app = Application.objects.get(manufacturer=world.a.manufacturer, component_types__startswith="Multilayer")
        assert app.state == ApplicationState.SUBMITTED
        assert app.evidence.filter(title="Quality manual, revision 7", stage=ApplicationState.INQUIRY).exists()


@pytest.mark.req("MF-01", "MF-03", "CE-01")
def test_a_cb_takes_an_application_to_a_certificate(world, live_server, page):
    from bodies.models import Auditor
    from certification import services
    from certification.choices import ApplicationState
    from certification.models import Application, Certificate
    from manufacturers.models import Site

    from .test_certification_portal import reference_data

    approve(world)
    scheme, tech = reference_data()
    _u, applicant = world.a.users[Role.MF_QUALITY_MANAGER]
    with scope(SYSTEM):
        site = Site.objects.filter(manufacturer=world.a.manufacturer).first()
    # What journey (a) does in the browser, through the same services.
    app = services.application_create(
        actor=applicant,
        certification_body=world.a.cb,
        scheme=scheme,
        technologies=[tech],
        component_types="Tantalum capacitors, case sizes A to E",
        sites=[site],
    )
    services.application_transition(actor=applicant, pk=app.pk, name="submit")

    base = live_server.url
    manager, _p = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    sign_in(page, base, manager.username)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Applications").click()
    page.get_by_role("link", name=app.reference).click()
    press(page, "Start review", "Application complete, scope within our accreditation")
    assert page.get_by_text("Assign the audit team first").is_visible()  # why the assessment is not offered yet
    team = page.get_by_role("region", name="Evaluation team")
    team.get_by_label("Auditor").select_option(label=fetch(Auditor, pk=world.a.records[Auditor].pk).name)
    team.get_by_label("Role").select_option(label="Lead auditor")
    team.get_by_role("button", name="Assign").click()
    page.get_by_text("The auditor is on the team.").wait_for()
    shot(page, "journey-b-1-team-assigned")
    press(page, "Start preliminary QMS assessment", "Stage 1 audit on site next week")
    press(page, "Accept the QMS", "Stage 1 audit: QMS meets QC 001002-3, no finding")
    press(page, "Start technology qualification / capability approval", "Qualification test plan agreed")
    press(page, "Start product certification", "Qualification tests passed")
    shot(page, "journey-b-2-ready-for-decision")
    press(page, "Certify (issues the certificate)", "Evaluation complete; decided by a manager who did not audit")
    shot(page, "journey-b-3-certified")
    page.get_by_role("link", name="IECQ-").first.click()
    page.get_by_role("heading", name="IECQ-").wait_for()
    shot(page, "journey-b-4-certificate")

    assert fetch(Application, pk=app.pk).state == ApplicationState.CERTIFIED
    cert = fetch(Certificate, application_id=app.pk)
    assert cert.number in page.content() and cert.state == "valid"


@pytest.mark.req("SV-04", "SA-01")
def test_an_auditor_records_a_nonconformity_and_the_car_is_answered_and_accepted(world, live_server, page):
    from sanctions.models import CorrectiveActionRequest
    from surveillance.models import Nonconformity, SurveillanceAudit

    audit = world.a.records[SurveillanceAudit]
    with scope(SYSTEM):
        SurveillanceAudit.objects.filter(pk=audit.pk).update(scheduled_for=timezone.now().date() + timedelta(days=1))
    base = live_server.url

    # The certification manager schedules and opens the audit.
    manager, _p = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    sign_in(page, base, manager.username)
    page.goto(f"{base}/surveillance/audits/{audit.pk}/")
    press(page, "Schedule", "Team and date confirmed with the manufacturer")
    press(page, "Start the audit", "Opening meeting held")
    sign_out(page)

    # The auditor records what was found.
    auditor, _p = world.a.users[Role.CB_AUDITOR]
    sign_in(page, base, auditor.username)
    page.goto(f"{base}/surveillance/audits/{audit.pk}/")
    findings = page.get_by_role("region", name="Nonconformities")
    findings.get_by_label("Major").check()
    findings.get_by_label("Requirement").fill("IEC QC 001002-3, 4.2.3: control of documents")
    findings.get_by_label("Finding").fill("Two superseded work instructions in use on the taping line.")
    shot(page, "journey-c-1-nonconformity-form")
    findings.get_by_role("button", name="Record").click()
    page.get_by_text("The nonconformity is recorded").wait_for()
    assert page.get_by_role("link", name="IEC QC 001002-3, 4.2.3: control of documents").is_visible()
    shot(page, "journey-c-2-nonconformity-recorded")
    sign_out(page)
    with scope(SYSTEM):
        nc = Nonconformity.objects.get(audit=audit, grade="major")
    assert nc.requirement.startswith("IEC QC 001002-3")

    # The manager issues a corrective action request about it.
    sign_in(page, base, manager.username)
    page.goto(f"{base}/sanctions/cars/new/")
    page.get_by_label("Certificate").select_option(value=str(audit.certificate_id))
    page.get_by_label("What must be corrected").fill(
        f"Nonconformity {nc.pk}: withdraw superseded work instructions and show the document control records."
    )
    page.get_by_role("button", name="Issue the request").click()
    page.get_by_text("The corrective action request is issued").wait_for()
    car_url = page.url
    sign_out(page)

    # The manufacturer answers online.
    quality, _p = world.a.users[Role.MF_QUALITY_MANAGER]
    sign_in(page, base, quality.username)
    page.goto(car_url)
    page.get_by_label("Your response").fill(
        "Superseded instructions withdrawn on all lines; document control now checks each line weekly (record DC-17)."
    )
    shot(page, "journey-c-3-car-answer")
    page.get_by_role("button", name="Submit the response").click()
    page.get_by_text("Your response is submitted").wait_for()
    sign_out(page)

    # The CB accepts the answer.
    sign_in(page, base, manager.username)
    page.goto(car_url)
    press(page, "Accept the response", "Evidence DC-17 seen; effective")
    shot(page, "journey-c-4-car-accepted")
    with scope(SYSTEM):
        car = CorrectiveActionRequest.objects.filter(request__startswith=f"Nonconformity {nc.pk}:").get()
    assert car.state == "accepted" and "DC-17" in car.response
    assert car.certificate_id == audit.certificate_id  # the CAR is about the audited certificate


@pytest.mark.req("PL-05")
def test_a_supervisor_reads_what_it_oversees(world, live_server, page):
    from certification.models import Certificate

    base = live_server.url
    viewer, _p = world.a.users[Role.SB_VIEWER]
    sign_in(page, base, viewer.username)
    page.goto(base + "/")
    shot(page, "journey-d-1-supervisor-home")
    # The dashboard of its own country (PL-05): charts drawn on the server with their tables, and CSV.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.get_by_role("heading", name="Certificates by status").wait_for()
    assert page.locator("svg title").count() >= 3
    assert "Bravoside" not in page.content()
    with page.expect_download() as download:
        page.locator("a[href*='format=csv'][href*='certificates_by_status']").first.click()
    assert "Valid,1\n" in Path(download.value.path()).read_text(encoding="utf-8-sig")  # side A: one valid
    shot(page, "journey-d-2-supervisor-dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Certificates").click()
    cert = world.a.records[Certificate]
    page.get_by_role("link", name=cert.number).wait_for()
    assert "Bravoside" not in page.content()  # another country's certificates are not its to see
    shot(page, "journey-d-3-supervisor-certificates")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Certificate register").click()
    page.get_by_label("Certificate number").fill(cert.number)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=cert.number).click()
    page.get_by_text("valid", exact=False).first.wait_for()
    shot(page, "journey-d-4-supervisor-register")


@pytest.mark.req("CE-04", "CE-05", "SA-03")
def test_the_public_verifies_a_suspended_certificate_on_the_register(world, live_server, page):
    from certification.models import Certificate
    from certification.services import certificate_transition

    cert = world.a.records[Certificate]
    _u, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    certificate_transition(actor=manager, pk=cert.pk, name="suspend", reason="Major nonconformity not corrected")
    base = live_server.url
    page.goto(f"{base}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Certificate register").click()
    page.get_by_label("Certificate number").fill(cert.number)
    page.get_by_role("button", name="Search").click()
    shot(page, "journey-e-1-register-search")
    page.get_by_role("link", name=cert.number).click()
    page.get_by_text("This certificate is suspended since").wait_for()
    assert page.get_by_text("may not use the IECQ mark").is_visible()
    shot(page, "journey-e-2-suspended-certificate")
    # The visitor reads it in French: the language picker (a GET for anonymous visitors) returns to the same page,
    # and so does the next visit, now served the stored French page.
    verification = page.url
    page.get_by_label("Language").select_option("fr")
    page.get_by_text("Ce certificat est suspendu depuis le").wait_for()
    assert page.url == verification
    page.reload()
    page.get_by_text("Ce certificat est suspendu depuis le").wait_for()
    page.get_by_label("Langue").select_option("en")
    page.get_by_text("This certificate is suspended since").wait_for()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Bulletin").click()
    assert page.get_by_text(cert.number).first.is_visible()  # the suspension is published in the bulletin
    shot(page, "journey-e-3-bulletin")


@pytest.mark.req("SV-05")
def test_the_pcn_form_checks_as_typed_and_keeps_a_draft_in_the_browser(world, live_server, page):
    from certification.models import Certificate
    from surveillance.models import ProcessChangeNotification

    base = live_server.url
    user, _p = world.a.users[Role.MF_QUALITY_MANAGER]
    sign_in(page, base, user.username)
    page.goto(f"{base}/surveillance/pcns/new/")
    page.get_by_label("Certificate").select_option(index=1)
    title = page.locator("#id_title")
    title.fill("Second")
    title.fill("")  # emptied while typing: said at once, before anything is sent
    errors = page.locator("#id_title-field .field-errors")
    errors.get_by_text("This field is required.").wait_for()
    assert title.get_attribute("aria-invalid") == "true"
    shot(page, "journey-f-1-pcn-checked-as-typed")
    title.fill("Second source for the dielectric powder")
    errors.get_by_text("This field is required.").wait_for(state="detached")
    assert title.get_attribute("aria-invalid") is None
    page.get_by_label("Planned for").fill((timezone.now().date() + timedelta(days=30)).isoformat())

    # The manufacturer leaves and comes back: what was typed is there again, from this browser's draft.
    page.goto(f"{base}/")
    page.goto(f"{base}/surveillance/pcns/new/")
    page.get_by_text("Restored from your draft in this browser").wait_for()
    assert page.locator("#id_title").input_value() == "Second source for the dielectric powder"
    shot(page, "journey-f-2-pcn-draft-restored")
    page.get_by_label("Description").fill("Supplier B qualified by lot testing; no change to the formulation.")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your PCN is submitted").wait_for()
    key = f"iecq-draft:pcn-submit:{user.pk}"
    assert page.evaluate(f"localStorage.getItem('{key}')") is None  # submitted: the draft is gone
    with scope(SYSTEM):
        pcn = ProcessChangeNotification.objects.get(title="Second source for the dielectric powder")
    assert pcn.certificate_id == world.a.records[Certificate].pk
