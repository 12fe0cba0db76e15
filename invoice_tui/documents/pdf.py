"""The invoice PDF: the invoice Markdown (``documents.markdown``) rendered with markdown-pdf and
our stylesheet, then finished with PyMuPDF: page numbers, and a PAID or VOID stamp.

markdown-pdf (and PyMuPDF behind it) is imported inside :func:`invoice_pdf` only: importing it
costs about 0.7 s, which start-up must not pay.

- Paper: the workspace setting ``paper_size`` (A4 or Letter).
- Fonts: MuPDF's built-in Noto/Nimbus faces are embedded (subset) in the file, so accents and
  the euro sign render on every reader without system fonts.
- Logo: the workspace setting ``logo_path`` (PNG or JPEG), drawn top right on the first page
  when the file exists.
- A draft has no PDF (R4).
"""

from __future__ import annotations

import io
from pathlib import Path

from invoice_tui.db.models import Invoice
from invoice_tui.domain.errors import EnvironmentFailure, RuleRefused
from invoice_tui.domain.settings import WorkspaceSettings, load_settings
from invoice_tui.i18n import _

CSS = """
body { font-family: sans-serif; font-size: 9.5pt; line-height: 1.3; color: #1f2328; }
h1 { font-size: 20pt; font-weight: bold; color: #0b3d62; margin: 0 0 4pt 0; }
h2 { font-size: 11.5pt; font-weight: bold; color: #0b3d62; margin: 10pt 0 3pt 0;
     padding-bottom: 2pt; border-bottom: 0.75pt solid #9fb3c8; }
p { margin: 2pt 0 4pt 0; }
em { color: #57606a; }
strong { font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 6pt 0; }
th { font-size: 8pt; font-weight: bold; color: #57606a; text-align: left; padding: 2pt 5pt;
     border-bottom: 1pt solid #0b3d62; }
td { padding: 2pt 5pt; border-bottom: 0.5pt solid #d0d7de; vertical-align: top; }
a { color: #0b5cad; text-decoration: none; }
"""

MARGINS = (48, 48, -48, -56)  # left, top, right, bottom (points); the footer lives below


def _paper(settings: WorkspaceSettings) -> str:
    return "letter" if (settings.paper_size or "A4").lower() == "letter" else "a4"


def check_pdf_allowed(inv: Invoice) -> None:
    if inv.status == "draft":
        raise RuleRefused(_("A draft has no PDF (R4); finalize it first."))


def invoice_pdf(inv: Invoice, path: str | Path | None = None, *, settings: WorkspaceSettings | None = None,
                today=None) -> bytes | Path:
    """The PDF of a finalized invoice: its bytes, or the written ``path``."""
    check_pdf_allowed(inv)
    if path is not None:
        from invoice_tui.team_ssh import refuse_files

        refuse_files("saving a PDF")
    settings = settings or load_settings()
    from invoice_tui.documents.markdown import invoice_markdown

    from invoice_tui.documents.markdown import label

    md = invoice_markdown(inv, settings=settings, today=today)
    kind = label("credit_note" if inv.doc_type == "credit_note" else "invoice", inv.locale)
    data = render_pdf(md, settings=settings, title=f"{kind} {inv.number}", stamp=_stamp_for(inv),
                      locale=inv.locale, author=settings.seller_name)
    return data if path is None else write_file(data, path)


def write_file(data: bytes, path: str | Path) -> Path:
    """Write a document's bytes (a user error if the folder cannot take them)."""
    target = Path(path)
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise EnvironmentFailure(_("Cannot write the PDF to {target}: {reason}.").format(target=target, reason=exc.strerror or exc)) from None
    return target


def _stamp_for(inv: Invoice) -> tuple[str, bool] | None:
    """The stamp's word in the invoice's language, and whether it is the paid one (green)."""
    from invoice_tui.documents.markdown import label

    key = {"paid": "stamp_paid", "voided": "stamp_void"}.get(inv.status)
    return (label(key, inv.locale), inv.status == "paid") if key else None


def render_pdf(markdown: str, *, settings: WorkspaceSettings, title: str = "", stamp: tuple[str, bool] | None = None,
               locale: str = "en_US", author: str = "") -> bytes:
    from markdown_pdf import MarkdownPdf, Section  # lazy: 0.7 s of imports
    import pymupdf

    conv = MarkdownPdf(toc_level=0, optimize=True)
    conv.meta = dict(conv.meta, title=title, author=author or "", creator="invoice-tui",
                     producer="invoice-tui (markdown-pdf, PyMuPDF)")
    conv.add_section(Section(markdown, toc=False, paper_size=_paper(settings), borders=MARGINS), user_css=CSS)
    make_doc = getattr(conv, "_make_doc", None)
    if make_doc is not None:
        # markdown-pdf's document itself: writing it to bytes and parsing them again cost a
        # third of the time (issue 7); the final tobytes() below writes it once.
        doc = make_doc()
        conv.temp_files.clean()
    else:  # pragma: no cover - another markdown-pdf version
        buf = io.BytesIO()
        conv.save_bytes(buf)
        doc = pymupdf.open(stream=buf.getvalue(), filetype="pdf")
    try:
        _logo(doc, settings)
        _page_numbers(doc, locale)
        if stamp:
            _stamp(doc, *stamp)
        # The metadata came with the document (conv.meta). Written as markdown-pdf writes it,
        # uncompressed: compressing saved a third of ~160 KB and cost a quarter of the time.
        return doc.tobytes(garbage=1)
    finally:
        doc.close()


_PAGE_WORDS = {"en": ("Page", "of"), "fr": ("Page", "sur"), "de": ("Seite", "von"), "es": ("Página", "de")}


def _page_numbers(doc, locale: str) -> None:
    """"Page n of m", small and muted, right-aligned in the bottom margin of every page.

    Written with one TextWriter per page and one font object (``insert_textbox`` lays the font
    out again on every call). Each label's width is measured once per length: Helvetica's digits
    all have the same advance, so "Page 2 of 9" is as wide as "Page 1 of 9". A thin rule above
    the footer was dropped: through PyMuPDF it cost as much as the label itself, a sixth of the
    whole PDF's time beyond markdown-pdf's (issue 7)."""
    import pymupdf

    lang = (locale or "en").split("_")[0].lower()
    page_word, of_word = _PAGE_WORDS.get(lang, _PAGE_WORDS["en"])
    total = doc.page_count
    font = pymupdf.Font("helv")
    widths: dict[int, float] = {}
    for page in doc:
        r = page.rect
        text = f"{page_word} {page.number + 1} {of_word} {total}"
        width = widths.get(len(text))
        if width is None:
            width = widths[len(text)] = font.text_length(text, fontsize=8)
        writer = pymupdf.TextWriter(r, color=(0.35, 0.38, 0.42))
        writer.append(pymupdf.Point(r.width - 48 - width, r.height - 30), text, font=font, fontsize=8)
        writer.write_text(page, overlay=False)  # under the content: drawn in the page's own
        # coordinates, before markdown-pdf's content (which leaves its flip transform in place)


def _stamp(doc, word: str, paid: bool) -> None:
    """A large translucent PAID/VOID mark (in the invoice's language: PAYÉE, ANNULÉE) rotated across
    every page, and a framed tag beside the title on the first page (for readers that hide
    transparency). A longer word is set smaller, so that it stays on the page."""
    import pymupdf

    color = (0.09, 0.5, 0.22) if paid else (0.75, 0.1, 0.1)
    fontsize = 110
    width = pymupdf.get_text_length(word, fontname="hebo", fontsize=fontsize)
    if width > 460:
        fontsize = fontsize * 460 / width
        width = 460
    rotate = pymupdf.Matrix(30)
    for page in doc:
        r = page.rect
        center = pymupdf.Point(r.width / 2, r.height / 2)
        start = pymupdf.Point(center.x - width / 2, center.y + fontsize * 0.35)
        page.insert_text(start, word, fontsize=fontsize, fontname="hebo", color=color, fill=color,
                         fill_opacity=0.16, stroke_opacity=0.16, morph=(center, rotate))
    first = doc[0]
    r = first.rect
    tw = pymupdf.get_text_length(word, fontname="hebo", fontsize=14)
    tag = pymupdf.Rect(r.width - 48 - max(96, tw + 16), 54, r.width - 48, 80)
    first.draw_rect(tag, color=color, width=1.8)
    first.insert_text(pymupdf.Point((tag.x0 + tag.x1 - tw) / 2, tag.y1 - 8), word, fontsize=14, fontname="hebo",
                      color=color)


def _logo(doc, settings: WorkspaceSettings) -> None:
    import pymupdf

    path = Path(settings.logo_path).expanduser() if settings.logo_path else None
    if not path or not path.is_file() or doc.page_count == 0:
        return
    page = doc[0]
    r = page.rect
    box = pymupdf.Rect(r.width - 48 - 140, 16, r.width - 48, 50)
    try:
        page.insert_image(box, filename=str(path), keep_proportion=True, overlay=True)
    except Exception:  # noqa: BLE001 - an unreadable logo never blocks the invoice
        return


def statement_pdf(statements, path: str | Path | None = None, *, settings: WorkspaceSettings | None = None,
                  locale: str | None = None) -> bytes | Path:
    """Issue 27: a customer's statement of account (``domain.reports.statement``) as a PDF, through
    the invoices' one PDF path (the same markdown renderer, paper, logo and page numbers). It is
    worded in ``locale``'s language (default: the workspace's locale), as a document a customer reads."""
    from invoice_tui.documents.markdown import label
    from invoice_tui.domain.reports import statement_markdown

    if path is not None:
        from invoice_tui.team_ssh import refuse_files

        refuse_files("saving a PDF")
    settings = settings or load_settings()
    locale = locale or settings.locale or "en_US"
    md = statement_markdown(statements, seller=settings.seller_name, locale=locale)
    who = statements[0].customer_label if statements else ""
    data = render_pdf(md, settings=settings, title=f"{label('statement', locale)} {who}".strip(), locale=locale,
                      author=settings.seller_name)
    return data if path is None else write_file(data, path)
