"""Hostile text for R55's tests: names and free text holding terminal escapes (OSC 52 clipboard
write, CSI cursor moves and screen clears, a C1 CSI), bidi overrides and Rich markup, written into
the database behind the app's back (raw UPDATEs: the services would refuse them)."""

from __future__ import annotations

import re

import peewee as pw

from invoice_tui.db.models import Activity, Company, Contact, Invoice, LineItem, Payment, User

OSC52 = "\x1b]52;c;aGFja2Vk\x07"  # "hacked" to the clipboard
CSI = "\x1b[2J\x1b[1;1H\x1b[31m"  # clear the screen, cursor home, red
HOSTILE = f"Eve{OSC52}{CSI}\u202eliam\u2066\x9b1m[/][link=https://evil.example]x\x01\x7f"  # PostgreSQL stores no NUL
# what any rendered text must not hold: C0 (but the newline) and C1 controls, DEL, bidi controls
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hostile(label: str) -> str:
    return f"{label}{HOSTILE}"


def poison(invoice_id: int | None = None, contact_id: int | None = None, company_id: int | None = None,
           login: str | None = None) -> None:
    """Write hostile text into every name and free-text column of the given records."""
    if contact_id is not None:
        Contact.update(first_name=hostile("F"), last_name=hostile("L"), phone=hostile("P")[:60],
                       address=hostile("A") + "\nline 2").where(Contact.id == contact_id).execute()
    if company_id is not None:
        Company.update(name=hostile("Co"), address=hostile("Ad"), tax_id=hostile("T")[:60],
                       domain=hostile("d")).where(Company.id == company_id).execute()
    if login is not None:
        User.update(name=hostile("U")).where(User.login == login).execute()
    if invoice_id is not None:
        Invoice.update(title=hostile("Ti"), po_number=hostile("PO")[:100], comments=hostile("Cm") + "\nmore",
                       contact_name=hostile("CN"), company_name=hostile("CoN"), owner_name=hostile("ON"),
                       ).where(Invoice.id == invoice_id).execute()
        try:  # PostgreSQL's rule trigger keeps a finalized number (R3); SQLite only has the services
            with Invoice._meta.database.atomic():
                Invoice.update(number=Invoice.number.concat("\x1b[2J")).where(Invoice.id == invoice_id).execute()
        except pw.IntegrityError:
            pass
        LineItem.update(name=hostile("Li"), description=hostile("De")).where(LineItem.invoice == invoice_id).execute()
        Payment.update(reference=hostile("Re"), note=hostile("No")).where(Payment.invoice == invoice_id).execute()
        Activity.update(text=hostile("Ac")).where(Activity.invoice_id == invoice_id).execute()


def controls(text: str) -> list[str]:
    return CONTROL.findall(text)


def hostile_invoice(ctx, *, poisoned: bool = True):
    """An open invoice (a contact, a company, a line, a payment, history) built through the
    services as ``ctx``'s user, then poisoned (``poisoned=False``: the same, harmless)."""
    from invoice_tui.domain import invoices, payments, people

    bob = people.add_contact(ctx, {"email": "bob@example.com", "first_name": "Bob"})
    acme = people.add_company(ctx, {"name": "Acme"})
    inv = invoices.create_invoice(ctx, {"currency": "EUR", "contact_id": bob.id, "company_id": acme.id,
                                        "allow_partial": True, "title": "Work", "comments": "a\nb",
                                        "lines": [{"name": "Work", "quantity": "1", "unit_price": "100"}]})
    inv = invoices.finalize_invoice(ctx, inv.id)
    payments.record_payment(ctx, inv.id, {"amount": "10", "reference": "R"})
    if poisoned:
        poison(inv.id, contact_id=bob.id, company_id=acme.id, login=ctx.login)
    return inv
