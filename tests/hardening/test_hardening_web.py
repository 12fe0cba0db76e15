"""The buyer link server (issue 8): tokens of ≥128 bits from ``secrets``; unknown, draft and
deleted tokens answer alike; security headers; path traversal and oversized requests refused; a
bounded load run on loopback (2,000 requests from a threaded Python client) without an error."""

from __future__ import annotations

import http.client
import re
import socket
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from invoice_tui.db.models import Invoice
from invoice_tui.domain import invoices, people
from invoice_tui.domain.workspace import open_workspace, set_setting
from invoice_tui.web.app import make_server, serve_in_thread


@pytest.fixture
def served(sqlite_url, clock):
    ws = open_workspace(sqlite_url, notice=lambda m: None)
    admin = ws.context("alice", source="test", now=clock)
    set_setting(admin, "allow_delete_unpaid", "true")
    buyer = people.add_contact(admin, {"email": "ada@example.com", "first_name": "Ada"})
    made = []
    for i in range(4):
        inv = invoices.create_invoice(admin, {"currency": "EUR", "contact_id": buyer.id,
                                              "lines": [{"name": f"Work {i}", "quantity": "1", "unit_price": "10"}]})
        made.append(invoices.finalize_invoice(admin, inv.id))
    server = make_server("127.0.0.1", 0, threads=8)
    stop = serve_in_thread(server)
    yield admin, made, server.effective_port
    stop()
    ws.db.close()


def _get(port, path, method="GET", headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_tokens_are_at_least_128_bits_from_secrets(served):
    _admin, made, _port = served
    tokens = [Invoice.get_by_id(i.id).link_token for i in made]
    assert len(set(tokens)) == len(tokens)
    for t in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", t) and len(t) * 6 >= 128
    import inspect

    assert "secrets.token_urlsafe(" in inspect.getsource(invoices._write_finalize)


def test_unknown_draft_and_deleted_tokens_answer_alike(served):
    admin, made, port = served
    live = Invoice.get_by_id(made[0].id).link_token
    deleted = Invoice.get_by_id(made[1].id).link_token
    invoices.delete_invoice(admin, made[1].id)
    draft = Invoice.get_by_id(made[2].id).link_token
    Invoice.update(status="draft").where(Invoice.id == made[2].id).execute()  # a token on a draft row
    status, headers, body = _get(port, f"/i/{live}")
    assert status == 200 and b"Work 0" in body
    answers = set()
    for token in ("A" * 32, deleted, draft, live[:-1] + ("A" if live[-1] != "A" else "B")):
        for suffix in ("", ".pdf"):
            s, h, b = _get(port, f"/i/{token}{suffix}")
            h = {k: v for k, v in h.items() if k.lower() not in ("date",)}
            answers.add((s, tuple(sorted(h.items())), b))
    assert len(answers) == 1 and next(iter(answers))[0] == 404


def test_security_headers_on_every_answer(served):
    _admin, made, port = served
    live = Invoice.get_by_id(made[0].id).link_token
    for path in (f"/i/{live}", "/i/unknown-token-0000000", "/"):
        status, headers, _ = _get(port, path)
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "no-store" in headers["Cache-Control"]
    status, headers, _ = _get(port, f"/i/{live}.pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert _get(port, f"/i/{live}", method="POST", body=b"x")[0] == 405


@pytest.mark.parametrize("path", ["/i/../../etc/passwd", "/i/..%2f..%2fetc%2fpasswd", "/i/%2e%2e/%2e%2e/etc/passwd",
                                  "/../invoice_tui/web/app.py", "/static/../../workspace.db", "//etc/passwd",
                                  "/i/AAAAAAAAAAAAAAAAAAAAAAAA/../../../etc/passwd", "/i/AAAAAAAAAAAAAAAAAA%00.pdf",
                                  "/i/" + "A" * 5000], ids=lambda p: p[:40])
def test_path_traversal_is_refused(served, path):
    _admin, _made, port = served
    status, _headers, body = _get(port, path)
    assert status in (400, 404)
    assert b"root:" not in body and b"import" not in body and b"SQLite" not in body


def test_oversized_requests_are_refused(served):
    _admin, made, port = served
    live = Invoice.get_by_id(made[0].id).link_token
    status, _h, _b = _get(port, f"/i/{live}", headers={"X-Big": "a" * 64 * 1024})
    assert status in (400, 413, 431)
    status, _h, _b = _get(port, f"/i/{live}", body=b"x" * 100_000)
    assert status == 413
    # the server still answers afterwards
    assert _get(port, f"/i/{live}")[0] == 200


def test_bounded_load_run(served):
    _admin, made, port = served
    tokens = [Invoice.get_by_id(i.id).link_token for i in made]
    # one request in four renders a page (the costly kind); the rest are refused tokens
    paths = [f"/i/{tokens[n % 4]}" if n % 4 == 0 else f"/i/{'Z' * 24}{n}" for n in range(2000)]

    def worker(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        seen = Counter()
        for p in chunk:
            conn.request("GET", p)
            resp = conn.getresponse()
            resp.read()
            seen[resp.status] += 1
        conn.close()
        return seen

    chunks = [paths[i::8] for i in range(8)]
    total = Counter()
    with ThreadPoolExecutor(8) as pool:
        for seen in pool.map(worker, chunks):
            total.update(seen)
    assert sum(total.values()) == 2000
    assert total == {200: 500, 404: 1500}


def test_pages_without_an_invoice_speak_the_buyers_browser_language(served):
    """A French buyer who mistypes the link reads French (``Accept-Language``), a German one
    German; unknown languages and none get English; the 404 stays the same for every unknown,
    draft or deleted address in one language (it depends on the headers only)."""
    from invoice_tui.web.app import buyer_language

    _admin, made, port = served
    s, _h, body = _get(port, f"/i/{'A' * 32}", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert s == 404 and "Il n’y a pas de facture à cette adresse." in body.decode() and b'lang="fr"' in body
    s, _h, body = _get(port, f"/i/{'A' * 32}", headers={"Accept-Language": "it, de;q=0.8"})
    assert s == 404 and "Unter dieser Adresse gibt es keine Rechnung." in body.decode()
    s, _h, body = _get(port, f"/i/{'A' * 32}", headers={"Accept-Language": "zz, *;q=0.1"})
    assert s == 404 and b"There is no invoice at this address." in body
    s, _h, body = _get(port, f"/i/{'A' * 32}")
    assert s == 404 and b"There is no invoice at this address." in body
    s, _h, body = _get(port, f"/i/{'A' * 32}", method="DELETE", headers={"Accept-Language": "es"})
    assert s == 405 and "Método no permitido" in body.decode()
    assert buyer_language({"HTTP_ACCEPT_LANGUAGE": "en;q=0.2, fr;q=0.8"}) == "fr"
    assert buyer_language({"HTTP_ACCEPT_LANGUAGE": "fr;q=0, de"}) == "de"
    assert buyer_language({"HTTP_ACCEPT_LANGUAGE": "fr;q=abc"}) == "en"
