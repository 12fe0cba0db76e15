"""The Factur-X PDF (R44): the invoice's visible PDF, its CII XML embedded as ``factur-x.xml``
(AFRelationship ``Data``), XMP metadata declaring PDF/A-3B and the Factur-X EN 16931 extension
schema (both written by the ``factur-x`` package), and the sRGB OutputIntent that PDF/A asks for
and ``factur-x`` does not add (the profile ships in ``data/sRGB.icc``). The fonts are MuPDF's
Noto/Nimbus faces, embedded (subset) by markdown-pdf. :mod:`.preflight` checks the result."""

from __future__ import annotations

import io
from importlib import resources

from invoice_tui.documents.einvoice.model import CREDIT_NOTE, EInvoice

OUTPUT_CONDITION = "sRGB IEC61966-2.1"


def _icc() -> bytes:
    return resources.files("invoice_tui.documents.einvoice").joinpath("data", "sRGB.icc").read_bytes()


def add_output_intent(pdf) -> None:
    """Replace the document's output intents with the sRGB PDF/A one."""
    import pikepdf

    profile = pikepdf.Stream(pdf, _icc())
    profile["/N"] = 3
    intent = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1,
        OutputConditionIdentifier=pikepdf.String(OUTPUT_CONDITION), Info=pikepdf.String(OUTPUT_CONDITION),
        DestOutputProfile=pdf.make_indirect(profile)))
    pdf.Root.OutputIntents = pikepdf.Array([intent])


def facturx_pdf(visible: bytes, doc: EInvoice, xml: bytes, lang: str = "fr-FR") -> bytes:
    """The Factur-X PDF of ``doc`` from its visible PDF and its (validated) CII ``xml``."""
    import pikepdf
    from facturx import generate_from_binary

    title = ("Credit note " if doc.type_code == CREDIT_NOTE else "Invoice ") + doc.number
    data = generate_from_binary(visible, xml, flavor="factur-x", level="en16931", check_xsd=False,
                                pdf_metadata={"author": doc.seller.name, "keywords": "Factur-X, EN 16931",
                                              "title": title, "subject": f"{title} ({doc.seller.name})"},
                                lang=lang, afrelationship="data")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        add_output_intent(pdf)
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()
