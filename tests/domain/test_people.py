"""Contacts and companies on SQLite and PostgreSQL: deleting them (what an invoice refers to
stays, the rest goes with its history written), and finding them and invoices whatever the case
of the letters, in every script."""

from __future__ import annotations

import pytest

from invoice_tui.db.models import Company, Contact, PropertyChange
from invoice_tui.domain import history, invoices, people
from invoice_tui.domain.errors import BadInput, NotFound, RuleRefused


def _changes(object_type: str, object_id: int) -> dict[str, tuple]:
    """Each property's last change (a row may hold several properties: read through history)."""
    return {e.property: (e.old_value, e.new_value) for e in history.entries(object_type, object_id)}


def test_delete_company_keeps_its_contacts_and_writes_the_history(ws, admin):
    acme = people.add_company(admin, {"name": "Acme SARL", "tax_id": "FR1"})
    ada = people.add_contact(admin, {"email": "ada@acme.example", "company_id": acme.id})
    people.delete_company(admin, acme.id)
    assert Company.get_or_none(Company.id == acme.id) is None
    assert Contact.get_by_id(ada.id).company_id is None  # the contact stays, without a company
    assert _changes("contact", ada.id)["company"] == ("Acme SARL", None)
    assert _changes("company", acme.id)["name"] == ("Acme SARL", None)
    assert history.verify_chain("property_change")[0]
    with pytest.raises(NotFound):
        people.delete_company(admin, acme.id)


@pytest.mark.parametrize("how", ["company", "associated"])
def test_delete_company_on_an_invoice_is_refused_and_changes_nothing(ws, admin, buyer, how):
    acme = people.add_company(admin, {"name": "Acme SARL"})
    people.add_contact(admin, {"email": "bob@acme.example", "company_id": acme.id})
    data = {"currency": "EUR", "contact_id": buyer.id, "lines": [{"name": "Work", "quantity": "1", "unit_price": "10"}],
            **({"company_id": acme.id} if how == "company" else {"company_ids": [acme.id]})}
    inv = invoices.finalize_invoice(admin, invoices.create_invoice(admin, data).id)
    before = PropertyChange.select().count()
    with pytest.raises(RuleRefused, match=f"Acme SARL is on invoice {inv.number}"):
        people.delete_company(admin, acme.id)
    assert Company.get_or_none(Company.id == acme.id) is not None
    assert Contact.get(Contact.email == "bob@acme.example").company_id == acme.id
    assert PropertyChange.select().count() == before


def test_delete_contact_who_bills_an_invoice_is_refused(ws, admin, buyer):
    invoices.create_invoice(admin, {"currency": "EUR", "contact_id": buyer.id})
    with pytest.raises(RuleRefused, match="billing contact of draft #"):
        people.delete_contact(admin, buyer.id)
    other = people.add_contact(admin, {"email": "zoe@example.com"})
    people.delete_contact(admin, other.id)
    assert Contact.get_or_none(Contact.id == other.id) is None


def test_issue26_delete_contact_with_saved_payment_methods_is_refused_until_they_are_removed(ws, admin, clock):
    """The saved methods' table has no foreign key to contacts: deleting a contact that has some
    is refused (nothing left pointing at a contact that is gone); removed first, it goes."""
    from invoice_tui.db.online_models import SavedPaymentMethod
    from invoice_tui.domain import online

    zoe = people.add_contact(admin, {"email": "zoe@example.com"})
    SavedPaymentMethod.create(contact=zoe.id, provider="stripe", customer_ref="cus_1", method_ref="pm_1",
                              kind="card", brand="visa", last4="4242", exp_month=12, exp_year=2030, created_at=clock())
    before = PropertyChange.select().count()
    with pytest.raises(RuleRefused, match=r"saved payment methods \(pm_1\).*payment-methods remove") as refused:
        people.delete_contact(admin, zoe.id)
    assert refused.value.code == "contact.has_payment_methods"
    assert Contact.get_or_none(Contact.id == zoe.id) is not None and SavedPaymentMethod.select().count() == 1
    assert PropertyChange.select().count() == before
    online.remove_method(admin, zoe.email, "pm_1")
    people.delete_contact(admin, zoe.id)
    assert Contact.get_or_none(Contact.id == zoe.id) is None
    assert not SavedPaymentMethod.select().where(SavedPaymentMethod.contact == zoe.id).exists()


def test_searches_and_text_filters_ignore_case_in_every_script(ws, admin):
    """SQLite's LIKE folds ASCII only: "élodie" must still find "Élodie" (and "ÇA" find "ça")
    in the quick search, the text filters and the contact and company lists, as on PostgreSQL."""
    from invoice_tui.domain.filters import Filter, FilterGroup, FilterSet
    from rulekit import make_draft

    elodie = people.add_contact(admin, {"email": "elodie@example.com", "first_name": "Élodie", "last_name": "Ça"})
    people.add_contact(admin, {"email": "other@example.com", "first_name": "Other"})
    people.add_company(admin, {"name": "Société Générale d'Études"})
    inv = make_draft(admin, elodie)
    make_draft(admin, people.Contact.get(people.Contact.email == "other@example.com"))

    def found(search="", **flt) -> list[int]:
        filters = FilterSet(groups=[FilterGroup(filters=[Filter(**flt)])]) if flt else None
        return [i.id for i in invoices.query_invoices(admin, filters, None, search)]

    for text in ("élodie", "ÉLODIE", "Élodie", "ça"):
        assert found(text) == [inv.id], text
    assert found(property="contact_name", operator="contains", values=["ÉLOD"]) == [inv.id]
    assert found(property="contact_name", operator="starts_with", values=["élo"]) == [inv.id]
    assert inv.id not in found(property="contact_name", operator="not_contains", values=["ça"])
    assert [c.id for c in people.list_contacts("élodie")] == [elodie.id]
    assert [c.name for c in people.list_companies("ÉTUDES")] == ["Société Générale d'Études"]
    # many non-ASCII letters (more case forms than LIKE patterns are worth): casefolded instead
    many = people.add_contact(admin, {"email": "many@example.com", "first_name": "Àéîõüç"})
    assert [c.id for c in people.list_contacts("ÀÉÎÕÜÇ")] == [many.id]
    assert [c.id for c in people.list_contacts("àéîõüç")] == [many.id]
    # an accent is a different letter, as in PostgreSQL's ILIKE
    assert found(property="contact_name", operator="contains", values=["elodie"]) == []


def test_r43_a_refused_legal_field_is_named_once(ws, admin):
    """A check that names its field (the legal checks, R43) is not prefixed with the field again."""
    before = Contact.select().count()
    with pytest.raises(BadInput) as refused:
        people.add_contact(admin, {"email": "eve@example.org", "country": "Atlantis"})
    assert refused.value.message.startswith("country: 'Atlantis' is not an ISO 3166 country code")
    assert refused.value.field == "country" and Contact.select().count() == before
    with pytest.raises(BadInput) as refused:
        people.add_contact(admin, {"email": "not-an-email"})
    assert refused.value.message.startswith("email: ")  # a check that does not: named by the form
