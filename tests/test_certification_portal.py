"""The certification portal: manufacturers apply, upload evidence and follow their applications; the CB walks the
stages, assigns the team and certifies; certificates show their revisions and come as PDF (MF-01 … MF-05,
CE-01 … CE-03, PL-06)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from bodies.models import (
    Auditor,
    AuditorCompetence,
    AuditorTraining,
    IndependenceDeclaration,
    Scheme,
    Technology,
)
from bodies.services import certification_body_transition
from certification import services
from certification.choices import ApplicationState as A
from certification.choices import CertificateState as C
from certification.models import Application, Certificate, CertificateRevision, EvaluationAuditor, Evidence
from iecq.roles import Role
from iecq.tenancy import scope
from manufacturers.models import Contact, Site

from .factories import SYSTEM, qualify_for_approval

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def approve(world, cb) -> None:
    """Make a CB able to accept applications: qualified, assessed and approved by the operator."""
    qualify_for_approval(cb)
    operator = world.operator[1]
    certification_body_transition(actor=operator, pk=cb.pk, name="start_assessment", reason="file complete")
    certification_body_transition(actor=operator, pk=cb.pk, name="approve", reason="all verified")


def reference_data():
    with scope(SYSTEM):
        return Scheme.objects.get(code="ac"), Technology.objects.get(code="capacitors")


def own_site(manufacturer) -> Site:
    with scope(SYSTEM):
        return Site.objects.filter(manufacturer=manufacturer).first()


def fetch(model, pk):
    with scope(SYSTEM):
        return model.objects.get(pk=pk)


def new_application(world, cb=None) -> Application:
    """An inquiry of side A's manufacturer, opened through the service, with no team yet."""
    scheme, tech = reference_data()
    _user, manufacturer = world.a.users[Role.MF_QUALITY_MANAGER]
    return services.application_create(
        actor=manufacturer,
        certification_body=cb or world.a.cb,
        scheme=scheme,
        technologies=[tech],
        component_types="Tantalum capacitors",
        sites=[own_site(world.a.manufacturer)],
    )


def make_auditor(cb, name: str, *, user=None, qualified: bool = True) -> Auditor:
    """An auditor of `cb`; a qualified one passes the assignment check for capacitors."""
    today = timezone.now().date()
    _scheme, tech = reference_data()
    with scope(SYSTEM):
        auditor = Auditor.objects.create(
            certification_body=cb,
            user=user,
            name=name,
            email=f"{name.lower().replace(' ', '.')}@example.org",
            qualified_until=today + timedelta(days=300 if qualified else -1),
        )
        if qualified:
            AuditorTraining.objects.create(auditor=auditor, course="ISO 19011", completed_on=today, hours=24)
            AuditorCompetence.objects.create(auditor=auditor, technology=tech, since=today)
            IndependenceDeclaration.objects.create(
                certification_body=cb,
                declarant_name=name,
                auditor=auditor,
                signed_on=today,
                valid_until=today + timedelta(days=365),
                no_conflicts=True,
            )
    return auditor


def take(client, app: Application, name: str, reason: str = "") -> str:
    response = client.post(f"/certification/applications/{app.pk}/transitions/{name}/", {"reason": reason}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.req("MF-04", "MF-02")
def test_manufacturer_applies_uploads_a_pdf_and_submits(world):
    approve(world, world.a.cb)
    scheme, tech = reference_data()
    site = own_site(world.a.manufacturer)
    user, _p = world.a.users[Role.MF_QUALITY_MANAGER]
    client = signed_in(user)

    form = client.get("/certification/applications/new/").content.decode()
    assert "Alphaside Certification" in form and "Alphaside Components main site" in form
    assert "The specific component types to be certified" in form  # every field explains itself

    response = client.post(
        "/certification/applications/new/",
        {
            "certification_body": world.a.cb.pk,
            "scheme": scheme.pk,
            "route": "technology_qualification",
            "technologies": [tech.pk],
            "component_types": "Ceramic chip capacitors",
            "specifications": "IEC 60384-21",
            "sites": [site.pk],
        },
    )
    assert response.status_code == 302
    with scope(SYSTEM):
        app = Application.objects.get(component_types="Ceramic chip capacitors")
    assert response["Location"] == f"/certification/applications/{app.pk}/"
    assert app.state == A.INQUIRY and app.manufacturer_id == world.a.manufacturer.pk

    page = client.get(f"/certification/applications/{app.pk}/").content.decode()
    assert "not today&#x27;s upload date" in page  # the effective date is explained where it is entered
    assert 'enctype="multipart/form-data"' in page

    effective = timezone.now().date() - timedelta(days=40)
    response = client.post(
        f"/certification/applications/{app.pk}/evidence/new/",
        {
            "title": "Quality manual, issue 4",
            "effective_on": effective.isoformat(),
            "file": SimpleUploadedFile("quality-manual.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    page = client.get(f"/certification/applications/{app.pk}/").content.decode()
    with scope(SYSTEM):
        evidence = Evidence.objects.get(application=app)
    assert "Quality manual, issue 4" in page and effective.isoformat() in page
    assert evidence.uploaded_by_label in page and "quality-manual.pdf" in page
    assert f"/certification/evidence/{evidence.pk}/download/" in page
    assert evidence.stage == A.INQUIRY

    page = take(client, app, "submit")
    assert "Done: Submit application." in page
    assert fetch(Application, app.pk).state == A.SUBMITTED
    assert re.search(r'aria-current="step">\s*<strong>Application submitted</strong>', page)  # the current stage


@pytest.mark.req("MF-02")
def test_html_renamed_pdf_is_refused_and_nothing_is_stored(world):
    app = world.a.records[Application]
    user, _p = world.a.users[Role.MF_SUBMITTER]
    with scope(SYSTEM):
        count = Evidence.objects.count()
    files = sorted(default_storage.listdir("evidence")[1])
    response = signed_in(user).post(
        f"/certification/applications/{app.pk}/evidence/new/",
        {
            "title": "Test report typed with care",
            "effective_on": timezone.now().date().isoformat(),
            "file": SimpleUploadedFile("report.pdf", b"<html><body>not a pdf</body></html>", "application/pdf"),
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Only PDF, PNG and JPEG documents are accepted." in page
    assert 'value="Test report typed with care"' in page
    with scope(SYSTEM):
        assert Evidence.objects.count() == count
    assert sorted(default_storage.listdir("evidence")[1]) == files


@pytest.mark.req("MF-02")
def test_an_effective_date_in_the_future_is_refused_on_its_field(world):
    app = world.a.records[Application]
    user, _p = world.a.users[Role.CB_CLERK]
    response = signed_in(user).post(
        f"/certification/applications/{app.pk}/evidence/new/",
        {
            "title": "Calibration plan",
            "effective_on": (timezone.now().date() + timedelta(days=3)).isoformat(),
            "file": SimpleUploadedFile("plan.pdf", PDF, "application/pdf"),
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "The effective date cannot be in the future." in page


@pytest.mark.req("MF-01", "MF-02")
def test_cb_manager_walks_the_stages_in_the_portal_and_certifies(world):
    approve(world, world.a.cb)
    app = new_application(world)
    applicant, _p = world.a.users[Role.MF_QUALITY_MANAGER]
    take(signed_in(applicant), app, "submit")
    manager, _p = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    client = signed_in(manager)

    assert "Done: Start review." in take(client, app, "start_review")
    page = client.get(f"/certification/applications/{app.pk}/").content.decode()
    assert "Assign the audit team first" in page  # why the next stage is not offered yet
    assert "Start preliminary QMS assessment</button>" not in page

    auditor = world.a.records[Auditor]
    response = client.post(
        f"/certification/applications/{app.pk}/team/new/", {"auditor": auditor.pk, "role": "lead"}, follow=True
    )
    page = response.content.decode()
    assert "The auditor is on the team." in page and "Alphaside Auditor" in page and "Lead auditor" in page

    for name, done in [
        ("start_qms_assessment", "Start preliminary QMS assessment"),
        ("accept_qms", "Accept the QMS"),
        ("start_qualification", "Start technology qualification / capability approval"),
        ("start_product_certification", "Start product certification"),
        ("certify", "Certify (issues the certificate)"),
    ]:
        page = take(client, app, name, reason=f"{name} reviewed")
        assert f"Done: {done}." in page, name
    app = fetch(Application, app.pk)
    assert app.state == A.CERTIFIED
    with scope(SYSTEM):
        certificate = Certificate.objects.get(application=app)
    assert certificate.number in page  # the application links to the certificate it produced
    assert page.count("(done)") == 7  # every earlier stage is shown as done, with who and when
    assert "accept_qms reviewed" in page  # each decision's reason is kept in the history


@pytest.mark.req("MF-03")
def test_the_manager_who_audited_the_evaluation_cannot_certify(world):
    approve(world, world.a.cb)
    app = new_application(world)
    manager, manager_p = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    own_auditor_record = make_auditor(world.a.cb, "Manager Herself", user=manager)
    _applicant, applicant_p = world.a.users[Role.MF_QUALITY_MANAGER]
    services.application_transition(actor=applicant_p, pk=app.pk, name="submit")
    services.application_transition(actor=manager_p, pk=app.pk, name="start_review")
    services.evaluation_auditor_assign(actor=manager_p, application=app.pk, auditor=own_auditor_record.pk, role="lead")
    for name in ("start_qms_assessment", "accept_qms", "start_qualification", "start_product_certification"):
        services.application_transition(actor=manager_p, pk=app.pk, name=name)

    client = signed_in(manager)
    page = client.get(f"/certification/applications/{app.pk}/").content.decode()
    assert "you audited this evaluation" in page  # said before the button is pressed
    page = take(client, app, "certify", reason="all good")
    assert "MF-03: you audited this evaluation, so another certification manager must decide." in page
    assert fetch(Application, app.pk).state == A.PRODUCT_CERTIFICATION
    with scope(SYSTEM):
        assert not Certificate.objects.filter(application=app).exists()

    admin, _p = world.a.users[Role.CB_ADMIN]
    assert "Done: Certify (issues the certificate)." in take(signed_in(admin), app, "certify", reason="independent")
    assert fetch(Application, app.pk).state == A.CERTIFIED


@pytest.mark.req("PL-06", "MF-02")
def test_assignment_refused_shows_every_reason_of_the_check(world):
    approve(world, world.a.cb)
    app = new_application(world)
    _u, applicant_p = world.a.users[Role.MF_QUALITY_MANAGER]
    services.application_transition(actor=applicant_p, pk=app.pk, name="submit")
    unqualified = make_auditor(world.a.cb, "Unready Auditor", qualified=False)
    manager, _p = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    response = signed_in(manager).post(
        f"/certification/applications/{app.pk}/team/new/", {"auditor": unqualified.pk, "role": "member"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    for reason in (
        "qualification expired on",
        "has no documented training",
        "is not competent in Capacitors",
        "has no declaration of interests in force",
    ):
        assert reason in page, reason
    with scope(SYSTEM):
        assert not EvaluationAuditor.objects.filter(application=app).exists()


@pytest.mark.req("PL-06", "MF-04")
def test_assign_form_is_for_the_manager_only(world):
    approve(world, world.a.cb)
    app = new_application(world)
    _u, applicant_p = world.a.users[Role.MF_QUALITY_MANAGER]
    services.application_transition(actor=applicant_p, pk=app.pk, name="submit")
    manager, _p = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    clerk, _p = world.a.users[Role.CB_CLERK]
    assert "Assign an auditor" in signed_in(manager).get(f"/certification/applications/{app.pk}/").content.decode()
    assert "Assign an auditor" not in signed_in(clerk).get(f"/certification/applications/{app.pk}/").content.decode()
    assert signed_in(clerk).get(f"/certification/applications/{app.pk}/team/new/").status_code == 403


@pytest.mark.req("MF-04")
def test_applicant_edits_the_inquiry_but_not_after_submission(world):
    approve(world, world.a.cb)
    app = new_application(world)
    scheme, tech = reference_data()
    user, _p = world.a.users[Role.MF_ADMIN]
    client = signed_in(user)
    assert (
        f"/certification/applications/{app.pk}/edit/"
        in client.get(f"/certification/applications/{app.pk}/").content.decode()
    )
    form = client.get(f"/certification/applications/{app.pk}/edit/").content.decode()
    assert "Tantalum capacitors" in form  # the current values are there to change
    response = client.post(
        f"/certification/applications/{app.pk}/edit/",
        {
            "scheme": scheme.pk,
            "route": "capability_approval",
            "technologies": [tech.pk],
            "component_types": "Tantalum and niobium capacitors",
            "specifications": "",
            "sites": [own_site(world.a.manufacturer).pk],
        },
    )
    assert response.status_code == 302
    app = fetch(Application, app.pk)
    assert app.component_types == "Tantalum and niobium capacitors" and app.route == "capability_approval"

    take(client, app, "submit")
    page = client.get(f"/certification/applications/{app.pk}/").content.decode()
    assert f"/certification/applications/{app.pk}/edit/" not in page
    assert client.get(f"/certification/applications/{app.pk}/edit/").status_code == 403


@pytest.mark.req("MF-04", "PL-06")
def test_only_manufacturers_get_the_application_form(world):
    manager, _p = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    assert signed_in(manager).get("/certification/applications/new/").status_code == 403
    submitter, _p = world.a.users[Role.MF_SUBMITTER]
    page = signed_in(submitter).get("/certification/applications/").content.decode()
    assert 'href="/certification/applications/new/"' in page and "APP-Alphaside" in page


@pytest.mark.req("CE-01", "CE-03")
def test_certificate_page_shows_revisions_and_offers_the_pdf(world):
    certificate = world.a.records[Certificate]
    _scheme, tech = reference_data()
    manager, _p = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    client = signed_in(manager)
    response = client.post(
        f"/certification/certificates/{certificate.pk}/scope/",
        {
            "technologies": [tech.pk],
            "component_types": "MLCC up to 100 V",
            "specifications": "IEC 60384-22",
            "sites": [own_site(world.a.manufacturer).pk],
            "reason": "Extension to 100 V approved after audit",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/certification/certificates/{certificate.pk}/").content.decode()
    assert "Rev. 1" in page and "Rev. 2" in page  # the first revision is still there
    assert "Extension to 100 V approved after audit" in page and "MLCC up to 100 V" in page
    assert f"/certification/certificates/{certificate.pk}/pdf/" in page and "Download PDF" in page
    assert f"/register/{certificate.number}/" in page  # the public verification page
    with scope(SYSTEM):
        assert CertificateRevision.objects.filter(certificate=certificate).count() == 2

    response = client.get(f"/certification/certificates/{certificate.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == f'attachment; filename="{certificate.number}.pdf"'


@pytest.mark.req("CE-01")
def test_a_scope_change_without_a_reason_keeps_the_typed_values(world):
    certificate = world.a.records[Certificate]
    _scheme, tech = reference_data()
    manager, _p = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    response = signed_in(manager).post(
        f"/certification/certificates/{certificate.pk}/scope/",
        {"technologies": [tech.pk], "component_types": "Typed scope", "sites": [], "reason": ""},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Typed scope" in page and "This field is required." in page
    assert fetch(Certificate, certificate.pk).revision == 1


@pytest.mark.req("CE-02", "CE-01")
def test_cb_suspends_and_operator_transfers_a_certificate_in_the_portal(world):
    certificate = world.a.records[Certificate]
    manager, _p = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    client = signed_in(manager)
    page = client.get(f"/certification/certificates/{certificate.pk}/").content.decode()
    assert "Transfer to another CB" not in page  # the operator's decision
    response = client.post(
        f"/certification/certificates/{certificate.pk}/transitions/suspend/", {"reason": "Major NC open"}, follow=True
    )
    assert "Done: Suspend." in response.content.decode()
    assert fetch(Certificate, certificate.pk).state == C.SUSPENDED
    client.post(f"/certification/certificates/{certificate.pk}/transitions/reinstate/", {"reason": "NC closed"})
    assert fetch(Certificate, certificate.pk).state == C.VALID

    operator, _p = world.operator
    op = signed_in(operator)
    assert "Transfer to another CB" in op.get(f"/certification/certificates/{certificate.pk}/").content.decode()
    response = op.post(
        f"/certification/certificates/{certificate.pk}/transfer/",
        {"to_certification_body": world.public_cb.pk, "reason": "The manufacturer changed CB"},
    )
    assert response.status_code == 302
    certificate = fetch(Certificate, certificate.pk)
    assert certificate.certification_body_id == world.public_cb.pk and certificate.revision == 4
    page = op.get(f"/certification/certificates/{certificate.pk}/").content.decode()
    assert "Transferred from Alphaside Certification: The manufacturer changed CB" in page


@pytest.mark.req("MF-05")
def test_manufacturer_page_lists_its_records_with_two_cbs(world):
    approve(world, world.a.cb)
    other_cb = world.public_cb
    second = new_application(world, cb=other_cb)
    scheme, tech = reference_data()
    today = timezone.now().date()
    with scope(SYSTEM):
        other_certificate = Certificate.objects.create(
            number="IECQ-AC-FR-SECOND",
            manufacturer=world.a.manufacturer,
            certification_body=other_cb,
            scheme=scheme,
            component_types="Film capacitors",
            issued_on=today,
            period_start=today,
            expires_on=today + timedelta(days=1095),
        )
        other_certificate.technologies.add(tech)
    user, _p = world.a.users[Role.MF_SUBMITTER]
    page = signed_in(user).get(f"/manufacturers/{world.a.manufacturer.pk}/").content.decode()
    assert "My records" in page
    for text in (
        world.a.records[Application].reference,
        second.reference,
        world.a.records[Certificate].number,
        "IECQ-AC-FR-SECOND",
        "Alphaside Certification",
        "Publicside Certification",
    ):
        assert text in page, text

    # A CB sees its own share of the manufacturer's records only.
    manager, _p = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    page = signed_in(manager).get(f"/manufacturers/{world.a.manufacturer.pk}/").content.decode()
    assert world.a.records[Application].reference in page
    assert second.reference not in page and "IECQ-AC-FR-SECOND" not in page and "My records" not in page


@pytest.mark.req("MF-05")
def test_manufacturer_page_shows_contacts_and_adds_one(world):
    user, _p = world.a.users[Role.MF_QUALITY_MANAGER]
    client = signed_in(user)
    page = client.get(f"/manufacturers/{world.a.manufacturer.pk}/").content.decode()
    assert "Alphaside Contact" in page and "Add a contact" in page
    response = client.post(
        f"/manufacturers/{world.a.manufacturer.pk}/contacts/new/",
        {"name": "Ada Quality", "function": "Quality manager", "email": "ada@alphaside.example", "phone": "+44 1"},
    )
    assert response.status_code == 302
    page = client.get(f"/manufacturers/{world.a.manufacturer.pk}/").content.decode()
    assert "Ada Quality" in page and "ada@alphaside.example" in page
    with scope(SYSTEM):
        assert Contact.objects.filter(manufacturer=world.a.manufacturer).count() == 2
    submitter, _p = world.a.users[Role.MF_SUBMITTER]
    assert (
        "Add a contact" not in signed_in(submitter).get(f"/manufacturers/{world.a.manufacturer.pk}/").content.decode()
    )


@pytest.mark.req("MF-02", "PL-06")
def test_evidence_download_is_an_attachment_and_404_for_another_manufacturer(world):
    evidence = world.a.records[Evidence]
    user, _p = world.a.users[Role.MF_SUBMITTER]
    response = signed_in(user).get(f"/certification/evidence/{evidence.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Alphaside.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"%PDF-1.4\n"

    other, _p = world.b.users[Role.MF_ADMIN]
    assert signed_in(other).get(f"/certification/evidence/{evidence.pk}/download/").status_code == 404


@pytest.mark.req("MF-01", "PL-06")
def test_refused_tab_lists_a_rejected_application_for_the_cb_and_its_supervisory_body(world):
    approve(world, world.a.cb)
    refused = world.a.records[Application]
    still_open = new_application(world)
    applicant, _p = world.a.users[Role.MF_QUALITY_MANAGER]
    take(signed_in(applicant), refused, "submit")
    manager, _p = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    page = take(signed_in(manager), refused, "reject", reason="Technology outside the requested scheme")
    assert "Done: Reject." in page
    assert fetch(Application, refused.pk).state == A.REJECTED

    for user in (manager, world.a.users[Role.SB_VIEWER][0]):
        page = signed_in(user).get("/certification/applications/refused/").content.decode()
        assert refused.reference in page, user
        assert "Technology outside the requested scheme" in page
        assert still_open.reference not in page
    foreign_supervisor, _p = world.b.users[Role.SB_VIEWER]
    assert (
        refused.reference
        not in signed_in(foreign_supervisor).get("/certification/applications/refused/").content.decode()
    )


@pytest.mark.req("PL-06")
@pytest.mark.parametrize("who", ["cb", "manufacturer", "supervisor", "operator"])
def test_navigation_offers_applications_and_certificates(world, who):
    user = {
        "cb": world.a.users[Role.CB_AUDITOR][0],
        "manufacturer": world.a.users[Role.MF_SUBMITTER][0],
        "supervisor": world.a.users[Role.SB_VIEWER][0],
        "operator": world.operator[0],
    }[who]
    nav = signed_in(user).get("/").content.decode().split('class="mainnav"')[1].split("</nav>")[0]
    for href in ("/certification/applications/", "/certification/certificates/", "/register/"):
        assert f'href="{href}"' in nav


@pytest.mark.req("PL-06")
def test_the_public_sees_the_register_in_the_navigation_but_not_the_portal(world):
    client = Client()
    nav = client.get("/").content.decode().split('class="mainnav"')[1].split("</nav>")[0]
    assert 'href="/register/"' in nav and "/certification/" not in nav
    assert client.get("/certification/applications/").status_code == 302


@pytest.mark.req("CE-01", "PL-06")
def test_certificate_list_shows_own_certificates_in_french(world):
    user, _p = world.a.users[Role.MF_ADMIN]
    client = signed_in(user)
    client.cookies["django_language"] = "fr"
    page = client.get("/certification/certificates/").content.decode()
    assert world.a.records[Certificate].number in page and 'lang="fr"' in page
