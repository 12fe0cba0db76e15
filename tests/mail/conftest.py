"""Fixtures for the sending tests: the SMTP transport to the real SMTP server of tests/conftest.py
(``smtp_server``), the buyer link server (waitress) in a thread, and a finalized invoice with a
billing contact."""

from __future__ import annotations


import pytest

from invoice_tui.domain import invoices, people
from invoice_tui.domain.workspace import set_setting
from tests.conftest import free_port


@pytest.fixture
def transport(smtp_server):
    from invoice_tui.mail.transport import transport_from_url

    return transport_from_url(smtp_server.url)


@pytest.fixture
def down_transport():
    """An SMTP URL where nothing listens: the server is down."""
    from invoice_tui.mail.transport import transport_from_url

    return transport_from_url(f"smtp://127.0.0.1:{free_port()}", timeout=3)


@pytest.fixture
def buyer_server():
    from invoice_tui.web.app import make_server, serve_in_thread

    server = make_server("127.0.0.1", 0)
    stop = serve_in_thread(server)
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop()


def setup_workspace(admin, base_url: str = "https://invoices.example.com") -> None:
    for key, value in (("seller_name", "Atelier Dupré"), ("default_from_address", "billing@dupre.example"),
                       ("public_base_url", base_url), ("payment_instructions", "IBAN FR76 3000 6000 0112")):
        set_setting(admin, key, value)


def make_invoice(admin, email: str = "zoe@muller.example", first: str = "Zoë", last: str = "Müller",
                 amount: str = "1200", finalize: bool = True):
    contact = people.Contact.get_or_none(people.Contact.email == email) if hasattr(people, "Contact") else None
    if contact is None:
        contact = people.add_contact(admin, {"email": email, "first_name": first, "last_name": last})
    inv = invoices.create_invoice(admin, {"currency": "EUR", "contact_id": contact.id, "po_number": "PO-7",
                                          "lines": [{"name": "Développement", "quantity": "1", "unit_price": amount,
                                                     "tax_rate": "20"}]})
    if finalize:
        inv = invoices.finalize_invoice(admin, inv.id)
    return inv
