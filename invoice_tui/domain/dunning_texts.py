"""R51: the dunning emails' subject and body templates, per level and language.

Each dunning level has its own tone (friendly, firm, final: ``dunning.tone``) and its own subject
and body, in the invoice's language (en, fr, de, es; another language gets English). The
templates are workspace settings named ``dunning_{N}_subject_{lang}`` and
``dunning_{N}_body_{lang}`` (N = 1, 2, 3: the first, second and third level; a fourth level and
later use the third's, as they use its tone). Their defaults are the built-in texts below; an
empty value stands for the built-in text (``settings set dunning_2_subject_fr ""`` restores it).

A template holds text and ``{placeholders}`` (:data:`PLACEHOLDERS`): the invoice email's fields
(``mail.compose.TEMPLATE_FIELDS``) and ``{days}`` (days overdue), ``{fees}`` (the late fees
invoiced with this level) and ``{fees_note}`` (the sentence saying so). A line whose fees
placeholder is empty (no fee invoiced) or whose ``{link}`` is empty (no public address) is left
out. Anything else between braces is refused when the template is saved (:func:`check_template`);
filling is a plain substitution, never ``str.format``.
"""

from __future__ import annotations

import re

from invoice_tui.i18n import _

LANGUAGES = ("en", "fr", "de", "es")
POSITIONS = (1, 2, 3)
PARTS = ("subject", "body")
PLACEHOLDERS = ("number", "title", "seller_name", "contact_name", "company_name", "amount_billed", "amount_paid",
                "balance_due", "currency", "invoice_date", "due_date", "po_number", "link", "days", "fees",
                "fees_note")
OPTIONAL_LINES = ("fees", "fees_note", "link")  # a line using one of these, empty, is left out
_TONE = {1: "friendly", 2: "firm", 3: "final"}
_KEY = re.compile(r"dunning_([1-3])_(subject|body)_(en|fr|de|es)")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

# The built-in texts per language: (subject, first paragraph) per tone, and the message's frame.
WORDS: dict[str, dict[str, object]] = {
    "en": {
        # the reminders before and at the due date (mail.reminders): (subject, first sentence)
        "r_late": ("Reminder: invoice {number} was due on {due_date}",
                   "This is a reminder that invoice {number} was due on {due_date}."),
        "r_today": ("Reminder: invoice {number} is due today",
                    "This is a reminder that invoice {number} is due today, {due_date}."),
        "r_soon": ("Reminder: invoice {number} is due on {due_date}",
                   "This is a friendly reminder that invoice {number} is due on {due_date}."),
        "r_balance": "The balance due is {balance_due}.",
        "friendly": ("Reminder: invoice {number} is overdue",
                     "This is a friendly reminder that invoice {number}, due on {due_date}, is still open: "
                     "{balance_due} remains to be paid."),
        "firm": ("Second reminder: invoice {number} is {days} days overdue",
                 "Despite our reminder, invoice {number}, due on {due_date}, is still unpaid: {balance_due} is "
                 "{days} days overdue. Please pay it without delay."),
        "final": ("Final notice: invoice {number}",
                  "Invoice {number}, due on {due_date}, is {days} days overdue ({balance_due}). Unless it is "
                  "paid within 8 days, we will take further steps to recover it."),
        "fees": "Late-payment fees of {fees} have been invoiced separately.",
        "close": "If you have already paid, thank you, and please ignore this message.",
        "hello": "Hello {contact_name},", "regards": "Kind regards,",
    },
    "fr": {
        "r_late": ("Rappel : la facture {number} était due le {due_date}",
                   "Nous vous rappelons que la facture {number} était due le {due_date}."),
        "r_today": ("Rappel : la facture {number} arrive à échéance aujourd'hui",
                    "Nous vous rappelons que la facture {number} arrive à échéance aujourd'hui, le {due_date}."),
        "r_soon": ("Rappel : la facture {number} arrive à échéance le {due_date}",
                   "Nous vous rappelons que la facture {number} arrive à échéance le {due_date}."),
        "r_balance": "Le montant restant dû est de {balance_due}.",
        "friendly": ("Rappel : la facture {number} est échue",
                     "Nous vous rappelons que la facture {number}, échue le {due_date}, reste ouverte : "
                     "{balance_due} restent à régler."),
        "firm": ("Deuxième relance : facture {number} en retard de {days} jours",
                 "Malgré notre rappel, la facture {number}, échue le {due_date}, reste impayée : {balance_due} "
                 "en retard de {days} jours. Merci de la régler sans délai."),
        "final": ("Mise en demeure : facture {number}",
                  "La facture {number}, échue le {due_date}, est en retard de {days} jours ({balance_due}). "
                  "Sans règlement sous 8 jours, nous engagerons une procédure de recouvrement."),
        "fees": "Des pénalités de retard de {fees} ont été facturées à part.",
        "close": "Si vous avez déjà réglé, merci, et veuillez ignorer ce message.",
        "hello": "Bonjour {contact_name},", "regards": "Cordialement,",
    },
    "de": {
        "r_late": ("Erinnerung: Rechnung {number} war am {due_date} fällig",
                   "Wir möchten Sie daran erinnern, dass die Rechnung {number} am {due_date} fällig war."),
        "r_today": ("Erinnerung: Rechnung {number} ist heute fällig",
                    "Wir möchten Sie daran erinnern, dass die Rechnung {number} heute, am {due_date}, fällig ist."),
        "r_soon": ("Erinnerung: Rechnung {number} ist am {due_date} fällig",
                   "Wir möchten Sie freundlich daran erinnern, dass die Rechnung {number} am {due_date} fällig ist."),
        "r_balance": "Der offene Betrag beträgt {balance_due}.",
        "friendly": ("Zahlungserinnerung: Rechnung {number}",
                     "Wir möchten Sie freundlich daran erinnern, dass die Rechnung {number}, fällig am "
                     "{due_date}, noch offen ist: {balance_due}."),
        "firm": ("Zweite Mahnung: Rechnung {number} seit {days} Tagen überfällig",
                 "Trotz unserer Erinnerung ist die Rechnung {number}, fällig am {due_date}, noch unbezahlt: "
                 "{balance_due}, seit {days} Tagen überfällig. Bitte begleichen Sie sie umgehend."),
        "final": ("Letzte Mahnung: Rechnung {number}",
                  "Die Rechnung {number}, fällig am {due_date}, ist seit {days} Tagen überfällig "
                  "({balance_due}). Ohne Zahlung binnen 8 Tagen leiten wir weitere Schritte ein."),
        "fees": "Verzugszinsen und Gebühren von {fees} wurden gesondert berechnet.",
        "close": "Falls Sie bereits bezahlt haben, danken wir Ihnen und bitten Sie, diese Nachricht zu ignorieren.",
        "hello": "Guten Tag {contact_name},", "regards": "Mit freundlichen Grüßen",
    },
    "es": {
        "r_late": ("Recordatorio: la factura {number} venció el {due_date}",
                   "Le recordamos que la factura {number} venció el {due_date}."),
        "r_today": ("Recordatorio: la factura {number} vence hoy",
                    "Le recordamos que la factura {number} vence hoy, {due_date}."),
        "r_soon": ("Recordatorio: la factura {number} vence el {due_date}",
                   "Le recordamos amablemente que la factura {number} vence el {due_date}."),
        "r_balance": "El saldo pendiente es de {balance_due}.",
        "friendly": ("Recordatorio: la factura {number} está vencida",
                     "Le recordamos que la factura {number}, vencida el {due_date}, sigue pendiente: "
                     "{balance_due}."),
        "firm": ("Segundo aviso: factura {number} con {days} días de retraso",
                 "A pesar de nuestro recordatorio, la factura {number}, vencida el {due_date}, sigue impagada: "
                 "{balance_due} con {days} días de retraso. Le rogamos que la abone sin demora."),
        "final": ("Último aviso: factura {number}",
                  "La factura {number}, vencida el {due_date}, lleva {days} días de retraso ({balance_due}). "
                  "Si no se abona en 8 días, iniciaremos el procedimiento de cobro."),
        "fees": "Se han facturado aparte intereses y gastos de demora por {fees}.",
        "close": "Si ya ha pagado, gracias, y por favor ignore este mensaje.",
        "hello": "Hola {contact_name}:", "regards": "Atentamente,",
    },
}


def key(position: int, part: str, language: str) -> str:
    """The setting holding level ``position``'s ``part`` (subject or body) in ``language``."""
    return f"dunning_{position}_{part}_{language}"


KEYS = tuple(key(p, part, lang) for p in POSITIONS for lang in LANGUAGES for part in PARTS)


def is_template_key(name: str) -> bool:
    return _KEY.fullmatch(name) is not None


def language(locale: str | None) -> str:
    """The templates' language for an invoice's locale (English when there is none for it)."""
    lang = (locale or "en")[:2].lower()
    return lang if lang in LANGUAGES else "en"


def default(position: int, part: str, lang: str) -> str:
    """The built-in text of a level's subject or body in a language."""
    words = WORDS[lang]
    subject, first = words[_TONE[min(position, 3)]]
    if part == "subject":
        return subject
    return "\n".join([words["hello"], "", first, "{fees_note}", "", words["close"], "", words["regards"],
                      "{seller_name}"]) + "\n"


def reminder_text(kind: str, lang: str, fields: dict[str, str]) -> tuple[str, str]:
    """A reminder's subject and body (``kind``: r_late, r_today or r_soon) in ``lang``, from the
    same table as the dunning texts: greeting to signature in the invoice's language (issue 24)."""
    words = WORDS[lang]
    subject, first = words[kind]
    body = "\n".join([words["hello"], "", first, words["r_balance"], "", words["close"], "", words["regards"],
                      "{seller_name}"]) + "\n"
    return fill(subject, fields), fill(body, fields)


def fees_note(lang: str, fees: str) -> str:
    """The sentence saying the late fees were invoiced separately (empty without fees)."""
    return WORDS[lang]["fees"].replace("{fees}", fees) if fees else ""


def template_problem(name: str, text: str) -> str | None:
    """The reason ``text`` cannot be the template ``name`` (None when it can): each ``{…}`` must be
    a known placeholder, and no brace may stand alone."""
    unknown = [m.group(1) for m in _PLACEHOLDER.finditer(text) if m.group(1) not in PLACEHOLDERS]
    if unknown:
        return _("{name}: {{{placeholder}}} is not a placeholder; use {known}.").format(
            name=name, placeholder=unknown[0], known=", ".join("{" + p + "}" for p in PLACEHOLDERS))
    rest = _PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        bad = re.search(r"\{[^{}\n]{0,20}\}?|\}", rest).group(0)
        return _("{name}: '{text}' is not a placeholder; a placeholder is a known name between braces, e.g. "
                 "{{number}}.").format(name=name, text=bad)
    return None


def fill(template: str, fields: dict[str, str], *, optional_lines: bool = True) -> str:
    """The template with its placeholders replaced; in a body (``optional_lines``), a line using an
    empty fees or link placeholder is left out."""
    lines = []
    for line in template.splitlines():
        used = set(_PLACEHOLDER.findall(line))
        if optional_lines and any(name in used and not fields.get(name) for name in OPTIONAL_LINES):
            continue
        lines.append(_PLACEHOLDER.sub(lambda m: fields.get(m.group(1), m.group(0)), line))
    return "\n".join(lines) + ("\n" if template.endswith("\n") else "")
