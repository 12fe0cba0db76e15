"""Issue 19, item 5: a field or action a rule forbids right now is shown disabled with the rule's
reason BEFORE the user picks (80×24), and that reason is the very sentence the write service
refuses with: one home per rule (``invoices.field_states``, ``invoices.available_actions`` and the
checks they call: ``check_edit``, ``check_currency_change``, ``check_collectable``,
``check_partial_payment``, ``check_void``, ``check_delete``)."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input, OptionList, Static

from invoice_tui.domain.errors import RuleRefused
from invoice_tui.screens.editor import EditorScreen
from test_invoice_support import (app_for, contact, inv, open_invoice, open_payment_form, payments, people,
                                  set_setting, settle, show_invoice, workspace)

SIZE = (80, 24)


def hint(card) -> str:
    return str(card.query_one(".card-hint", Static).render())


def refusal(call) -> str:
    with pytest.raises(RuleRefused) as refused:
        call()
    return refused.value.message


async def test_issue19_r6_owner_and_contacts_shown_locked_once_a_payment_exists(sqlite_url, clock):
    from invoice_tui.domain import invoices
    from invoice_tui.widgets.cards import AboutCard, CompaniesCard, ContactsCard

    ws, ctx = workspace(sqlite_url, clock)
    c = contact(ctx)
    other = contact(ctx, email="carol@example.com", first="Carol", last="Client")
    people.add_user(ctx, "bruno", permissions="view,create,edit")
    set_setting(ctx, "allow_edit_finalized", "true")
    i = open_invoice(ctx, c.id)
    payments.record_payment(ctx, i.id, {"amount": "500"})  # partial payments are allowed on this one
    # the services' refusal after a pick, and the reason the page shows before it: the same sentence
    sentence = refusal(lambda: invoices.edit_invoice(ctx, i.id, {"owner_id": 2}))
    assert sentence == refusal(lambda: invoices.edit_invoice(ctx, i.id, {"contact_ids": [c.id, other.id]}))
    assert "has a payment" in sentence
    before = inv(i.id).version
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        assert {f: s.reason for f, s in screen.view.fields.items() if not s.enabled} == {
            "owner": sentence, "contacts": sentence, "companies": sentence, "currency": sentence}
        assert "owner locked" in hint(screen.query_one(AboutCard)) and sentence[:30] in hint(screen.query_one(AboutCard))
        assert sentence[:30] in hint(screen.query_one(ContactsCard))
        assert sentence[:30] in hint(screen.query_one(CompaniesCard))
        # the keys are shown disabled: nothing to pick
        for action in ("change_owner", "add_contact", "remove_contact", "make_billing", "add_company"):
            assert screen.check_action(action, ()) is None, action
        depth = len(app.screen_stack)
        await pilot.press("1", "o")  # the About card, then its owner key: no picker opens
        await settle(pilot, app)
        assert len(app.screen_stack) == depth
        await pilot.press("3", "n")  # the Contacts card's "add": no picker either
        await settle(pilot, app)
        assert len(app.screen_stack) == depth
        screen.action_change_owner()  # another road (the palette): the reason, and nothing to pick
        await settle(pilot, app)
        assert len(app.screen_stack) == depth
        assert any(n.message == sentence for n in app._notifications)
    assert inv(i.id).version == before


async def test_issue19_r6_no_lock_while_the_rule_allows_the_change(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    set_setting(ctx, "allow_edit_finalized", "true")
    i = open_invoice(ctx, contact(ctx).id)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show_invoice(pilot, app, i.id)
        assert screen.check_action("change_owner", ()) is True and screen.check_action("add_contact", ()) is True
        assert [f for f, s in screen.view.fields.items() if not s.enabled] == ["currency"]  # R2 only
        from invoice_tui.widgets.cards import ContactsCard

        assert hint(screen.query_one(ContactsCard)).startswith("n add")


async def test_issue19_r5_menu_greys_edit_void_delete_with_the_services_sentences(sqlite_url, clock):
    from invoice_tui.domain import invoices

    ws, ctx = workspace(sqlite_url, clock)
    set_setting(ctx, "allow_delete_unpaid", "true")
    i = open_invoice(ctx, contact(ctx).id)
    payments.record_payment(ctx, i.id, {"amount": "500"})
    expected = {"edit": refusal(lambda: invoices.edit_invoice(ctx, i.id, {"title": "x"})),
                "void": refusal(lambda: invoices.void_invoice(ctx, i.id)),
                "delete": refusal(lambda: invoices.delete_invoice(ctx, i.id))}
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await show_invoice(pilot, app, i.id)
        await pilot.press("a")
        await settle(pilot, app)
        menu = app.screen.query_one("#actions-list", OptionList)
        for action, sentence in expected.items():
            option = menu.get_option(action)
            assert option.disabled, action
            # the menu shows the service's sentence (the TUI may add its remedy after it)
            assert sentence[:40] in " ".join(str(option.prompt).split()), (action, str(option.prompt))
        assert not menu.get_option("record_payment").disabled
        await pilot.press("escape")


async def test_issue19_r8_r17_record_payment_greyed_with_the_services_sentence(sqlite_url, clock):
    """A user without the edit permission sees Record payment disabled with the very sentence the
    payment service refuses with (R17), before choosing it."""
    from invoice_tui.domain import invoices

    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id)
    people.add_user(ctx, "vera", permissions="view")
    vera = ws.context("vera", source="test", now=clock)
    sentence = refusal(lambda: payments.record_payment(vera, i.id, {"amount": "1"}))
    state = next(a for a in invoices.available_actions(vera, inv(i.id)) if a.id == "record_payment")
    assert not state.enabled and state.reason == sentence


async def test_issue19_r8_partial_payments_refusal_shown_beside_the_amount_before_typing(sqlite_url, clock):
    ws, ctx = workspace(sqlite_url, clock)
    i = open_invoice(ctx, contact(ctx).id, partial=False)
    sentence = refusal(lambda: payments.record_payment(ctx, i.id, {"amount": "10"}))
    assert "does not allow partial payments" in sentence
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        _page, modal = await open_payment_form(pilot, app, i.id)
        lock = modal.query_one("#payment-amount-lock", Static)
        assert lock.display and str(lock.render()) == sentence
        assert lock.region.bottom <= SIZE[1] and lock.region.width > 0  # visible at 80×24
    i2 = open_invoice(ctx, contact(ctx, email="d@example.com").id, partial=True)
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        _page, modal = await open_payment_form(pilot, app, i2.id)
        assert not modal.query_one("#payment-amount-lock", Static).display


async def test_issue19_r2_editor_shows_the_currency_disabled_with_the_rule_beside_it(sqlite_url, clock):
    from invoice_tui.domain import invoices

    ws, ctx = workspace(sqlite_url, clock)
    set_setting(ctx, "allow_edit_finalized", "true")
    i = open_invoice(ctx, contact(ctx).id)
    sentence = refusal(lambda: invoices.edit_invoice(ctx, i.id, {"currency": "USD"}))
    app = app_for(sqlite_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.push_screen(EditorScreen(i.id))
        await settle(pilot, app)
        editor = app.screen
        assert editor.query_one("#editor-currency", Input).disabled
        lock = editor.query_one("#lock-currency", Static)
        assert lock.display and str(lock.render()) == sentence
        assert not editor.query_one("#editor-contact", Button).disabled  # no rule forbids it now
        assert not editor.query_one("#lock-contacts", Static).display
        assert editor.check_action("pick_contact", ()) is True
