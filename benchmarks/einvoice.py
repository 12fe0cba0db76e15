"""E-invoices (R44, R45): the Factur-X PDF of a 20-line invoice of a French seller to a French
business buyer — the visible PDF, the CII, its validation (XSD, EN 16931, BR-FR) and the PDF/A-3
preflight — against the plain PDF of the same invoice, paired medians; then 1,000 distinct invoices
in a batch (each validated: the cache by content hash never hits). The first document of a process
also compiles the schematron stylesheets (``first_seconds``), reported apart. Finalizing validates
an invoice in the mandate's scope (R45): its rate is reported beside the rate of the same invoices
to a consumer (out of scope), finalized one after the other in one process.

The invoices are made through the services in a scratch workspace."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

from benchmarks import paired
from benchmarks.workspace import open_admin

REPEAT = 20
SELLER = {"seller_legal_name": "Atelier Dupont SARL", "seller_address": "12 rue de la Paix",
          "seller_postcode": "75002", "seller_city": "Paris", "seller_country": "FR", "seller_siren": "732829320",
          "seller_vat_id": "FR44732829320", "seller_electronic_scheme": "0225", "seller_electronic_address": "732829320",
          "seller_iban": "FR7630006000011234567890189", "payment_means_code": "30", "late_penalty_rate": "10"}


def _invoices(ctx, count: int, lines: int = 20) -> tuple[list[int], float, float]:
    """``count`` issued invoices to a French business buyer (in the mandate's scope: validated at
    finalize), and the seconds their finalizes took beside as many to a consumer (out of scope)."""
    from invoice_tui.domain import invoices, people
    from invoice_tui.domain.workspace import set_setting

    for key, value in SELLER.items():
        set_setting(ctx, key, value)
    company = people.add_company(ctx, {"name": "Boulangerie Martin SAS", "address": "3 place du Marché\n69001 Lyon",
                                       "tax_id": "FR40552100554"})
    buyer = people.add_contact(ctx, {"email": "compta@martin.example", "first_name": "Paul",
                                     "company_id": company.id})
    consumer = people.add_contact(ctx, {"email": "jeanne@example.fr", "first_name": "Jeanne"})
    ids, seconds = [], {True: 0.0, False: 0.0}
    for n in range(count):
        for in_scope in (True, False):
            specs = [{"name": f"Journée de conseil {i + 1} — étude", "quantity": str(1 + (i + n) % 3),
                      "unit_price": str(Decimal(120 + 7 * i) + Decimal("0.50")),
                      "tax_rate": ("20", "5.5", "10")[i % 3]} for i in range(lines)]
            data = {"currency": "EUR", "title": "Benchmark", "lines": specs, "operation_category": "services",
                    "contact_id": buyer.id if in_scope else consumer.id}
            if in_scope:
                data["company_id"] = company.id
            inv = invoices.create_invoice(ctx, data)
            t0 = time.perf_counter()
            done = invoices.finalize_invoice(ctx, inv.id)
            if n:  # the first compiles the rules (reported apart as the first document's time)
                seconds[in_scope] += time.perf_counter() - t0
            if in_scope:
                ids.append(done.id)
    return ids, seconds[True], seconds[False]


def run(params: dict) -> dict:
    from invoice_tui.documents import pdf
    from invoice_tui.domain import einvoice, einvoice_build
    from invoice_tui.domain.invoices import get_invoice
    from invoice_tui.domain.settings import load_settings

    path = Path(params["path"])
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    ws, ctx = open_admin(path)
    batch = int(params.get("batch", 1000))
    ids, finalize_in, finalize_out = _invoices(ctx, batch + 1)
    settings = load_settings()
    first = get_invoice(ids[0])
    t0 = time.perf_counter()
    data, validation = einvoice.einvoice_bytes(first, "facturx", settings)
    first_seconds = time.perf_counter() - t0
    assert not validation.findings, [f.line() for f in validation.findings]

    def ours():
        einvoice_build._cache.clear()  # validated each time: the figure is production and validation
        return einvoice.einvoice_bytes(first, "facturx", settings)[0]

    def baseline():
        return pdf.invoice_pdf(first, settings=settings)

    t_ours, data_ours, t_base, data_base = paired(ours, baseline, REPEAT)
    t0 = time.perf_counter()
    for inv_id in ids[1:]:
        einvoice.einvoice_bytes(get_invoice(inv_id), "facturx", settings)
    batch_seconds = time.perf_counter() - t0
    ws.db.close()
    return {"ours": t_ours, "baseline": t_base, "first_seconds": first_seconds, "batch": batch,
            "batch_seconds": batch_seconds, "finalize_per_s_in_scope": batch / finalize_in,
            "finalize_per_s_out_of_scope": batch / finalize_out, "bytes_ours": len(data_ours), "bytes_baseline": len(data_base),
            "same_rows": data_ours.startswith(b"%PDF")}
