"""R49–R51 (issue 28): recurring schedules, scheduled sends, dunning and late fees, run-due —
on SQLite and PostgreSQL, with a fixed clock, a real SMTP server for the emails."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest

from invoice_tui.db.automation_models import Dunning, Schedule, ScheduledSend, ScheduleRun
from invoice_tui.db.models import Invoice, LineItem
from invoice_tui.domain import dunning, invoices, recurring
from invoice_tui.domain.errors import BadInput, RuleRefused
from invoice_tui.domain.workspace import set_setting
from invoice_tui.mail.automation import run_due
from tests.mail.conftest import make_invoice, setup_workspace


def _at(clock, day: dt.date) -> None:
    clock.moment = dt.datetime.combine(day, dt.time(9, 30))


def _schedule(admin, template, every="1m", start=dt.date(2024, 1, 31), **kw):
    return recurring.create_schedule(admin, recurring.ScheduleInput(template=template.id, every=every, start=start,
                                                                    **kw))


def _made(s) -> list[Invoice]:
    ids = [r.invoice_id for r in ScheduleRun.select().where(ScheduleRun.schedule_id == s.id)
           .order_by(ScheduleRun.period_index)]
    return [Invoice.get_by_id(i) for i in ids]


# ---- periods ---------------------------------------------------------------------------------
def test_r49_period_dates_month_end_and_leap_years():
    d = recurring.period_date
    monthly = [d(dt.date(2024, 1, 31), "m", 1, 31, k) for k in range(14)]
    assert monthly[:4] == [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31), dt.date(2024, 4, 30)]
    assert monthly[13] == dt.date(2025, 2, 28)  # a common year
    assert [d(dt.date(2024, 2, 29), "y", 1, 29, k) for k in range(5)] == [
        dt.date(2024, 2, 29), dt.date(2025, 2, 28), dt.date(2026, 2, 28), dt.date(2027, 2, 28), dt.date(2028, 2, 29)]
    assert d(dt.date(2024, 1, 1), "w", 2, None, 3) == dt.date(2024, 2, 12)
    assert d(dt.date(2024, 1, 1), "d", 10, None, 3) == dt.date(2024, 1, 31)
    assert recurring.first_period(dt.date(2024, 1, 10), "m", 5) == dt.date(2024, 2, 5)
    assert recurring.first_period(dt.date(2024, 12, 10), "m", 5) == dt.date(2025, 1, 5)


@pytest.mark.parametrize("every", ["", "0m", "1q", "m", "1001d", "1.5m"])
def test_r49_every_known_bad(every):
    with pytest.raises(BadInput):
        recurring.parse_every(every)


@pytest.mark.parametrize("day", ["0", "32", "first", "-1"])
def test_r49_day_known_bad(day):
    with pytest.raises(BadInput):
        recurring.parse_day(day)


# ---- schedules on both databases ---------------------------------------------------------------
def test_r49_monthly_on_the_31st_across_february_of_a_leap_year(ws, admin, clock):
    _at(clock, dt.date(2024, 1, 10))
    template = make_invoice(admin, finalize=False)
    s = _schedule(admin, template, day="31", start=dt.date(2024, 1, 10), mode="finalize")
    assert s.next_run == dt.date(2024, 1, 31)
    _at(clock, dt.date(2024, 5, 1))
    done = recurring.run_schedules(admin)
    assert [p.period for p in done] == [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31),
                                        dt.date(2024, 4, 30)]
    made = _made(s)
    assert [i.invoice_date for i in made] == [p.period for p in done]
    assert [i.origin for i in made] == ["subscription"] * 4
    assert [i.status for i in made] == ["open"] * 4
    # numbering follows the invoice dates (R57); due after the template's 30 days of terms
    assert [i.number_seq for i in made] == sorted(i.number_seq for i in made)
    assert made[1].due_date == dt.date(2024, 3, 30)
    assert Schedule.get_by_id(s.id).next_run == dt.date(2024, 5, 31)


def test_r49_catch_up_of_three_missed_periods_makes_exactly_three(ws, admin, clock):
    _at(clock, dt.date(2024, 1, 1))
    template = make_invoice(admin)
    s = _schedule(admin, template, start=dt.date(2024, 1, 15))
    _at(clock, dt.date(2024, 3, 20))  # cron was down: 15 January, 15 February, 15 March are due
    assert [p.period for p in recurring.run_schedules(admin, dry_run=True)] == [
        dt.date(2024, 1, 15), dt.date(2024, 2, 15), dt.date(2024, 3, 15)]
    assert ScheduleRun.select().count() == 0  # the dry run wrote nothing
    assert len(recurring.run_schedules(admin)) == 3
    assert recurring.run_schedules(admin) == []  # a second run makes nothing
    assert [i.status for i in _made(s)] == ["draft"] * 3  # mode draft: left for review
    assert Invoice.select().where(Invoice.origin == "subscription").count() == 3


def test_r49_two_concurrent_runs_make_each_period_once(ws, admin, clock):
    _at(clock, dt.date(2024, 1, 1))
    template = make_invoice(admin)
    s = _schedule(admin, template, every="1w", start=dt.date(2024, 1, 1), mode="finalize")
    _at(clock, dt.date(2024, 2, 5))  # six weekly periods due
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run() -> None:
        from invoice_tui.db import database

        try:
            with database.connection_context():
                barrier.wait(10)
                results.append(recurring.run_schedules(admin))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    periods = sorted(p.period for r in results for p in r)
    assert periods == [dt.date(2024, 1, 1) + dt.timedelta(weeks=k) for k in range(6)]  # each once, by one run
    made = _made(s)
    assert len(made) == 6 and all(i.status == "open" for i in made)
    assert [i.number_seq for i in sorted(made, key=lambda i: i.invoice_date)] == sorted(i.number_seq for i in made)


def test_r49_pause_and_resume_skips_the_paused_periods(ws, admin, clock):
    _at(clock, dt.date(2024, 1, 1))
    template = make_invoice(admin)
    s = _schedule(admin, template, start=dt.date(2024, 1, 5))
    _at(clock, dt.date(2024, 1, 6))
    assert len(recurring.run_schedules(admin)) == 1
    recurring.pause_schedule(admin, s.id)
    with pytest.raises(RuleRefused):
        recurring.pause_schedule(admin, s.id)
    _at(clock, dt.date(2024, 4, 1))
    assert recurring.run_schedules(admin) == []  # paused: nothing
    s = recurring.resume_schedule(admin, s.id)
    assert s.state == "active" and s.next_run == dt.date(2024, 4, 5)  # February and March are not made
    _at(clock, dt.date(2024, 4, 5))
    assert [p.period for p in recurring.run_schedules(admin)] == [dt.date(2024, 4, 5)]
    assert len(_made(s)) == 2


def test_r49_ends_after_n_invoices_and_on_a_date(ws, admin, clock):
    _at(clock, dt.date(2024, 1, 1))
    template = make_invoice(admin)
    s = _schedule(admin, template, every="1m", start=dt.date(2024, 1, 1), count=2)
    t = _schedule(admin, template, every="1y", start=dt.date(2024, 1, 1), end_on=dt.date(2025, 6, 1))
    _at(clock, dt.date(2027, 1, 1))
    recurring.run_schedules(admin)
    s, t = Schedule.get_by_id(s.id), Schedule.get_by_id(t.id)
    assert (s.issued, s.state, s.next_run) == (2, "ended", None)
    assert (t.issued, t.state) == (2, "ended")  # 2024-01-01 and 2025-01-01
    assert recurring.run_schedules(admin) == []
    with pytest.raises(BadInput):
        _schedule(admin, template, start=dt.date(2024, 1, 1), count=2, end_on=dt.date(2025, 1, 1))


def test_r49_mode_send_emails_each_invoice_once_through_the_outbox(ws, admin, clock, smtp_server, transport):
    setup_workspace(admin)
    set_setting(admin, "reminder_offsets", "")  # the template's own reminders are not counted here
    _at(clock, dt.date(2024, 1, 1))
    template = make_invoice(admin)
    s = _schedule(admin, template, every="1m", start=dt.date(2024, 1, 2), mode="send")
    _at(clock, dt.date(2024, 2, 3))
    res = run_due(admin, transport)
    assert res.queued == 0
    made = _made(s)
    assert [i.status for i in made] == ["open", "open"]
    assert len(smtp_server.received) == 2
    assert sorted(m.message["Subject"] for m in smtp_server.received) == sorted(
        f"Invoice {i.number} from Atelier Dupré" for i in made)
    assert {p.state for p in ScheduledSend.select()} == {"queued"}
    assert [Invoice.get_by_id(i.id).last_sent_date for i in made] == [dt.date(2024, 2, 3)] * 2  # R32
    run_due(admin, transport)
    assert len(smtp_server.received) == 2  # never twice


def test_r49_run_due_exit_state_when_the_mail_server_is_down(ws, admin, clock, down_transport):
    setup_workspace(admin)
    _at(clock, dt.date(2024, 1, 1))
    template = make_invoice(admin)
    s = _schedule(admin, template, start=dt.date(2024, 1, 2), mode="send")
    _at(clock, dt.date(2024, 1, 3))
    res = run_due(admin, down_transport)
    assert res.queued == 1  # the CLI exits 4; the invoice is made and finalized all the same
    assert [i.status for i in _made(s)] == ["open"]


def test_r49_subscription_invoice_is_not_editable_once_finalized(ws, admin, clock):
    _at(clock, dt.date(2024, 1, 1))
    set_setting(admin, "allow_edit_finalized", "true")
    template = make_invoice(admin)
    s = _schedule(admin, template, start=dt.date(2024, 1, 1), mode="finalize")
    recurring.run_schedules(admin)
    with pytest.raises(RuleRefused):  # R6
        invoices.edit_invoice(admin, _made(s)[0].id, {"po_number": "X"})


def test_r50_schedule_send_on_a_date_sends_once(ws, admin, clock, smtp_server, transport):
    setup_workspace(admin)
    _at(clock, dt.date(2024, 1, 1))
    inv = make_invoice(admin)
    from invoice_tui.db import write_tx

    with write_tx():
        recurring.plan_send(admin, inv, dt.date(2024, 1, 5))
    _at(clock, dt.date(2024, 1, 4))
    assert run_due(admin, transport).sends == []
    _at(clock, dt.date(2024, 1, 5))
    assert [s["result"][:4] for s in run_due(admin, transport).sends] == ["sent"]
    run_due(admin, transport)
    assert len(smtp_server.received) == 1


def test_r50_send_on_finalize_plans_the_email(ws, admin, clock, smtp_server, transport):
    setup_workspace(admin)
    set_setting(admin, "send_on_finalize", "true")
    inv = make_invoice(admin)
    plan = ScheduledSend.get(ScheduledSend.invoice_id == inv.id)
    assert (plan.state, plan.send_on) == ("planned", admin.today())
    run_due(admin, transport)
    assert len(smtp_server.received) == 1
    assert ScheduledSend.get_by_id(plan.id).state == "queued"


# ---- dunning (R51) -------------------------------------------------------------------------
def test_r51_late_interest_worked_example():
    # EUR 1,000.00 overdue 30 days at 13.15 % a year (ECB 3.15 + 10 points):
    # 1000.00 × 0.1315 × 30 / 365 = 10.8082… → EUR 10.81
    assert dunning.late_interest_minor(100000, Decimal("13.15"), 30) == 1081
    # EUR 2,400.00, 45 days at 12.5 %: 2400 × 0.125 × 45 / 365 = 36.9863… → 36.99
    assert dunning.late_interest_minor(240000, Decimal("12.5"), 45) == 3699
    assert dunning.late_interest_minor(100000, Decimal("13.15"), 0) == 0


@pytest.mark.parametrize("key,text", [("dunning_levels", "15,7"), ("dunning_levels", "0,5"),
                                      ("dunning_levels", "a,b"), ("late_fee_rate", "-1"),
                                      ("late_fee_rate", "abc"), ("late_fee_fixed", "1e9"),
                                      ("late_fee_fixed", "nan")])
def test_r51_settings_known_bad(ws, admin, key, text):
    with pytest.raises(BadInput):
        set_setting(admin, key, text)


def test_r51_each_level_once_with_late_fees_to_the_cent(ws, admin, clock, smtp_server, transport):
    setup_workspace(admin)
    set_setting(admin, "late_fee_rate", "13.15")
    set_setting(admin, "late_fee_fixed", "40")
    set_setting(admin, "reminder_offsets", "")  # only dunning speaks here
    _at(clock, dt.date(2024, 1, 1))
    inv = make_invoice(admin, amount="1000")  # 1,000.00 + 20 % VAT = 1,200.00, due 2024-01-31
    assert inv.due_date == dt.date(2024, 1, 31) and inv.balance_minor == 120000
    _at(clock, dt.date(2024, 2, 7))  # 7 days overdue: level 7
    for _ in range(3):
        run_due(admin, transport)
    assert len(smtp_server.received) == 1
    assert smtp_server.received[0].message["Subject"] == f"Reminder: invoice {inv.number} is overdue"
    rows = {(d.kind, d.level): d for d in Dunning.select()}
    # 1,200.00 × 13.15 % × 7 / 365 = 3.0263… → 3.03; the EUR 40 indemnity, once
    assert rows[("interest", 7)].amount_minor == 303
    assert rows[("indemnity", 0)].amount_minor == 4000
    fee = Invoice.get_by_id(rows[("interest", 7)].fee_invoice_id)
    assert fee.refers_to == inv.id and fee.status == "open" and fee.billed_minor == 4303
    assert {li.tax_category for li in LineItem.select().where(LineItem.invoice == fee.id)} == {"O"}
    assert Invoice.get_by_id(inv.id).billed_minor == 120000  # never an edit of the overdue invoice

    _at(clock, dt.date(2024, 3, 1))  # 30 days overdue: 15 was never sent (cron down) → 30 sent, 15 superseded
    run_due(admin, transport)
    run_due(admin, transport)
    assert len(smtp_server.received) == 2
    assert smtp_server.received[1].message["Subject"] == f"Final notice: invoice {inv.number}"
    rows = {(d.kind, d.level): d for d in Dunning.select()}
    assert rows[("level", 15)].note.startswith("superseded")
    # interest for the next period only, 8 Feb → 1 Mar: 1,200.00 × 13.15 % × 23 / 365 = 9.9435… → 9.94
    assert (rows[("interest", 30)].period_from, rows[("interest", 30)].period_to) == (
        dt.date(2024, 2, 7), dt.date(2024, 3, 1))
    assert rows[("interest", 30)].amount_minor == 994
    assert Dunning.select().where(Dunning.kind == "indemnity").count() == 1  # once per invoice
    fee2 = Invoice.get_by_id(rows[("interest", 30)].fee_invoice_id)
    assert fee2.billed_minor == 994
    # the late-fee invoices are not dunned themselves
    _at(clock, dt.date(2024, 6, 1))
    run_due(admin, transport)
    assert {d.invoice_id for d in Dunning.select()} == {inv.id}


def test_r51_two_concurrent_runs_send_a_level_once(ws, admin, clock, smtp_server, transport):
    setup_workspace(admin)
    set_setting(admin, "late_fee_fixed", "40")
    set_setting(admin, "reminder_offsets", "")
    _at(clock, dt.date(2024, 1, 1))
    make_invoice(admin)
    _at(clock, dt.date(2024, 2, 20))
    barrier = threading.Barrier(2)
    errors = []

    def run() -> None:
        from invoice_tui.db import database

        try:
            with database.connection_context():
                barrier.wait(10)
                run_due(admin, transport)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(smtp_server.received) == 1
    assert Dunning.select().where(Dunning.kind == "indemnity").count() == 1
    assert Invoice.select().where(Invoice.refers_to.is_null(False)).count() == 1


def test_r54_audit_replays_schedules_and_dunning(ws, admin, clock, smtp_server, transport):
    from invoice_tui.domain.replay import replay

    setup_workspace(admin)
    set_setting(admin, "late_fee_fixed", "40")
    _at(clock, dt.date(2024, 1, 1))
    template = make_invoice(admin)
    s = _schedule(admin, template, start=dt.date(2024, 1, 2), mode="send")
    _at(clock, dt.date(2024, 3, 20))
    run_due(admin, transport)
    recurring.pause_schedule(admin, s.id)
    assert list(replay()) == []
    Schedule.update(mode="draft").where(Schedule.id == s.id).execute()  # a write without its history row
    found = list(replay())
    assert [(f.object_type, f.property) for f in found] == [("schedule", "mode")]


@pytest.mark.no_seller
def test_r51_r45_a_french_seller_s_late_fee_invoice_is_issued_as_a_valid_e_invoice(ws, admin, clock, smtp_server,
                                                                                transport):
    """Late fees are outside the scope of VAT (category O): their e-invoice names no VAT id, the
    seller's nor the buyer's (BR-O-02; the seller's SIREN identifies it). A French seller's late-fee
    invoices to a French business were all left as drafts, refused on BR-O-02."""
    from invoice_tui.domain import einvoice, people
    from invoice_tui.domain.einvoice_build import xml_of
    from tests.domain.test_r2_r43_finalize_legal import FRENCH_SELLER

    for key, value in (*FRENCH_SELLER.items(), ("default_from_address", "billing@lumiere.example"),
                       ("public_base_url", "https://invoices.example.com"), ("late_fee_rate", "13.15"),
                       ("late_fee_fixed", "40"), ("reminder_offsets", "")):
        set_setting(admin, key, value)
    _at(clock, dt.date(2024, 1, 1))
    company = people.add_company(admin, {"name": "Bonnard", "legal_name": "Bonnard Architecture SARL",
                                         "address": "73 rue des Érables", "postcode": "69006", "city": "Lyon",
                                         "country": "FR", "siren": "334175221", "vat_id": "FR23334175221"})
    contact = people.add_contact(admin, {"email": "compta@bonnard.example", "company_id": company.id})
    draft = invoices.create_invoice(admin, {"currency": "EUR", "contact_id": contact.id, "company_id": company.id,
                                            "operation_category": "services",
                                            "lines": [{"name": "Conseil", "unit_price": "1000", "tax_rate": "20"}]})
    inv = invoices.finalize_invoice(admin, draft.id)
    _at(clock, dt.date(2024, 2, 7))
    run_due(admin, transport)
    fees = {Invoice.get_by_id(d.fee_invoice_id) for d in Dunning.select() if d.fee_invoice_id}
    assert fees and all(f.status == "open" for f in fees), [d.note for d in Dunning.select()]
    for fee in fees:
        doc = einvoice.einvoice_document(fee)
        assert doc.seller.vat_id == "" and doc.buyer.vat_id == "" and doc.seller.legal_id == "732829320"
        for fmt in ("cii", "ubl"):
            assert not einvoice.validate(fee, fmt).fatal, fmt
        assert "FR40303265045" not in xml_of(doc, "cii")[0].decode()
    assert einvoice.einvoice_document(inv).seller.vat_id == "FR40303265045"  # any other invoice names it
