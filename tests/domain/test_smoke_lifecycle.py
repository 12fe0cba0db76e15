from invoice_tui.domain import invoices, payments, people


def test_create_finalize_pay(ws, admin):
    c = people.add_contact(admin, {"email": "buyer@example.com", "first_name": "Ada"})
    inv = invoices.create_invoice(admin, {"currency": "EUR", "contact_id": c.id,
                                          "lines": [{"name": "Work", "quantity": "2", "unit_price": "50"}]})
    inv = invoices.finalize_invoice(admin, inv.id)
    assert inv.number == "INV-1001"
    res = payments.record_payment(admin, inv.number, {"amount": "100"})
    assert res.invoice.status == "paid"
