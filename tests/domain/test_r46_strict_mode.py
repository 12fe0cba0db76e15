"""R46 strict mode and R3/R46 series, on SQLite and PostgreSQL: strict mode turns on with a French
seller in a workspace that issued nothing; issued invoices are never edited, voided or deleted
(each refusal gives the legal reason, nothing is written); the settings allowing it are refused;
once a document was issued under it, it stays on. Series: patterns, a yearly restart crossing
31 December, drafts never consume a number, numbers follow the dates (R57)."""

from __future__ import annotations

import datetime as dt

import pytest

from invoice_tui.domain import invoices, people
from invoice_tui.domain.errors import BadInput, RuleRefused
from invoice_tui.domain.settings import load_settings
from invoice_tui.domain.workspace import change_setting, set_setting
from tests.domain.rulekit import census, make_draft, reload

pytestmark = pytest.mark.no_seller

FRENCH_SELLER = {"seller_legal_name": "Lumière & Co. Studio SAS", "seller_address": "8 boulevard de la Croix-Rousse",
                 "seller_postcode": "69004", "seller_city": "Lyon", "seller_siren": "732829320",
                 "seller_vat_id": "FR40303265045", "seller_electronic_scheme": "0225",
                 "seller_electronic_address": "732829320", "late_penalty_rate": "12.15", "seller_country": "FR"}


def french(admin) -> list[str]:
    notes = []
    for key, value in FRENCH_SELLER.items():
        notes += change_setting(admin, key, value).notes
    return notes


def issued(admin, buyer, **kw):
    draft = make_draft(admin, buyer, operation_category="services", **kw)
    return invoices.finalize_invoice(admin, draft.id)


def test_r46_strict_mode_turns_on_with_a_french_seller_and_says_so(ws, admin):
    assert load_settings().strict_mode is False
    notes = french(admin)
    assert load_settings().strict_mode is True
    assert len(notes) == 1 and "Strict mode is now on" in notes[0]


def test_r46_existing_workspace_with_issued_invoices_keeps_its_behaviour_with_a_notice(ws, admin, buyer):
    set_setting(admin, "seller_legal_name", "Old Firm")
    set_setting(admin, "seller_address", "1 rue X")
    make_draft(admin, buyer)
    invoices.finalize_invoice(admin, make_draft(admin, buyer).id)
    notes = french(admin)
    assert load_settings().strict_mode is False
    assert len(notes) == 1 and "recommended" in notes[0] and "strict_mode on" in notes[0]


def test_r46_edit_void_delete_of_an_issued_invoice_refused_with_the_reason(ws, admin, buyer):
    french(admin)
    inv = issued(admin, buyer)
    before = census()
    for call, done in ((lambda: invoices.edit_invoice(admin, inv.id, {"title": "changed"}), "edited"),
                       (lambda: invoices.void_invoice(admin, inv.id), "voided"),
                       (lambda: invoices.delete_invoice(admin, inv.id), "deleted")):
        with pytest.raises(RuleRefused) as err:
            call()
        assert err.value.code == "invoice.strict_mode"
        assert f"never {done}" in err.value.message and "R46" in err.value.message
        assert "CGI art. 289" in err.value.message and "credit note" in err.value.message
        assert census() == before
    states = {a.id: a for a in invoices.available_actions(admin, reload(inv))}
    for action in ("edit", "void", "delete"):
        assert not states[action].enabled and "strict mode" in states[action].reason
    draft = make_draft(admin, buyer)
    invoices.edit_invoice(admin, draft.id, {"title": "a draft is still edited"})
    invoices.delete_invoice(admin, draft.id)  # and deleted: it holds no number


def test_r46_the_tui_says_where_to_correct_it_once(ws, admin, buyer):
    """The refusal says to correct the invoice with a credit note; the TUI's remedy adds where (the
    Actions menu's two actions), without saying "credit note" twice — in French as in English
    ("… par un avoir ; corrigez-la par un avoir …" was shown)."""
    from invoice_tui.i18n import use_language
    from invoice_tui.widgets.error_text import error_text

    french(admin)
    inv = issued(admin, buyer)
    with pytest.raises(RuleRefused) as err:
        invoices.edit_invoice(admin, inv.id, {"title": "changed"})
    text = error_text(err.value)
    assert text.endswith("Correct it with a credit note instead; in the Actions menu (a): Create credit note, "
                         "or Cancel and replace."), text
    assert text.count("with a credit note") == 1, text
    use_language("fr_FR")
    try:
        with pytest.raises(RuleRefused) as err:
            invoices.edit_invoice(admin, inv.id, {"title": "changed"})
        text = error_text(err.value)
    finally:
        use_language("en_US")
    assert "dans le menu Actions (a) : Créer un avoir, ou Annuler et remplacer." in text, text
    assert text.count("par un avoir") == 1, text


def test_r46_settings_allowing_edits_or_deletes_refused(ws, admin):
    set_setting(admin, "allow_edit_finalized", "on")
    french(admin)  # turning strict mode on turns them off
    assert (load_settings().allow_edit_finalized, load_settings().allow_delete_unpaid) == (False, False)
    for key in ("allow_edit_finalized", "allow_delete_unpaid"):
        with pytest.raises(RuleRefused, match=f"{key} cannot be turned on in strict mode"):
            set_setting(admin, key, "true")


def test_r46_strict_mode_cannot_be_turned_off_once_a_document_was_issued(ws, admin, buyer):
    french(admin)
    set_setting(admin, "strict_mode", "off")  # nothing issued under it yet
    set_setting(admin, "strict_mode", "on")
    issued(admin, buyer)
    assert load_settings().strict_locked is True
    with pytest.raises(RuleRefused, match="cannot be turned off"):
        set_setting(admin, "strict_mode", "off")
    with pytest.raises(BadInput, match="cannot be set by hand"):
        set_setting(admin, "strict_locked", "false")
    assert load_settings().strict_mode is True


def test_r46_drafts_never_consume_a_number_series_gap_free(ws, admin, buyer):
    french(admin)
    set_setting(admin, "number_pattern", "F-{seq:05}")
    set_setting(admin, "next_number", "1")
    drafts = [make_draft(admin, buyer, operation_category="goods") for _ in range(4)]
    invoices.delete_invoice(admin, drafts[1].id)
    numbers = [invoices.finalize_invoice(admin, d.id).number for d in (drafts[0], drafts[2], drafts[3])]
    assert numbers == ["F-00001", "F-00002", "F-00003"]


def test_r46_yearly_series_restarts_crossing_31_december(ws, admin, buyer, clock):
    french(admin)
    set_setting(admin, "number_pattern", "F-{year}-{seq:05}")
    clock.moment = dt.datetime(2026, 12, 31, 22, 0)
    assert invoices.preview_number(dt.date(2026, 12, 31)) == "F-2026-00001"
    assert [issued(admin, buyer).number for _ in range(2)] == ["F-2026-00001", "F-2026-00002"]
    late = make_draft(admin, buyer, operation_category="goods")  # a draft dated 2026-12-31, finalized later
    clock.moment = dt.datetime(2027, 1, 1, 8, 0)
    assert invoices.preview_number(dt.date(2027, 1, 1)) == "F-2027-00001"
    assert [issued(admin, buyer).number for _ in range(2)] == ["F-2027-00001", "F-2027-00002"]
    with pytest.raises(RuleRefused) as err:  # R57: not dated before the latest of its series
        invoices.finalize_invoice(admin, late.id)
    assert err.value.code == "invoice.date_before_latest"
    invoices.edit_invoice(admin, late.id, {"invoice_date": dt.date(2027, 1, 1)})
    assert invoices.finalize_invoice(admin, late.id).number == "F-2027-00003"


def test_r46_business_buyer_in_strict_mode(ws, admin):
    french(admin)
    company = people.add_company(admin, {"name": "Bonnard Architecture", "country": "FR", "siren": "552100554"})
    contact = people.add_contact(admin, {"email": "compta@bonnard.example", "company_id": company.id})
    inv = issued(admin, contact, company_id=company.id)
    assert inv.number == "INV-1001"
