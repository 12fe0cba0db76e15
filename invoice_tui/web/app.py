"""The buyer's read-only invoice page (``invoice-tui serve``): a small WSGI application served by
waitress.

Routes (GET and HEAD; and ``POST /webhooks/stripe`` when a payment provider is configured,
see ``web/webhooks.py``, with ``POST /i/<token>/pay`` and ``/setup`` when the publishable key is
set too, see ``web/pay.py``): ``/i/<token>`` — the invoice document (the same Markdown as the PDF,
as HTML) — and ``/i/<token>.pdf`` — its PDF. Unknown tokens, drafts and deleted invoices get the
same 404 (same status, headers and body); voided invoices are shown with a VOID mark, paid ones
with PAID. There is no listing and no other route: everything else is the same 404.

Responses are never cached by shared caches, are not indexed, and the page loads nothing from
elsewhere (Content-Security-Policy ``default-src 'none'``).
"""

from __future__ import annotations

import html
import re
import threading
from typing import Callable, Iterable

from invoice_tui.db import database
from invoice_tui.db.models import Invoice
from invoice_tui.web.webhooks import MAX_WEBHOOK_BYTES, WEBHOOK_PATH

TOKEN_RE = re.compile(r"^/i/([A-Za-z0-9_-]{16,64})(\.pdf)?$")
MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024

_COMMON_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Robots-Tag", "noindex, nofollow"),
    ("Cache-Control", "private, no-store"),
    ("X-Frame-Options", "DENY"),
]
_CSP = ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                   "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")

BUYER_LANGUAGES = ("en", "fr", "de", "es")  # the languages the documents and these pages are written in


def buyer_language(environ) -> str:
    """The language of a page without an invoice (not found, refused, failed): the one the
    buyer's browser prefers (``Accept-Language``) among the documents' languages, else English.
    It depends on the request's headers only, so an unknown, a draft's and a deleted invoice's
    address still get the same 404."""
    from babel import negotiate_locale

    preferred = []
    for i, part in enumerate((environ.get("HTTP_ACCEPT_LANGUAGE") or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        tag = tag.strip().lower().replace("-", "_")
        if tag and tag != "*" and q > 0:
            preferred.append((-q, i, tag))
    return negotiate_locale([t for _, _, t in sorted(preferred)], list(BUYER_LANGUAGES)) or "en"


def not_found_body(lang: str = "en") -> bytes:
    """The one 404 page, in ``lang``."""
    title, text = html.escape(_label("not_found_title", lang)), html.escape(_label("not_found_text", lang))
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><h1>{title}</h1><p>{text}</p></body></html>\n").encode("utf-8")


PAGE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
       background: #f3f5f7; margin: 0; padding: 24px 12px; line-height: 1.45; }
main { max-width: 820px; margin: 0 auto; background: #fff; padding: 32px 40px; border-radius: 6px;
       box-shadow: 0 1px 3px rgba(0,0,0,.12); position: relative; overflow: hidden; }
h1 { color: #0b3d62; margin-top: 0; }
h2 { color: #0b3d62; font-size: 1.1em; border-bottom: 1px solid #9fb3c8; padding-bottom: 2px; margin-top: 1.6em; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: .95em; }
th { text-align: left; color: #57606a; font-size: .85em; border-bottom: 2px solid #0b3d62; padding: 4px 6px; }
td { border-bottom: 1px solid #d0d7de; padding: 4px 6px; vertical-align: top; }
a { color: #0b5cad; }
.actions { max-width: 820px; margin: 0 auto 12px; text-align: right; }
.actions a { background: #0b3d62; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none; }
.stamp { position: absolute; top: 38%; left: 0; right: 0; text-align: center; font-size: 120px; font-weight: 800;
         transform: rotate(-30deg); opacity: .14; pointer-events: none; letter-spacing: .08em; }
.stamp.void { color: #b91c1c; } .stamp.paid { color: #15803d; }
.banner { max-width: 820px; margin: 0 auto 12px; padding: 10px 14px; border-radius: 4px; font-weight: 700; }
.banner.void { background: #fde8e8; color: #8a1111; border: 1px solid #f0b4b4; }
"""


def _markdown_renderer():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


class BuyerApp:
    """The WSGI application. ``load_invoice`` is the only way data is reached."""

    def __init__(self, webhooks: Callable | None = None, pay=None) -> None:
        self._md = _markdown_renderer()
        self._lock = threading.Lock()
        self._webhooks = webhooks  # POST /webhooks/stripe (issue 26), when serve runs with a provider
        self._pay = pay  # POST /i/<token>/pay and the Pay form (web/pay.py), with a publishable key too

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method == "POST" and self._webhooks is not None and environ.get("PATH_INFO") == WEBHOOK_PATH \
                and not environ.get("QUERY_STRING"):
            return self._webhooks(environ, start_response)
        if method == "POST" and self._pay is not None and not environ.get("QUERY_STRING"):
            from invoice_tui.web.pay import PAY_RE

            pay = PAY_RE.match(environ.get("PATH_INFO") or "")
            if pay:
                return self._pay(environ, start_response, pay.group(1), pay.group(2))
        if method not in ("GET", "HEAD"):
            return self._respond(start_response, "405 Method Not Allowed",
                                 (_label("method_not_allowed", buyer_language(environ)) + "\n").encode("utf-8"),
                                 "text/plain; charset=utf-8", method, extra=[("Allow", "GET, HEAD")])
        path = environ.get("PATH_INFO", "") or "/"
        m = TOKEN_RE.match(path)
        if not m or environ.get("QUERY_STRING"):
            return self._not_found(start_response, method, environ)
        token, pdf = m.group(1), bool(m.group(2))
        try:
            with database.connection_context():
                inv = self.load_invoice(token)
                if inv is None:
                    return self._not_found(start_response, method, environ)
                if pdf:
                    body = self._pdf(inv)
                    return self._respond(start_response, "200 OK", body, "application/pdf", method, extra=[
                        ("Content-Disposition", f'inline; filename="{_filename(inv)}"')])
                if self._pay is not None and inv.status == "open" and inv.doc_type != "credit_note":
                    from invoice_tui.web.pay import new_nonce

                    nonce = new_nonce()  # only this page opens what the payment form needs
                    body = self._page(inv, token, nonce).encode("utf-8")
                    return self._respond(start_response, "200 OK", body, "text/html; charset=utf-8", method,
                                         extra=[self._pay.csp(nonce)])
                body = self._page(inv, token).encode("utf-8")
                return self._respond(start_response, "200 OK", body, "text/html; charset=utf-8", method,
                                     extra=[_CSP])
        except Exception:  # noqa: BLE001 - never a traceback to a buyer
            return self._respond(start_response, "500 Internal Server Error",
                                 (_label("went_wrong", buyer_language(environ)) + "\n").encode("utf-8"),
                                 "text/plain; charset=utf-8", method)

    @staticmethod
    def load_invoice(token: str) -> Invoice | None:
        """The finalized invoice with this link token; None for unknown tokens, drafts and deleted ones."""
        return (Invoice.select().where((Invoice.link_token == token)
                                       & Invoice.status.in_(["open", "paid", "voided"])).first())

    def _page(self, inv: Invoice, token: str, pay_nonce: str | None = None) -> str:
        from invoice_tui.documents.markdown import invoice_markdown
        from invoice_tui.domain.settings import load_settings

        settings = load_settings()
        with self._lock:  # markdown-it's renderer is not documented as thread-safe
            content = self._md.render(invoice_markdown(inv, settings=settings))
        from invoice_tui.documents.markdown import label

        def L(key: str, **kw) -> str:  # noqa: N802 - the page speaks the invoice's language (issue 25)
            return label(key, inv.locale, **kw)

        stamp = {"voided": ("void", L("stamp_void")), "paid": ("paid", L("stamp_paid"))}.get(inv.status)
        kind = L("credit_note" if inv.doc_type == "credit_note" else "invoice")
        title = html.escape(f"{kind} {inv.number}" + (f" — {settings.seller_name}" if settings.seller_name else ""))
        banner = (f'<div class="banner void">{html.escape(L("void_banner"))}</div>\n'
                  if inv.status == "voided" else "")
        stamp_html = f'<div class="stamp {stamp[0]}" aria-hidden="true">{stamp[1]}</div>' if stamp else ""
        return (f'<!DOCTYPE html>\n<html lang="{html.escape((inv.locale or "en").split("_")[0])}"><head>'
                f'<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
                f'<meta name="robots" content="noindex, nofollow"><title>{title}</title>'
                f"<style>{PAGE_CSS}</style></head><body>\n{banner}"
                f'<div class="actions"><a href="{html.escape(token)}.pdf">{html.escape(L("download_pdf"))}</a></div>\n'
                f"<main>{stamp_html}\n{content}{self._pay_section(inv, token, pay_nonce)}</main>\n</body></html>\n")

    def _pay_section(self, inv: Invoice, token: str, nonce: str | None) -> str:
        if nonce is None or self._pay is None:
            return ""
        from invoice_tui.domain.money import format_money, from_minor

        amount = format_money(from_minor(inv.balance_minor, inv.currency), inv.currency, inv.locale or "en_US")
        return self._pay.section(token, amount, nonce, inv.locale)

    @staticmethod
    def _pdf(inv: Invoice) -> bytes:
        from invoice_tui.domain.einvoice import document_pdf

        return document_pdf(inv)

    def _not_found(self, start_response, method: str, environ=None):
        body = not_found_body(buyer_language(environ or {}))
        return self._respond(start_response, "404 Not Found", body, "text/html; charset=utf-8", method,
                             extra=[_CSP])

    @staticmethod
    def _respond(start_response, status: str, body: bytes, ctype: str, method: str, extra=()):
        headers = [("Content-Type", ctype), ("Content-Length", str(len(body))), *_COMMON_HEADERS, *extra]
        start_response(status, headers)
        return [b"" if method == "HEAD" else body]


def _label(key: str, lang: str) -> str:
    from invoice_tui.documents.markdown import label

    return label(key, lang)


def _filename(inv: Invoice) -> str:
    from invoice_tui.mail.compose import attachment_filename

    return attachment_filename(inv)


def serve_in_thread(server, tick: float = 0.2) -> Callable[..., None]:
    """Serve in a thread of its own (tests, an app embedding the buyer page) until the returned
    ``stop(timeout=10)`` is called: the loop looks every ``tick`` seconds whether it is to stop,
    and the server is closed in that same thread. Nothing is written from another thread to the
    server's wake-up pipe (``waitress``' trigger), and no socket is closed under its ``select()``."""
    stopping = threading.Event()

    def run() -> None:
        try:
            while not stopping.is_set() and server._map:
                server.asyncore.loop(timeout=tick, map=server._map, use_poll=server.adj.asyncore_use_poll,
                                     count=1)
        finally:
            server.close()

    thread = threading.Thread(target=run, name="invoice-tui-web", daemon=True)
    thread.start()

    def stop(timeout: float = 10.0) -> None:
        stopping.set()
        thread.join(timeout)
        if thread.is_alive():  # pragma: no cover - a request still being answered
            raise RuntimeError("the web server did not stop within {:.0f} s".format(timeout))

    return stop


def make_server(host: str = "127.0.0.1", port: int = 8080, *, threads: int = 4, webhook_context=None):
    """A waitress server for the buyer page (``.run()`` serves; ``.close()`` stops; from another
    thread, ``serve_in_thread``). With ``webhook_context`` (the serving user's context, its services
    carrying a payment provider) it also accepts the provider's events at ``POST /webhooks/stripe``."""
    from waitress import create_server

    webhooks = pay = None
    if webhook_context is not None and webhook_context.services.payment_provider is not None:
        from invoice_tui.web.webhooks import StripeWebhooks

        webhooks = StripeWebhooks(webhook_context)
        cfg = webhook_context.services.config
        if cfg is not None and cfg.stripe_publishable_key:
            from invoice_tui.web.pay import BuyerPay

            pay = BuyerPay(webhook_context, cfg.stripe_publishable_key, cfg.stripe_api_base)
    # The page takes no input but its token: small request limits (waitress allows 256 KB of
    # headers and 1 GB of body by default, buffered to disk) refuse oversized requests early; a
    # webhook's body is at most 64 KB.
    return create_server(BuyerApp(webhooks, pay), host=host, port=port, threads=threads, ident="invoice-tui",
                         expose_tracebacks=False, clear_untrusted_proxy_headers=True,
                         max_request_header_size=MAX_HEADER_BYTES,
                         max_request_body_size=MAX_WEBHOOK_BYTES if webhooks else MAX_BODY_BYTES,
                         channel_timeout=30)
