"""A PDF/A-3 preflight for Factur-X, written on pikepdf (R45): the checks a receiving platform
makes first. Each failed check is a :class:`~.validate.Finding` with source "pdf":

- PDF-ENCRYPTED: the file is encrypted;
- PDF-OUTPUT-INTENT: no GTS_PDFA1 OutputIntent with an RGB ICC profile;
- PDF-XMP-PDFA: the XMP does not declare pdfaid:part 3 and conformance B;
- PDF-XMP-FACTURX: the XMP lacks the Factur-X extension schema, or names another file or profile;
- PDF-EMBEDDED-XML: no embedded ``factur-x.xml`` (or not the XML that was validated);
- PDF-AF-RELATIONSHIP: the XML's file specification is not /Data, or not in the catalog's /AF;
- PDF-FONT-NOT-EMBEDDED: a font used on a page has no embedded font program;
- PDF-JAVASCRIPT: document JavaScript, a JavaScript action, or additional actions.

pikepdf's own PDF/A validator (``pikepdf.pdfa``) does not check embedded files, so it cannot
approve a Factur-X PDF; this preflight checks what Factur-X adds beside what PDF/A-3 requires."""

from __future__ import annotations

import io

from invoice_tui.documents.einvoice.validate import Finding

FILE_NAME = "factur-x.xml"
FX = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
PDFA_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"


def _finding(rule: str, text: str) -> Finding:
    return Finding(rule, True, text, source="pdf")


def _fonts_of(resources, seen: set) -> list:
    """Every font dictionary a resources dictionary reaches (through form XObjects too)."""
    import pikepdf

    found = []
    if resources is None or not isinstance(resources, pikepdf.Dictionary):
        return found
    key = resources.objgen if resources.is_indirect else id(resources)
    if key in seen:
        return found
    seen.add(key)
    fonts = resources.get("/Font")
    if isinstance(fonts, pikepdf.Dictionary):
        found.extend(fonts.values())
    xobjects = resources.get("/XObject")
    if isinstance(xobjects, pikepdf.Dictionary):
        for xobj in xobjects.values():
            if xobj.get("/Subtype") == "/Form":
                found.extend(_fonts_of(xobj.get("/Resources"), seen))
    return found


def _embedded(font) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # its glyphs are content streams in the file
    if font.get("/Subtype") == "/Type0":
        return all(_embedded(d) for d in font.get("/DescendantFonts", []))
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def _javascript(pdf) -> list[str]:
    places = []
    names = pdf.Root.get("/Names")
    if names is not None and "/JavaScript" in names:
        places.append("the document's /JavaScript name tree")
    if "/AA" in pdf.Root:
        places.append("the catalog's additional actions (/AA)")
    action = pdf.Root.get("/OpenAction")
    if action is not None and hasattr(action, "get") and action.get("/S") == "/JavaScript":
        places.append("the open action")
    for number, page in enumerate(pdf.pages, start=1):
        if "/AA" in page.obj:
            places.append(f"page {number}'s additional actions (/AA)")
        for annot in page.obj.get("/Annots", []):
            a = annot.get("/A")
            if a is not None and a.get("/S") == "/JavaScript":
                places.append(f"a link on page {number}")
    return places


def preflight(data: bytes, xml: bytes | None = None) -> list[Finding]:
    """The failed checks of the Factur-X PDF ``data`` (empty when it passes); with ``xml``, the
    embedded file must be exactly that XML."""
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        return [_finding("PDF-ENCRYPTED", "the PDF is encrypted; PDF/A forbids encryption")]
    except pikepdf.PdfError as exc:
        return [_finding("PDF", f"the file is not a readable PDF: {exc}")]
    found: list[Finding] = []
    with pdf:
        if pdf.is_encrypted:
            found.append(_finding("PDF-ENCRYPTED", "the PDF is encrypted; PDF/A forbids encryption"))
        intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == "/GTS_PDFA1"]
        profile = intents[0].get("/DestOutputProfile") if intents else None
        if profile is None or int(profile.get("/N", 0)) != 3:
            found.append(_finding("PDF-OUTPUT-INTENT", "no PDF/A output intent with an sRGB ICC profile"))
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
            fx_file = meta.get(f"{{{FX}}}DocumentFileName")
            fx_level = meta.get(f"{{{FX}}}ConformanceLevel")
            extension = meta.get(f"{{{PDFA_EXTENSION}}}schemas")
        if str(part) != "3" or str(conformance).upper() != "B":
            found.append(_finding("PDF-XMP-PDFA", f"the XMP declares PDF/A part {part!s} conformance {conformance!s},"
                                                  " not 3B"))
        if fx_file != FILE_NAME or fx_level != "EN 16931" or not extension:
            found.append(_finding("PDF-XMP-FACTURX", "the XMP lacks the Factur-X extension schema for factur-x.xml,"
                                                     f" EN 16931 (file {fx_file!s}, level {fx_level!s})"))
        attachments = pdf.attachments
        spec = attachments.get(FILE_NAME)
        if spec is None:
            found.append(_finding("PDF-EMBEDDED-XML", "no embedded factur-x.xml"))
        else:
            embedded = spec.get_file().read_bytes()
            if xml is not None and embedded != xml:
                found.append(_finding("PDF-EMBEDDED-XML", "the embedded factur-x.xml is not the validated XML"))
            relationship = spec.obj.get("/AFRelationship")
            in_af = any(f.objgen == spec.obj.objgen for f in pdf.Root.get("/AF", []) if f.is_indirect)
            if relationship != "/Data" or not in_af:
                found.append(_finding("PDF-AF-RELATIONSHIP", f"factur-x.xml has AFRelationship {relationship!s}"
                                                             f"{'' if in_af else ' and is not in the catalog /AF'};"
                                                             " /Data is required"))
        seen: set = set()
        missing = set()
        for page in pdf.pages:
            for font in _fonts_of(page.obj.get("/Resources"), seen):
                if not _embedded(font):
                    missing.add(str(font.get("/BaseFont", "?")).lstrip("/"))
        if missing:
            found.append(_finding("PDF-FONT-NOT-EMBEDDED", "fonts not embedded: " + ", ".join(sorted(missing))))
        scripts = _javascript(pdf)
        if scripts:
            found.append(_finding("PDF-JAVASCRIPT", "JavaScript in " + ", ".join(scripts)))
    return found
