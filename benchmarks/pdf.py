"""PDF of a 20-line invoice: ``documents.pdf.invoice_pdf`` (Markdown, markdown-pdf, then page
numbers and metadata with PyMuPDF) against markdown-pdf alone on the same Markdown, with the same
stylesheet and paper. Both after one warm-up (the ~0.7 s import of markdown-pdf is paid once by
the app, lazily, and is not part of either figure), run alternately ``REPEAT`` times so a load
that drifts during the run weighs on both alike; medians compared.

The invoice is made through the services in a scratch workspace (one contact, 20 lines with
varied tax rates, finalized), so the benchmark workspace is left untouched.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

from benchmarks import paired
from benchmarks.workspace import open_admin

REPEAT = 40


def make_invoice(ctx, lines: int = 20):
    from invoice_tui.domain import invoices, people

    contact = people.add_contact(ctx, {"email": "benchmark.buyer@example.com", "first_name": "Zoë",
                                       "last_name": "Müller"})
    specs = [{"name": f"Consulting day {i + 1} — étude", "quantity": str(1 + i % 3),
              "unit_price": str(Decimal(120 + 7 * i) + Decimal("0.50")), "tax_rate": ("20", "5.5", "0")[i % 3]}
             for i in range(lines)]
    inv = invoices.create_invoice(ctx, {"currency": "EUR", "title": "Benchmark invoice", "contact_id": contact.id,
                                        "lines": specs})
    return invoices.finalize_invoice(ctx, inv.id)


def run(params: dict) -> dict:
    from markdown_pdf import MarkdownPdf, Section

    from invoice_tui.documents import pdf
    from invoice_tui.documents.markdown import invoice_markdown
    from invoice_tui.domain.invoices import get_invoice
    from invoice_tui.domain.settings import load_settings

    path = Path(params["path"])
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    ws, ctx = open_admin(path)
    inv = get_invoice(make_invoice(ctx).id)
    settings = load_settings()
    md = invoice_markdown(inv, settings=settings)

    def ours():
        return pdf.invoice_pdf(inv, settings=settings)

    def baseline():
        conv = MarkdownPdf(toc_level=0, optimize=True)
        conv.add_section(Section(md, toc=False, paper_size=pdf._paper(settings), borders=pdf.MARGINS),
                         user_css=pdf.CSS)
        import io

        buf = io.BytesIO()
        conv.save_bytes(buf)
        return buf.getvalue()

    t_ours, data_ours, t_base, data_base = paired(ours, baseline, REPEAT)
    import pymupdf

    def text_of(data: bytes) -> str:
        with pymupdf.open(stream=data, filetype="pdf") as doc:
            return "".join(page.get_text() for page in doc)

    # same rows: the baseline's text (the invoice) is all in ours; ours only adds page numbers
    ours_text, base_text = text_of(data_ours), text_of(data_base)
    same = all(line in ours_text for line in base_text.splitlines() if line.strip())
    return {"ours": t_ours, "baseline": t_base, "same_rows": same, "lines": 20,
            "markdown_sha": hashlib.sha256(md.encode()).hexdigest()[:16], "bytes_ours": len(data_ours),
            "bytes_baseline": len(data_base)}
