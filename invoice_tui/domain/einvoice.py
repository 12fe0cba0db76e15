"""E-invoices of stored invoices (R44, R45): the EN 16931 document of an issued invoice, its CII,
UBL and Factur-X outputs, validated before anything leaves, and the PDF every face hands out.
The rules (parties, scope, what is expressible, validation) live in
:mod:`invoice_tui.domain.einvoice_build`."""

from __future__ import annotations

from invoice_tui.db.models import Invoice
from invoice_tui.documents.einvoice.model import EInvoice
from invoice_tui.domain.einvoice_build import (NotEn16931, Validation, build_document, refuse_if_blocked,
                                               validate_document, xml_of)
from invoice_tui.domain.errors import RuleRefused
from invoice_tui.domain.settings import WorkspaceSettings, load_settings
from invoice_tui.i18n import N_, _


def einvoice_document(inv: Invoice, settings: WorkspaceSettings | None = None) -> EInvoice:
    """The EN 16931 document of an issued invoice or credit note (amounts from the one totals function)."""
    from invoice_tui.domain.invoices import invoice_totals, line_specs

    if inv.status == "draft":
        raise RuleRefused(_("A draft has no e-invoice (R4); finalize it first."), code="einvoice.draft")
    settings = settings or load_settings()
    return build_document(inv, settings, invoice_totals(inv), line_specs(inv))


def validate(inv: Invoice, fmt: str = "facturx", settings: WorkspaceSettings | None = None,
             doc: EInvoice | None = None) -> Validation:
    """R45: the findings of ``inv``'s e-invoice in ``fmt`` (the Factur-X PDF's XML is its CII)."""
    settings = settings or load_settings()
    return validate_document(inv, doc or einvoice_document(inv, settings), fmt, settings)


def einvoice_bytes(inv: Invoice, fmt: str, settings: WorkspaceSettings | None = None,
                   visible_pdf: bytes | None = None) -> tuple[bytes, Validation]:
    """The e-invoice of ``inv`` in ``fmt`` ("facturx", "cii" or "ubl"), validated first: refused
    when a fatal rule fails and the invoice is in scope (R45)."""
    from invoice_tui.documents.einvoice.preflight import preflight

    settings = settings or load_settings()
    doc = einvoice_document(inv, settings)
    validation = validate(inv, fmt, settings, doc)
    refuse_if_blocked(inv, validation)
    xml, _kind = xml_of(doc, fmt)
    if fmt != "facturx":
        return xml, validation
    from invoice_tui.documents.einvoice.facturx_pdf import facturx_pdf
    from invoice_tui.documents.pdf import invoice_pdf

    visible = visible_pdf if visible_pdf is not None else invoice_pdf(inv, settings=settings)
    data = facturx_pdf(visible, doc, xml, lang="fr-FR" if settings.french_seller else "en-US")
    checks = tuple(preflight(data, xml))
    validation = Validation(validation.findings + checks, validation.in_scope, validation.checked + ", PDF/A-3")
    refuse_if_blocked(inv, validation)
    return data, validation



# ---- the PDF users get -----------------------------------------------------------------------------
def seller_profile_complete(settings: WorkspaceSettings) -> bool:
    """What every EN 16931 invoice needs of its seller: the legal name and the postal address with its
    country (BR-6, BR-8, BR-9)."""
    return all(x.strip() for x in (settings.seller_legal_name, settings.seller_address, settings.seller_city,
                                    settings.seller_country))


def document_pdf(inv: Invoice, path=None, *, settings: WorkspaceSettings | None = None):
    """The PDF of an issued invoice or credit note as every face hands it out (download, email,
    buyer link, CLI): with a complete seller profile, the Factur-X PDF (R44), validated first and
    refused when it fails a rule in scope (R45); else, or when the invoice cannot be an EN 16931
    e-invoice (R18 extra taxes, a 3-decimal currency), the plain PDF. Its bytes, or the written path."""
    from invoice_tui.documents.pdf import invoice_pdf, write_file

    if path is not None:
        from invoice_tui.team_ssh import refuse_files

        refuse_files(N_("saving a PDF"))
    settings = settings or load_settings()
    data = invoice_pdf(inv, settings=settings)
    if seller_profile_complete(settings):
        try:
            data, _validation = einvoice_bytes(inv, "facturx", settings, visible_pdf=data)
        except NotEn16931:
            pass  # the plain PDF: this invoice has no e-invoice
    return data if path is None else write_file(data, path)
