"""R44/R45: the Factur-X PDF of every acceptance case passes the PDF/A-3 preflight, and the XML read
back from it is the validated XML and gives the same document; each preflight check fails a
known-bad PDF on its own rule."""

from __future__ import annotations

import io

import pikepdf
import pytest
from markdown_pdf import MarkdownPdf, Section

from cases import cases
from invoice_tui.documents.einvoice.cii import write_cii
from invoice_tui.documents.einvoice.facturx_pdf import facturx_pdf
from invoice_tui.documents.einvoice.preflight import preflight
from invoice_tui.documents.einvoice.read import read_cii

CASES = cases()


def _visible(title: str) -> bytes:
    md = MarkdownPdf(toc_level=0)
    md.add_section(Section(f"# {title}\n\nAtelier Dupont SARL · 12 rue de la Paix · 75002 Paris\n\nTotal : 1 620,00 €\n"))
    buf = io.BytesIO()
    md.save_bytes(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def simple_pdf() -> tuple[bytes, bytes]:
    xml = write_cii(CASES["simple"])
    return facturx_pdf(_visible("Facture F-2027-00001"), CASES["simple"], xml), xml


@pytest.mark.parametrize("name", sorted(CASES))
def test_r44_facturx_pdf_passes_preflight_and_reads_back(name):
    doc = CASES[name]
    xml = write_cii(doc)
    data = facturx_pdf(_visible(doc.number), doc, xml)
    assert preflight(data, xml) == []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        embedded = pdf.attachments["factur-x.xml"].get_file().read_bytes()
    assert embedded == xml and read_cii(embedded) == doc


def _rules(data: bytes, xml: bytes | None = None) -> set[str]:
    return {f.rule for f in preflight(data, xml)}


def _edit(data: bytes, change, **save) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out, **save)
    return out.getvalue()


def test_r45_preflight_refuses_a_plain_pdf():
    assert _rules(_visible("x")) == {"PDF-OUTPUT-INTENT", "PDF-XMP-PDFA", "PDF-XMP-FACTURX", "PDF-EMBEDDED-XML"}


def test_r45_preflight_refuses_encryption(simple_pdf):
    data, _ = simple_pdf
    locked = _edit(data, lambda pdf: None, encryption=pikepdf.Encryption(owner="o", user="", R=6))
    assert "PDF-ENCRYPTED" in _rules(locked)


def test_r45_preflight_refuses_no_output_intent(simple_pdf):
    data, _ = simple_pdf
    assert _rules(_edit(data, lambda pdf: pdf.Root.__delitem__("/OutputIntents"))) == {"PDF-OUTPUT-INTENT"}


def test_r45_preflight_refuses_xmp_without_pdfa_3b(simple_pdf):
    data, _ = simple_pdf

    def downgrade(pdf):
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["pdfaid:part"] = "2"
    assert _rules(_edit(data, downgrade)) == {"PDF-XMP-PDFA"}


def test_r45_preflight_refuses_another_relationship(simple_pdf):
    data, _ = simple_pdf

    def alternative(pdf):
        pdf.attachments["factur-x.xml"].obj.AFRelationship = pikepdf.Name.Alternative
    assert _rules(_edit(data, alternative)) == {"PDF-AF-RELATIONSHIP"}


def test_r45_preflight_refuses_an_xml_other_than_the_validated_one(simple_pdf):
    data, xml = simple_pdf
    assert _rules(data, xml.replace(b"F-2027-00001", b"F-2027-00002")) == {"PDF-EMBEDDED-XML"}


def test_r45_preflight_refuses_a_font_not_embedded(simple_pdf):
    data, _ = simple_pdf

    def helvetica(pdf):
        page = pdf.pages[0]
        font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                    BaseFont=pikepdf.Name.Helvetica))
        page.obj.Resources.Font.Fhelv = font
        page.contents_add(pikepdf.Stream(pdf, b"BT /Fhelv 12 Tf 72 72 Td (unembedded) Tj ET"))
    assert _rules(_edit(data, helvetica)) == {"PDF-FONT-NOT-EMBEDDED"}


def test_r45_preflight_refuses_javascript(simple_pdf):
    data, _ = simple_pdf

    def script(pdf):
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    assert _rules(_edit(data, script)) == {"PDF-JAVASCRIPT"}
