"""The stored certificate PDF (CE-03): a download serves the stored copy only while nothing printed changed."""

from __future__ import annotations

import logging

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from certification import pdf as certificate_pdf_module
from certification import services
from certification.models import Certificate
from iecq.roles import Role
from iecq.tenancy import scope

from .conftest import token_client
from .factories import SYSTEM


@pytest.fixture
def renders(monkeypatch):
    """The HTML of every certificate PDF actually rendered (not served from the store) during the test."""
    seen: list[str] = []
    original = certificate_pdf_module.html_to_pdf

    def recording(html, **kwargs):
        seen.append(html)
        return original(html, **kwargs)

    monkeypatch.setattr(certificate_pdf_module, "html_to_pdf", recording)
    return seen


def portal(world, role=Role.CB_ADMIN, side="a", language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(getattr(world, side).users[role][0])
    return client


def download(client: Client, cert) -> bytes:
    response = client.get(f"/certification/certificates/{cert.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    return response.content


def stored(cert) -> list[str]:
    folder = f"{certificate_pdf_module.STORE}/{cert.pk}"
    return sorted(default_storage.listdir(folder)[1]) if default_storage.exists(folder) else []


@pytest.mark.req("CE-03")
def test_a_second_download_serves_the_stored_pdf(world, renders):
    cert = world.a.records[Certificate]
    client = portal(world)
    first = download(client, cert)
    again = download(client, cert)
    assert len(renders) == 1 and again == first
    assert len(stored(cert)) == 1
    # The API route reads the same store.
    api = token_client(world.a.tokens["cb"][0]).get(f"/api/v1/certificates/{cert.pk}/pdf/")
    assert api.status_code == 200 and api.content == first and len(renders) == 1


@pytest.mark.req("CE-03")
def test_the_rendered_pdf_has_its_qr_code_and_a_stored_copy_is_served_without_drawing_it(world, renders, monkeypatch):
    """The QR code is drawn into the HTML that is rendered; the stored copy's key is the HTML without it (the code
    is a function of the verification address printed beside it), so serving the stored copy draws no code."""
    cert = world.a.records[Certificate]
    client = portal(world)
    first = download(client, cert)
    assert len(renders) == 1 and 'src="data:image/png;base64,' in renders[0]
    assert certificate_pdf_module._QR_SLOT not in renders[0]
    with scope(SYSTEM):
        keyed = certificate_pdf_module.certificate_html(cert, language="en", qr=False)
    assert certificate_pdf_module._QR_SLOT in keyed and certificate_pdf_module.verification_url(cert) in keyed

    def no_drawing(url):
        raise AssertionError("a stored copy was served by drawing its QR code")

    monkeypatch.setattr(certificate_pdf_module, "qr_code_data_uri", no_drawing)
    assert download(client, cert) == first and len(renders) == 1


def test_a_certificate_is_read_for_its_document_in_three_queries_and_only_where_visible(
    world, django_assert_num_queries
):
    """Holder, CB and scheme with the certificate, then its sites and its technologies: the page then prints
    without another query. Another CB's certificate is not found."""
    from certification.selectors import certificate_for_document
    from iecq.errors import NotFound

    cert = world.a.records[Certificate]
    principal = world.a.users[Role.CB_ADMIN][1]
    with scope(principal):
        Certificate.objects.exists()  # the scope's settings, sent with its first query, out of the count
        with django_assert_num_queries(3):
            document = certificate_for_document(principal, cert.pk)
        with django_assert_num_queries(0):
            certificate_pdf_module.certificate_html(document, language="en", qr=False)
        with pytest.raises(NotFound):
            certificate_for_document(principal, world.b.records[Certificate].pk)


@pytest.mark.req("CE-03")
def test_a_status_change_gives_a_new_pdf_with_the_new_status(world, renders):
    cert = world.a.records[Certificate]
    client = portal(world)
    before = download(client, cert)
    assert ">Valid<" in renders[-1]
    _u, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    services.certificate_transition(actor=manager, pk=cert.pk, name="suspend", reason="Major NC at surveillance")
    after = download(client, cert)
    assert len(renders) == 2 and after != before
    assert ">Suspended<" in renders[-1] and ">Valid<" not in renders[-1]
    assert len(stored(cert)) == 1  # the copy with the old status is gone
    services.certificate_transition(actor=manager, pk=cert.pk, name="reinstate", reason="Correction verified")
    download(client, cert)
    assert len(renders) == 3 and ">Valid<" in renders[-1]


@pytest.mark.req("CE-03")
def test_a_new_revision_gives_a_new_pdf(world, renders):
    cert = world.a.records[Certificate]
    client = portal(world)
    download(client, cert)
    _u, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    services.certificate_update_scope(
        actor=manager, pk=cert.pk, reason="Scope extended", component_types="Film capacitors, power inductors"
    )
    with scope(SYSTEM):
        revision = Certificate.objects.get(pk=cert.pk).revision
    download(client, cert)
    assert len(renders) == 2
    assert f"revision {revision}" in renders[-1] and "Film capacitors, power inductors" in renders[-1]
    download(client, cert)
    assert len(renders) == 2


@pytest.mark.req("CE-03")
def test_each_language_has_its_own_stored_pdf(world, renders):
    cert = world.a.records[Certificate]
    english = download(portal(world, language="en"), cert)
    french = download(portal(world, language="fr"), cert)
    assert len(renders) == 2 and french != english
    assert "Certificate of conformity" in renders[0] and 'lang="en"' in renders[0]
    assert "Certificat de conformité" in renders[1] and 'lang="fr"' in renders[1]
    assert download(portal(world, language="en"), cert) == english
    assert download(portal(world, language="fr"), cert) == french
    assert len(renders) == 2 and len(stored(cert)) == 2


@pytest.mark.req("CE-03")
def test_the_api_pdf_is_in_the_language_of_accept_language(world, renders):
    cert = world.a.records[Certificate]
    api = token_client(world.a.tokens["cb"][0])
    url = f"/api/v1/certificates/{cert.pk}/pdf/"
    french = api.get(url, HTTP_ACCEPT_LANGUAGE="fr-CH, fr;q=0.9")
    assert french.status_code == 200 and french.content.startswith(b"%PDF") and french["Content-Language"] == "fr"
    assert len(renders) == 1 and "Certificat de conformité" in renders[0] and 'lang="fr"' in renders[0]
    english = api.get(url)  # no Accept-Language: English
    assert english.status_code == 200 and english.content != french.content
    assert len(renders) == 2 and 'lang="en"' in renders[1]
    assert api.get(url, HTTP_ACCEPT_LANGUAGE="de").content == english.content  # not offered: English, from the store
    assert len(renders) == 2 and [name[:3] for name in stored(cert)] == ["en_", "fr_"]


@pytest.mark.req("CE-03")
def test_a_stored_pdf_is_not_served_to_another_tenant(world, renders):
    cert = world.a.records[Certificate]
    download(portal(world), cert)
    assert portal(world, side="b").get(f"/certification/certificates/{cert.pk}/pdf/").status_code == 404
    foreign_api = token_client(world.b.tokens["cb"][0]).get(f"/api/v1/certificates/{cert.pk}/pdf/")
    assert foreign_api.status_code == 404
    assert len(renders) == 1


# --- what the printed page says, read back from the PDF ---------------------------------------------------------


def page_texts(pdf: bytes) -> list[str]:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range().replace("\r\n", "\n") for i in range(len(document))]


@pytest.mark.req("CE-03")
def test_the_qr_code_printed_on_the_certificate_scans_to_its_verification_page(world):
    """The page is rasterised as a printer would and scanned as a phone would: the code must give the address."""
    import pypdfium2
    import zxingcpp

    cert = world.a.records[Certificate]
    pdf = download(portal(world), cert)
    with scope(SYSTEM):
        url = certificate_pdf_module.verification_url(Certificate.objects.get(pk=cert.pk))
    page = pypdfium2.PdfDocument(pdf)[0].render(scale=2).to_pil()
    scanned = zxingcpp.read_barcode(page, formats=zxingcpp.BarcodeFormat.QRCode)
    assert scanned is not None and scanned.text == url
    (text,) = page_texts(pdf)
    assert cert.number in text and "Valid" in text and url in text  # the address is printed too, for typing


@pytest.mark.req("CE-03")
def test_a_certificate_over_one_page_has_page_footers_and_a_one_page_certificate_none(world):
    from manufacturers.models import Site

    cert = world.a.records[Certificate]
    (one_page,) = page_texts(download(portal(world), cert))
    assert "page 1/1" not in one_page and "revision" not in one_page
    with scope(SYSTEM):
        cert = Certificate.objects.get(pk=cert.pk)
        cert.sites.add(
            *[
                Site.objects.create(
                    manufacturer=cert.manufacturer,
                    name=f"Plant {i:02}",
                    address=f"{i} Industrial Estate Road",
                    city="Swindon",
                    country="GB",
                )
                for i in range(70)
            ]
        )
    pages = page_texts(download(portal(world), cert))
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert text.rstrip().endswith(f"{cert.number} · revision {cert.revision} · page {number}/{len(pages)}")
    assert all(f"Plant {i:02}" in "".join(pages) for i in range(70))


@pytest.mark.req("CE-03")
def test_names_in_any_script_print_with_their_own_letters(world):
    """IECQ Sans covers Latin, Greek and Cyrillic; Armenian, Georgian, Hebrew and Arabic come from the full DejaVu
    Sans named after it; Chinese, Japanese and Korean from the system's CJK font (WenQuanYi Micro Hei, which
    `make install` and the Dockerfile install), so no character prints as an empty box (WeasyPrint warns when one
    would). China has the most certified manufacturers of any country."""
    from manufacturers.models import Manufacturer

    cert = world.a.records[Certificate]
    name = (
        "Ελληνικά Κυκλώματα · Київські Конденсатори · Երևանի Էլեկտրոնիկա · ელექტრონიკა · אלקטרוניקה · إلكترونيات"
        " · 深圳华强电子有限公司 · 東京電子部品株式会社 · 서울전자부품"
    )
    warnings: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: warnings.append(record.getMessage())
    logging.getLogger("weasyprint").addHandler(handler)
    try:
        with scope(SYSTEM):
            Manufacturer.objects.filter(pk=cert.manufacturer_id).update(legal_name=name)
            document = certificate_pdf_module.render_certificate_pdf(Certificate.objects.get(pk=cert.pk))
            # The check can fail: an unassigned code point has no glyph in any font; WeasyPrint says so.
            certificate_pdf_module.html_to_pdf("<p>\u0378</p>", stylesheet=certificate_pdf_module.STYLESHEET)
    finally:
        logging.getLogger("weasyprint").removeHandler(handler)
    (text,) = page_texts(document)
    joined = "".join(text.split())  # Chinese and Japanese break lines between any two characters
    words = ["Ελληνικά", "Київські", "Երևանի", "ელექტრონიკა"]
    words += ["深圳华强电子有限公司", "東京電子部品株式会社", "서울전자부품"]
    for word in words:
        assert word.replace(" ", "") in joined, word
    assert [w for w in warnings if ".notdef" in w] == [w for w in warnings if "U+0378" in w] != []


def test_a_qr_code_reads_back_as_what_was_drawn():
    from iecq import qr

    for text in (
        "https://register.example.org/register/IECQ-AC-GB001-00001/",
        "otpauth://totp/IECQ:ana?secret=JBSWY3DP",
    ):
        image = qr.png(text)
        assert image.startswith(b"\x89PNG") and qr.read(image) == text
    assert qr.read(qr.png("one text")) != "another text"
