"""One customer's story for the report tests (issue 27), written through the services with the clock
moved to each record's date, and the figures a bookkeeper computes from it by hand.

Ada (a contact without a company) in EUR and USD; today is 2026-03-16 (tests/conftest.FIXED_NOW):

====================  =========================================================  ============
date                  record                                                     EUR balance
====================  =========================================================  ============
2026-01-05            INV-1001 A: 100 + 20 % VAT = 120.00, due 2026-01-20         120.00
2026-01-05            INV-1002 B: 200 + 20 % VAT = 240.00, due 2026-02-04         360.00
2026-01-25            payment on B, 100.00 (partial)                              260.00
2026-01-25            INV-1003 C: USD 50.00 (0 %), due 2026-02-24                (USD 50.00)
2026-02-10            CN-1 on A: 50 + 20 % = 60.00, applied to A                  200.00
2026-03-01            INV-1004 D: 100.00 (0 %), due 2026-03-31                    300.00
2026-03-05            payment on D, 100.00 (D paid)                               200.00
2026-03-05            CN-2 on D: 40.00 (0 %): all of it to Ada's credit           160.00
2026-03-10            refund of credit, 30.00                                     190.00
2026-03-12            credit applied to B, 10.00 (moves nothing)                  190.00
====================  =========================================================  ============

Open today: A 60.00 (due 55 days ago), B 130.00 (40 days), C USD 50.00 (20 days).
"""

from __future__ import annotations

import datetime as dt

from invoice_tui.domain import credit, invoices, payments, people

TODAY = dt.date(2026, 3, 16)


def _at(clock, day: dt.date) -> None:
    clock.moment = dt.datetime.combine(day, dt.time(9, 30))


def _invoice(ctx, contact, currency, net, rate, due, *, partial=False):
    inv = invoices.create_invoice(ctx, {
        "currency": currency, "contact_id": contact.id, "due_date": due, "allow_partial": partial,
        "lines": [{"name": "Work", "quantity": "1", "unit_price": net, "tax_rate": rate}]})
    return invoices.finalize_invoice(ctx, inv.id)


def build_story(ctx, clock):
    """Writes the story; returns the contact and the documents by letter. Leaves the clock at today."""
    ada = people.add_contact(ctx, {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"})
    _at(clock, dt.date(2026, 1, 5))
    a = _invoice(ctx, ada, "EUR", "100", "20", dt.date(2026, 1, 20))
    b = _invoice(ctx, ada, "EUR", "200", "20", dt.date(2026, 2, 4), partial=True)
    _at(clock, dt.date(2026, 1, 25))
    payments.record_payment(ctx, b.id, {"amount": "100", "method": "bank_transfer"})
    c = _invoice(ctx, ada, "USD", "50", "0", dt.date(2026, 2, 24))
    _at(clock, dt.date(2026, 2, 10))
    cn1 = credit.create_credit_note_and_issue(ctx, a.id, reason="Late delivery", amount="50", rate="20")
    _at(clock, dt.date(2026, 3, 1))
    d = _invoice(ctx, ada, "EUR", "100", "0", dt.date(2026, 3, 31))
    _at(clock, dt.date(2026, 3, 5))
    payments.record_payment(ctx, d.id, {"amount": "100", "method": "card"})
    cn2 = credit.create_credit_note_and_issue(ctx, d.id, reason="Returned goods", amount="40", rate="0")
    _at(clock, dt.date(2026, 3, 10))
    credit.refund_credit(ctx, credit.customer_of(d), "EUR", "30", method="bank_transfer", reference="RF-1")
    _at(clock, dt.date(2026, 3, 12))
    credit.apply_credit(ctx, b.id, "10")
    _at(clock, TODAY)
    return ada, {"A": a, "B": b, "C": c, "D": d, "CN1": cn1, "CN2": cn2}
