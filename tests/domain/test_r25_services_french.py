"""Issue 25: the services speak the reader's language, and the documents a buyer reads speak the
invoice's.

- Under the pseudo-locale (``tests/i18nkit``: every translation wrapped in ⟦…⟧) the settings'
  labels, the reports' bucket and movement names, an import dry-run report and an outbox failure
  sentence hold no word outside the markers but data; under French they read French, while the
  ``--json`` report and the outbox's stored ``last_error`` stay English (values, not sentences for
  a reader).
- A French invoice's emails (invoice, credit note, reminder, dunning, receipt, statement) and its
  buyer page hold no English word, whatever the reader's language: read as received from a real
  SMTP server and as served; a known-bad English text shows the check can fail.
- The French invoice's PDF, read back with pdftotext, is the same French document whether the
  reader speaks English or French.
"""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
import subprocess
from dataclasses import replace

import pytest

from invoice_tui.domain import credit, invoices, payments, reports
from invoice_tui.domain.settings import SETTING_GROUPS, SETTING_KEYS, group_title, setting_label
from invoice_tui.domain.workspace import set_setting
from invoice_tui.i18n import use_language
from invoice_tui.mail import outbox, reminders
from invoice_tui.mail.automation import run_due
from invoice_tui.mail.compose import invoice_draft
from invoice_tui.mail.receipts import send_receipt
from invoice_tui.mail.sending import send_draft
from invoice_tui.mail.statements import send_statement
from tests.i18nkit import CLOSE, OPEN, unmarked_words, use_pseudo_locale
from tests.mail.conftest import down_transport, make_invoice, setup_workspace, transport  # noqa: F401 - fixtures

DUNNING_KEYS = [k for k in SETTING_KEYS if k.startswith("dunning_") and k[8].isdigit()]


def _wholly_marked(text: str, data=()) -> bool:
    return text.startswith(OPEN) and not unmarked_words(text, data)


# ---- the reader's language: settings, reports, imports, outbox -----------------------------------
def test_r25_setting_labels_are_marked_and_french():
    use_pseudo_locale()
    for key in SETTING_KEYS:
        label = setting_label(key)
        assert _wholly_marked(label, [key[-2:]] if key in DUNNING_KEYS else ()), (key, label)
        assert label != key
    for title, _keys in SETTING_GROUPS:
        assert _wholly_marked(group_title(title)), title
    use_language("fr_FR")
    assert setting_label("seller_legal_name") == "Raison sociale"
    assert setting_label("payment_terms_days") == "Délai de paiement (jours)"
    assert setting_label("dunning_2_subject_fr") == "Relance 2 : objet (fr)"
    assert [group_title(t) for t, _k in SETTING_GROUPS] == ["Profil vendeur", "Numérotation", "Envoi", "Relances"]
    # the Settings screen gives a label 26 columns, one of them a space
    assert max(len(setting_label(k)) for k in SETTING_KEYS) <= 25, sorted(SETTING_KEYS, key=lambda k: -len(
        setting_label(k)))[:3]


def test_r25_settings_refusals_are_marked_and_french():
    from invoice_tui.domain.errors import BadInput
    from invoice_tui.domain.settings import coerce_setting

    cases = [("strict_mode", "maybe"), ("payment_terms_days", "9999"), ("number_pattern", "F-{year}"),
             ("timezone", "Mars/Olympus"), ("late_fee_rate", "abc"), ("paper_size", "A3")]
    use_pseudo_locale()
    for key, text in cases:
        with pytest.raises(BadInput) as exc:
            coerce_setting(key, text)
        assert _wholly_marked(exc.value.message, [key, text]), exc.value.message
    use_language("fr_FR")
    with pytest.raises(BadInput) as exc:
        coerce_setting("strict_mode", "maybe")
    assert exc.value.message == "strict_mode prend true ou false, pas « maybe »."


def test_r25_report_headings_are_marked_and_french():
    use_pseudo_locale()
    for table in (reports.BUCKET_LABELS, reports.MOVEMENT_LABELS):
        for key in table:
            assert table[key].startswith(OPEN) and table[key].endswith(CLOSE), (key, table[key])
            assert not unmarked_words(table[key])
    assert all(v.startswith(OPEN) for v in reports.BUCKET_LABELS.values())
    use_language("fr_FR")
    assert [reports.BUCKET_LABELS[b] for b in reports.BUCKETS] == ["Non échu", "1–30 j", "31–60 j", "61–90 j",
                                                                   "> 90 j"]
    assert reports.MOVEMENT_LABELS["payment"] == "Encaissement" and reports.MOVEMENT_LABELS["credit_note"] == "Avoir"
    use_language("en_US")
    assert [reports.BUCKET_LABELS[b] for b in reports.BUCKETS] == ["Current", "1–30", "31–60", "61–90", "> 90"]


def _contacts_file(tmp_path):
    path = tmp_path / "contacts.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Email", "First name", "Company", "Business buyer"])
        w.writerow(["ada@example.com", "Ada", "Nowhere Ltd", "yes"])
        w.writerow(["", "Bob", "", "no"])
        w.writerow(["cy@example.com", "Cy", "", "perhaps"])
    return path


def test_r25_import_dry_run_report_is_marked_french_and_english_in_json(ws, admin, tmp_path):
    from invoice_tui.imports.service import run_import

    path = _contacts_file(tmp_path)
    data = ["Email", "First name", "Company", "Business buyer", "Nowhere Ltd", "ada@example.com", "perhaps",
            "Yes", "No"]  # the file's headers and cells, and the choices' labels (the export's own, per language)
    use_pseudo_locale()
    report = run_import(admin, "contacts", path, dry_run=True)
    assert report.error_count == 3, report.record()
    for e in report.errors:
        assert _wholly_marked(e.message, data), e.message
    use_language("fr_FR")
    report = run_import(admin, "contacts", path, dry_run=True)
    messages = [e.message for e in report.errors]
    assert "Aucune entreprise nommée « Nowhere Ltd » ; importez d’abord les entreprises." in messages
    assert "E-mail est vide ; chaque ligne en a besoin." in messages
    assert "« perhaps » n’est ni oui ni non ; utilisez l’une de ces valeurs : Oui, Non." in messages, messages
    # --json keeps English sentences: a value a script reads, not a sentence for this reader
    record = report.record()
    assert "No company named 'Nowhere Ltd'; import the companies first." in [e["message"] for e in record["errors"]]
    assert "Email is empty; every row needs it." in [e["message"] for e in record["errors"]]
    assert "'perhaps' is neither yes nor no; use one of Yes, No." in [e["message"] for e in record["errors"]]


def test_r25_outbox_failure_is_marked_and_french_but_stored_in_english(ws, admin, down_transport):  # noqa: F811
    setup_workspace(admin)
    inv = make_invoice(admin)
    port = down_transport.port
    use_pseudo_locale()
    res = send_draft(admin, invoice_draft(admin, inv), down_transport)
    assert not res.delivered
    assert _wholly_marked(res.message, ["127.0.0.1", str(port)]), res.message
    use_language("fr_FR")
    res = send_draft(admin, invoice_draft(admin, inv), down_transport)
    assert not res.delivered
    assert res.message.startswith(f"impossible de joindre le serveur de messagerie 127.0.0.1:{port} : "), res.message
    assert outbox.state_label("failed") == "en échec"
    # what the outbox stores (and --json gives) stays as it was: English
    assert res.email.last_error.startswith("cannot reach the mail server"), res.email.last_error
    # the Outbox screen's row and detail: marked, but for what the email holds (data)
    from invoice_tui.domain.reads import outbox_rows

    e = res.email
    use_pseudo_locale()
    row = next(r for r in outbox_rows(admin) if r.id == e.id)
    data = [e.from_addr, e.to_addrs, e.subject, e.last_error, "UTC", "invoice", "failed"]
    # the state and kind are labels set inside the sentence (themselves marked, checked on their own):
    # the checker reads one level of markers, so they are read as the words they stand for
    detail = row.detail.replace(outbox.state_label("failed"), "failed").replace(outbox.kind_label("invoice"), "invoice")
    assert outbox.state_label("failed") == "⟦failed⟧" and outbox.kind_label("invoice") == "⟦invoice⟧"
    assert not unmarked_words(detail, data), row.detail
    assert row.cells[1].startswith(OPEN) and row.cells[2].startswith(OPEN), row.cells
    use_language("fr_FR")
    row = next(r for r in outbox_rows(admin) if r.id == e.id)
    assert row.cells[1:3] == ("en échec", "facture") and row.detail.startswith(f"E-mail {e.id} · facture · en échec")


# ---- the invoice's language: emails, buyer page, PDF --------------------------------------------
# Every English word the built-in emails, the buyer page and the document labels use, that French
# does not (not "date", "total", "message", "description", "page", "note", "on", "due": French too).
ENGLISH = {"invoice", "invoices", "balance", "amount", "billed", "paid", "hello", "please", "find", "attached",
           "thank", "thanks", "you", "your", "regards", "kind", "view", "online", "from", "the", "and", "of", "for",
           "is", "was", "payment", "payments", "receipt", "received", "method", "reference", "statement",
           "account", "opening", "closing", "credit", "credited", "download", "pay", "save", "card", "future",
           "void", "cancelled", "nothing", "status", "subtotal", "tax", "item", "items", "quantity", "unit",
           "price", "discount", "bill", "number", "reminder", "overdue", "today", "this", "that", "if", "already",
           "ignore", "friendly", "still", "open", "remains", "to", "be", "after", "by", "with", "bank", "transfer",
           "issued", "reason", "totals", "breakdown", "rate", "basis", "net", "qty", "instructions", "legal",
           "mentions", "second", "final", "notice", "despite", "days", "current", "applied", "movements", "as",
           "in", "at", "we", "our"}
_URL_OR_ADDRESS = re.compile(r"\S+@\S+|https?://\S+|\S+\.pdf\b")


def english_words(text: str) -> set[str]:
    """The English words of ``text`` (addresses, links and file names are no words)."""
    text = _URL_OR_ADDRESS.sub(" ", text)
    return {w for w in re.findall(r"[^\W\d_]+", text.lower()) if w in ENGLISH}


def _page_text(page: str) -> str:
    """A served page as a reader sees it: no script, style nor markup; entities decoded."""
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _mail_text(message) -> str:
    return str(message["Subject"]) + "\n" + message.get_body(preferencelist=("plain",)).get_content()


def test_r25_the_english_words_check_can_fail(ws, admin, smtp_server, transport):  # noqa: F811
    setup_workspace(admin)
    inv = make_invoice(admin)  # an English invoice: its email is English
    send_draft(admin, invoice_draft(admin, inv), transport)
    assert {"invoice", "please", "find", "attached", "balance"} <= english_words(_mail_text(
        smtp_server.received[0].message))
    assert english_words("Bonjour Zoë,\nSolde dû : 12,00 €\nBalance due: 12,00 €") == {"balance"}
    assert english_words("<p>Download PDF</p>") == {"download"}
    assert english_words(_page_text("<style>body { color: red; }</style><p>Facture</p>")) == set()


def _french_invoice(admin, amount="1200"):
    inv = make_invoice(admin, finalize=False, amount=amount)
    invoices.edit_invoice(admin, inv.id, {"locale": "fr_FR"})
    return invoices.finalize_invoice(admin, inv.id)


@pytest.mark.parametrize("reader", ["en_US", "fr_FR"])
def test_r25_every_email_of_a_french_invoice_is_french(ws, admin, clock, smtp_server, transport, reader):  # noqa: F811
    setup_workspace(admin)
    set_setting(admin, "locale", "fr_FR")  # the workspace's documents (the statement) speak French
    use_language(reader)  # the person sending: the buyer's emails do not follow them
    inv = _french_invoice(admin)
    send_draft(admin, invoice_draft(admin, inv), transport)  # the invoice email
    cn = credit.create_credit_note_and_issue(admin, inv.id, reason="Geste commercial", amount="100", rate="20")
    send_draft(admin, invoice_draft(admin, cn), transport)  # the credit note's
    clock.advance(days=30)
    reminders.run(admin, transport)  # the due date's reminder
    set_setting(admin, "reminder_offsets", "")
    clock.advance(days=7)
    run_due(admin, transport)  # the first dunning level
    paid = payments.record_payment(admin, inv.id, {"amount": "1320", "method": "bank_transfer"})  # the balance
    send_receipt(admin, paid.payment.id, transport)  # the receipt
    who = credit.customer_of(inv)
    send_statement(admin, reports.statement(admin, who, clock().date()), customer=who, transport=transport)
    got = [m.message for m in smtp_server.received]
    subjects = [str(m["Subject"]) for m in got]
    assert len(got) == 6, subjects
    assert subjects[0] == f"Facture {inv.number} — Atelier Dupré"
    assert subjects[1] == f"Avoir {cn.number} — Atelier Dupré"
    assert subjects[2].startswith("Rappel : la facture") and subjects[3].startswith("Rappel : la facture")
    assert subjects[4].startswith("Reçu de votre paiement de 1\u202f320,00") and subjects[4].endswith(f"facture {inv.number}")
    assert subjects[5].startswith("Relevé de compte")
    bodies = [_mail_text(m) for m in got]
    assert "Veuillez trouver ci-joint la facture" in bodies[0] and "Solde dû" in bodies[0]
    assert "l’avoir" in bodies[1] and "Motif: Geste commercial" in bodies[1]
    assert "Mode de paiement: virement bancaire" in bodies[4] and "Solde dû après ce paiement" in bodies[4]
    assert "Veuillez trouver ci-joint votre relevé de compte au 22 avril 2026." in bodies[5]
    for subject, body in zip(subjects, bodies):
        assert english_words(body) == set(), (subject, english_words(body), body)
    statement_pdf = [p for p in got[5].iter_attachments() if p.get_content_type() == "application/pdf"][0]
    text = _pdftotext(statement_pdf.get_content(), clock)
    assert "Relevé de compte" in text and "Solde de clôture" in text, text
    assert english_words(text) == set(), english_words(text)


def _serve(app, path: str) -> tuple[str, str]:
    status = []
    body = b"".join(app({"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": ""},
                        lambda s, h: status.append(s)))
    return status[0], body.decode("utf-8")


@pytest.mark.parametrize("reader", ["en_US", "fr_FR"])
def test_r25_the_buyer_page_of_a_french_invoice_is_french(ws, admin, reader):
    from invoice_tui.web.app import BuyerApp
    from invoice_tui.web.pay import BuyerPay

    setup_workspace(admin)
    use_language(reader)
    open_inv = _french_invoice(admin)
    paid_inv = _french_invoice(admin, amount="50")
    payments.record_payment(admin, paid_inv.id, {"amount": "60"})
    void_inv = invoices.void_invoice(admin, _french_invoice(admin, amount="70").id)
    app = BuyerApp(pay=BuyerPay(admin, "pk_test_123"))
    pages = {}
    for name, inv in (("open", open_inv), ("paid", paid_inv), ("voided", void_inv)):
        status, page = _serve(app, f"/i/{invoices.get_invoice(inv.id).link_token}")
        assert status.startswith("200"), (name, status)
        pages[name] = page
        assert english_words(_page_text(page)) == set(), (name, english_words(_page_text(page)))
        assert '<html lang="fr">' in page and "Télécharger le PDF" in page
    assert "Payer 1\u202f440,00\u00a0€ par carte" in _page_text(pages["open"])
    assert "Enregistrer une carte pour les prochains paiements" in pages["open"]
    words = json.loads(re.search(r"const CFG = (\{.*?\});", pages["open"]).group(1).replace("<\\/", "</"))["words"]
    assert words["succeeded"] == "Merci : votre paiement a été effectué."  # the Pay script's messages
    assert all(english_words(w) == set() for w in words.values()), words
    assert ">PAYÉE<" in pages["paid"] and ">ANNULÉE<" in pages["voided"]
    assert "Cette facture est ANNULÉE" in pages["voided"]


def _pdftotext(pdf: bytes, clock) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return re.sub(r"\s+", " ", out.decode("utf-8"))


def test_r25_the_pdf_of_a_french_invoice_is_french_whatever_the_reader(ws, admin, clock):
    from invoice_tui.documents.pdf import invoice_pdf

    setup_workspace(admin)
    inv = _french_invoice(admin)
    payments.record_payment(admin, inv.id, {"amount": "1440", "method": "bank_transfer"})
    inv = invoices.get_invoice(inv.id)
    texts = {}
    for reader in ("en_US", "fr_FR"):
        use_language(reader)
        texts[reader] = _pdftotext(invoice_pdf(inv), clock)
    assert texts["en_US"] == texts["fr_FR"]
    text = texts["fr_FR"]
    for word in ("Facture", "Échéance", "Solde dû", "Total TTC", "Détail de la TVA", "PAYÉE", "Page 1 sur 1"):
        assert word in text, (word, text)
    assert english_words(text) == set(), english_words(text)
    # the known-bad case: an English invoice's PDF is seen
    english = make_invoice(admin, amount="10")
    assert {"invoice", "balance", "paid"} & english_words(_pdftotext(invoice_pdf(english), clock))


def test_r25_a_credit_note_pdf_and_its_title_are_french(ws, admin, clock):
    import pymupdf

    from invoice_tui.documents.pdf import invoice_pdf

    setup_workspace(admin)
    inv = _french_invoice(admin)
    cn = credit.create_credit_note_and_issue(admin, inv.id, reason="Erreur de quantité", full=True)
    pdf = invoice_pdf(invoices.get_invoice(cn.id))
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        assert doc.metadata["title"] == f"Avoir {cn.number}"
    text = _pdftotext(pdf, clock)
    assert "Avoir" in text and "Motif" in text and english_words(text) == set(), english_words(text)


def test_r25_every_reminder_and_dunning_level_has_its_french_text():
    """Each reminder (before, on and after the due date) and dunning level (friendly, firm, final)
    has its French subject and body, none of them holding an English word."""
    from invoice_tui.domain import dunning_texts

    assert set(dunning_texts.WORDS["fr"]) == set(dunning_texts.WORDS["en"])
    for key, text in dunning_texts.WORDS["fr"].items():
        texts = text if isinstance(text, tuple) else (text,)
        for t in texts:
            assert english_words(re.sub(r"\{\w+\}", " ", t)) == set(), (key, t)
    for position in dunning_texts.POSITIONS:
        for part in dunning_texts.PARTS:
            french = dunning_texts.default(position, part, "fr")
            assert french and french != dunning_texts.default(position, part, "en")
            assert english_words(re.sub(r"\{\w+\}", " ", french)) == set(), (position, part, french)


def test_r25_the_late_fees_of_a_french_invoice_are_invoiced_in_french(ws, admin, clock, smtp_server, transport):  # noqa: F811
    from invoice_tui.db.models import Invoice, LineItem

    setup_workspace(admin)
    for key, value in (("reminder_offsets", ""), ("late_fee_rate", "12"), ("late_fee_fixed", "40")):
        set_setting(admin, key, value)
    use_language("en_US")  # the person running the dunning: the buyer's documents do not follow them
    inv = _french_invoice(admin)
    clock.advance(days=37)
    run_due(admin, transport)
    fee = Invoice.get(Invoice.refers_to == inv.id)
    assert fee.locale == "fr_FR" and fee.title == f"Pénalités de retard sur la facture {inv.number}"
    names = {li.name for li in LineItem.select().where(LineItem.invoice == fee.id)}
    assert names == {f"Intérêts de retard sur la facture {inv.number}",
                     f"Indemnité forfaitaire pour frais de recouvrement sur la facture {inv.number}"}, names
    assert "Hors champ de la TVA" in fee.exemption_reasons


def test_r25_history_search_finds_the_words_the_reader_sees(ws, admin, buyer):
    """The history card's search reads what it shows: a French reader finds "Validée sous le n°"
    (the stored text says "Finalized as"), and the stored words still find it too."""
    from invoice_tui.domain.invoice_page import load_activities

    inv = invoices.create_invoice(admin, {"currency": "EUR", "contact_id": buyer.id,
                                          "lines": [{"name": "Work", "unit_price": "100"}]})
    inv = invoices.finalize_invoice(admin, inv.id)
    use_language("fr_FR")
    try:
        found = load_activities(inv.id, "validée SOUS", "fr_FR")
        assert [a.kind for a in found] == ["finalized"] and found[0].text.startswith("Validée sous le n°")
        assert [a.kind for a in load_activities(inv.id, "Finalized as", "fr_FR")] == ["finalized"]
        assert load_activities(inv.id, "introuvable", "fr_FR") == []
    finally:
        use_language("en_US")
