"""A small known dataset for the index tests, created through the services (fixed clock
2026-03-16). ``build(ws, admin)`` returns {name: invoice id}.

    key        number    status   currency  billed    contact  company              owner  due
    overdue    INV-1001  open*    EUR       100.00    Ada      Analytical Engines   alice  2026-03-01
    paid       INV-1002  paid     EUR       250.00    Grace    Navy Labs            alice  2026-03-20
    usd_open   INV-1003  open     USD       40.00     Linus    —                    alice  2026-04-15
    jpy_draft  —         draft    JPY       5000      Ada      Analytical Engines   alice  2026-04-15 (PO-77)
    voided     INV-1004  voided   EUR       1200.50   Grace    Navy Labs            alice  2026-03-30
    gbp_part   INV-1005  open*    GBP       75.00     Linus    —                    bob    2026-03-10 (25 paid)
    retainer   —         draft    EUR       0         —        —                    bob    2026-04-15 ("Retainer")
    today_due  INV-1006  open     USD       999.99    Ada      Analytical Engines   alice  2026-03-16
    (* overdue)
"""

from __future__ import annotations

import datetime as dt

from invoice_tui.domain import invoices, payments, people

D = dt.date


def make_user(ws, admin, login: str, permissions: str):
    people.add_user(admin, login, permissions=permissions)
    return ws.context(login, source="test", now=admin.now)


def build(ws, admin) -> dict[str, int]:
    bob = make_user(ws, admin, "bob", "view,create,edit")
    ada = people.add_contact(admin, {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"})
    grace = people.add_contact(admin, {"email": "grace@navy.example", "first_name": "Grace", "last_name": "Hopper"})
    linus = people.add_contact(admin, {"email": "linus@kernel.example", "first_name": "Linus"})
    engines = people.add_company(admin, {"name": "Analytical Engines"})
    navy = people.add_company(admin, {"name": "Navy Labs"})

    def make(ctx, currency, price, *, contact=None, company=None, inv_date=D(2026, 3, 1), due=D(2026, 4, 15),
             finalize=True, **extra):
        data = {"currency": currency, "invoice_date": inv_date, "due_date": due, **extra}
        if contact:
            data["contact_id"] = contact.id
        if company:
            data["company_id"] = company.id
        if price is not None:
            data["lines"] = [{"name": "Work", "quantity": "1", "unit_price": price}]
        inv = invoices.create_invoice(ctx, data)
        if finalize:
            inv = invoices.finalize_invoice(ctx, inv.id)
        return inv.id

    ids = {}
    ids["overdue"] = make(admin, "EUR", "100", contact=ada, company=engines, inv_date=D(2026, 2, 1),
                          due=D(2026, 3, 1))
    ids["paid"] = make(admin, "EUR", "250", contact=grace, company=navy, due=D(2026, 3, 20))
    payments.record_payment(admin, ids["paid"], {"amount": "250", "date": D(2026, 3, 5)})
    ids["usd_open"] = make(admin, "USD", "40", contact=linus)
    ids["jpy_draft"] = make(admin, "JPY", "5000", contact=ada, company=engines, finalize=False, po_number="PO-77")
    ids["voided"] = make(admin, "EUR", "1200.50", contact=grace, company=navy, due=D(2026, 3, 30))
    invoices.void_invoice(admin, ids["voided"])
    # dated 2026-03-01 like the invoices numbered before it: numbers follow the invoice dates (R57)
    ids["gbp_part"] = make(bob, "GBP", "75", contact=linus, inv_date=D(2026, 3, 1), due=D(2026, 3, 10),
                           allow_partial=True)
    payments.record_payment(admin, ids["gbp_part"], {"amount": "25", "date": D(2026, 3, 12)})
    ids["retainer"] = make(bob, "EUR", None, finalize=False, title="Retainer")
    ids["today_due"] = make(admin, "USD", "999.99", contact=ada, company=engines, inv_date=D(2026, 3, 2),
                            due=D(2026, 3, 16))
    return ids
