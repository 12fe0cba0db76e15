"""The invoice document as pure Markdown (tables, no raw HTML).

Both Textual's ``Markdown`` widget (markdown-it "gfm-like", with linkify) and markdown-pdf
(markdown-it "commonmark" + tables) render the same text, so the screen preview and the PDF can
never disagree. Every amount comes from the one R18 function (``invoice_totals``); money is
formatted for the invoice's locale with babel (``format_money``), dates with
``babel.dates.format_date``.

User text (names, addresses, comments, labels, …) is escaped: every ASCII punctuation character
gets a backslash, so a name such as ``*bold* | [x](http://evil)`` can neither break a table,
add emphasis, create a link (not even through linkify: ``.``, ``:`` and ``@`` are escaped too)
nor smuggle HTML (``<`` and ``&`` are escaped). Line breaks in multi-line text become Markdown
hard breaks (a trailing backslash) outside tables and spaces inside table cells.

Labels are written in the invoice's language when it is English, French, German or Spanish
(the catalogue's languages) and in English otherwise.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from invoice_tui.db.models import Adjustment, Company, Contact, Invoice, LineItem
from invoice_tui.db.statements import CompiledRead
from invoice_tui.domain.invoices import days_overdue, invoice_totals, line_spec
from invoice_tui.domain.money import format_minor, format_price, from_minor, round_money, to_minor
from invoice_tui.domain.totals import default_category
from invoice_tui.domain.settings import WorkspaceSettings, load_settings
from invoice_tui.domain.text import safe

_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_WS = re.compile(r"[ \t]+")

# ---- labels ----------------------------------------------------------------------------------
_LABELS: dict[str, dict[str, str]] = {
    "invoice": {"en": "Invoice", "fr": "Facture", "de": "Rechnung", "es": "Factura"},
    "draft": {"en": "Draft", "fr": "Brouillon", "de": "Entwurf", "es": "Borrador"},
    "status": {"en": "Status", "fr": "Statut", "de": "Status", "es": "Estado"},
    "st_draft": {"en": "DRAFT — not a valid invoice", "fr": "BROUILLON — facture non valable",
                 "de": "ENTWURF — keine gültige Rechnung", "es": "BORRADOR — factura no válida"},
    "st_open": {"en": "Open", "fr": "À payer", "de": "Offen", "es": "Pendiente"},
    "st_paid": {"en": "PAID", "fr": "PAYÉE", "de": "BEZAHLT", "es": "PAGADA"},
    "st_credited": {"en": "CREDITED", "fr": "CRÉDITÉE", "de": "GUTGESCHRIEBEN", "es": "ABONADA"},  # R39
    "st_voided": {"en": "VOID", "fr": "ANNULÉE", "de": "STORNIERT", "es": "ANULADA"},
    "overdue": {"en": "overdue by {n} days", "fr": "en retard de {n} jours", "de": "{n} Tage überfällig",
                "es": "vencida hace {n} días"},
    "from": {"en": "From", "fr": "Émetteur", "de": "Von", "es": "De"},
    "bill_to": {"en": "Bill to", "fr": "Facturer à", "de": "Rechnung an", "es": "Facturar a"},
    "tax_id": {"en": "Tax ID", "fr": "N° TVA", "de": "USt-IdNr.", "es": "NIF"},
    "number": {"en": "Invoice number", "fr": "Numéro", "de": "Rechnungsnummer", "es": "Número"},
    "invoice_date": {"en": "Invoice date", "fr": "Date de facture", "de": "Rechnungsdatum",
                     "es": "Fecha de factura"},
    "due_date": {"en": "Due date", "fr": "Échéance", "de": "Fällig am", "es": "Vencimiento"},
    "po_number": {"en": "PO number", "fr": "N° de bon de commande", "de": "Bestellnummer", "es": "N.º de pedido"},
    "items": {"en": "Items", "fr": "Lignes", "de": "Positionen", "es": "Conceptos"},
    "item": {"en": "Item", "fr": "Désignation", "de": "Position", "es": "Concepto"},
    "description": {"en": "Description", "fr": "Description", "de": "Beschreibung", "es": "Descripción"},
    "qty": {"en": "Qty", "fr": "Qté", "de": "Menge", "es": "Cant."},
    "unit_price": {"en": "Unit price", "fr": "Prix unitaire", "de": "Einzelpreis", "es": "Precio unitario"},
    "discount": {"en": "Discount", "fr": "Remise", "de": "Rabatt", "es": "Descuento"},
    "fee": {"en": "Fee", "fr": "Frais", "de": "Gebühr", "es": "Cargo"},
    "extra_tax": {"en": "Tax", "fr": "Taxe", "de": "Steuer", "es": "Impuesto"},
    "tax_rate": {"en": "Tax rate", "fr": "Taux de TVA", "de": "Steuersatz", "es": "Tipo de IVA"},
    "net": {"en": "Net", "fr": "Montant HT", "de": "Netto", "es": "Neto"},
    "adjustments": {"en": "Discounts, fees and taxes", "fr": "Remises, frais et taxes",
                    "de": "Rabatte, Gebühren und Steuern", "es": "Descuentos, cargos e impuestos"},
    "kind": {"en": "Kind", "fr": "Type", "de": "Art", "es": "Tipo"},
    "label": {"en": "Label", "fr": "Libellé", "de": "Bezeichnung", "es": "Concepto"},
    "value": {"en": "Value", "fr": "Valeur", "de": "Wert", "es": "Valor"},
    "amount": {"en": "Amount", "fr": "Montant", "de": "Betrag", "es": "Importe"},
    "of_subtotal": {"en": "{p} of subtotal", "fr": "{p} du sous-total", "de": "{p} der Zwischensumme",
                    "es": "{p} del subtotal"},
    "of_total": {"en": "{p} of running total", "fr": "{p} du total", "de": "{p} der laufenden Summe",
                 "es": "{p} del total"},
    "fixed": {"en": "fixed", "fr": "fixe", "de": "fest", "es": "fijo"},
    "tax_breakdown": {"en": "Tax breakdown", "fr": "Détail de la TVA", "de": "Steueraufstellung",
                      "es": "Desglose de impuestos"},
    "category": {"en": "Category", "fr": "Catégorie", "de": "Kategorie", "es": "Categoría"},
    "not_en16931": {"en": "Extra taxes have no EN 16931 meaning: this invoice is not EN 16931.",
                    "fr": "Les taxes supplémentaires n'ont pas de sens EN 16931 : cette facture n'est pas EN 16931.",
                    "de": "Zusätzliche Steuern sind in EN 16931 nicht vorgesehen: diese Rechnung ist nicht EN 16931.",
                    "es": "Los impuestos adicionales no existen en EN 16931: esta factura no es EN 16931."},
    "basis": {"en": "Basis", "fr": "Base", "de": "Bemessungsgrundlage", "es": "Base imponible"},
    "tax": {"en": "Tax", "fr": "TVA", "de": "Steuer", "es": "Impuesto"},
    "no_tax": {"en": "No tax applies.", "fr": "Aucune taxe applicable.", "de": "Keine Steuer.",
               "es": "Sin impuestos."},
    "totals": {"en": "Totals", "fr": "Totaux", "de": "Summen", "es": "Totales"},
    "subtotal": {"en": "Subtotal", "fr": "Sous-total", "de": "Zwischensumme", "es": "Subtotal"},
    "discounts": {"en": "Discounts", "fr": "Remises", "de": "Rabatte", "es": "Descuentos"},
    "fees": {"en": "Fees", "fr": "Frais", "de": "Gebühren", "es": "Cargos"},
    "tax_total": {"en": "Tax", "fr": "Taxes", "de": "Steuern", "es": "Impuestos"},
    "total": {"en": "Total", "fr": "Total TTC", "de": "Gesamtbetrag", "es": "Total"},
    "paid": {"en": "Paid", "fr": "Payé", "de": "Bezahlt", "es": "Pagado"},
    "balance": {"en": "Balance due", "fr": "Solde dû", "de": "Offener Betrag", "es": "Saldo pendiente"},
    "comments": {"en": "Comments", "fr": "Commentaires", "de": "Anmerkungen", "es": "Comentarios"},
    "payment_instructions": {"en": "Payment instructions", "fr": "Modalités de paiement",
                             "de": "Zahlungshinweise", "es": "Instrucciones de pago"},
    "view_only": {"en": "View online", "fr": "Consulter en ligne", "de": "Online ansehen", "es": "Ver en línea"},
    "amount_billed": {"en": "Amount billed", "fr": "Montant facturé", "de": "Rechnungsbetrag",
                      "es": "Importe facturado"},
    "view_link": {"en": "View online", "fr": "Consulter en ligne", "de": "Online ansehen", "es": "Ver en línea"},
    "view_online": {"en": "View and pay online", "fr": "Consulter et payer en ligne",
                    "de": "Online ansehen und bezahlen", "es": "Ver y pagar en línea"},
    "paid_on": {"en": "paid on {d}", "fr": "payée le {d}", "de": "bezahlt am {d}", "es": "pagada el {d}"},
    "credited_on": {"en": "credited on {d}", "fr": "créditée le {d}", "de": "gutgeschrieben am {d}",
                    "es": "abonada el {d}"},
    # legal data and mentions (R43)
    "buyer_reference": {"en": "Buyer reference", "fr": "Référence acheteur", "de": "Käuferreferenz",
                        "es": "Referencia del comprador"},
    "delivery_date": {"en": "Delivery date", "fr": "Date de livraison", "de": "Leistungsdatum",
                      "es": "Fecha de entrega"},
    "delivery_is_invoice_date": {"en": "the invoice date", "fr": "date de facture",
                                 "de": "entspricht Rechnungsdatum", "es": "la fecha de factura"},
    "share_capital": {"en": "with a share capital of {c}", "fr": "au capital de {c}", "de": "Stammkapital {c}",
                      "es": "con capital social de {c}"},
    "legal_mentions": {"en": "Legal mentions", "fr": "Mentions légales", "de": "Pflichtangaben",
                       "es": "Menciones legales"},
    "m_reverse_charge": {"en": "Reverse charge (Autoliquidation)", "fr": "Autoliquidation",
                         "de": "Steuerschuldnerschaft des Leistungsempfängers (Autoliquidation)",
                         "es": "Inversión del sujeto pasivo (Autoliquidation)"},
    "m_exemption": {"en": "VAT exemption ({c})", "fr": "Exonération de TVA ({c})", "de": "Steuerbefreiung ({c})",
                    "es": "Exención de IVA ({c})"},
    "m_operation": {"en": "Operation category: {o}", "fr": "Catégorie de l'opération : {o}",
                    "de": "Art der Leistung: {o}", "es": "Categoría de la operación: {o}"},
    "op_goods": {"en": "supply of goods", "fr": "livraison de biens", "de": "Lieferung von Gegenständen",
                 "es": "entrega de bienes"},
    "op_services": {"en": "supply of services", "fr": "prestation de services", "de": "Dienstleistung",
                    "es": "prestación de servicios"},
    "op_both": {"en": "goods and services", "fr": "mixte (biens et services)",
                "de": "Lieferungen und Dienstleistungen", "es": "bienes y servicios"},
    "m_franchise": {"en": "VAT not applicable, art. 293 B of the CGI (TVA non applicable, art. 293 B du CGI)",
                    "fr": "TVA non applicable, art. 293 B du CGI",
                    "de": "Keine Umsatzsteuer: art. 293 B du CGI (TVA non applicable)",
                    "es": "IVA no aplicable, art. 293 B del CGI"},
    "m_debits": {"en": "VAT paid on debits (Option pour le paiement de la taxe d'après les débits)",
                 "fr": "Option pour le paiement de la taxe d'après les débits",
                 "de": "Sollbesteuerung (Option pour le paiement de la taxe d'après les débits)",
                 "es": "IVA según los débitos (Option pour le paiement de la taxe d'après les débits)"},
    "m_penalty": {"en": "Late-payment penalties: {r} % a year", "fr": "Pénalités de retard : taux annuel de {r} %",
                  "de": "Verzugszinsen: {r} % pro Jahr", "es": "Penalizaciones por demora: {r} % anual"},
    "m_penalty_legal": {"en": "Late-payment penalties: three times the legal interest rate",
                        "fr": "Pénalités de retard : trois fois le taux d'intérêt légal",
                        "de": "Verzugszinsen: das Dreifache des gesetzlichen Zinssatzes",
                        "es": "Penalizaciones por demora: tres veces el interés legal"},
    "m_indemnity": {"en": "Fixed indemnity for recovery costs of €40 (art. L441-10 of the French Commercial Code)",
                    "fr": "Indemnité forfaitaire pour frais de recouvrement de 40 € (art. L441-10 du Code de "
                          "commerce)",
                    "de": "Pauschale Entschädigung für Beitreibungskosten von 40 € (Art. L441-10 Code de commerce)",
                    "es": "Indemnización fija por gastos de cobro de 40 € (art. L441-10 del Code de commerce)"},
    "m_no_discount": {"en": "No discount for early payment", "fr": "Pas d'escompte pour paiement anticipé",
                      "de": "Kein Skonto bei vorzeitiger Zahlung", "es": "Sin descuento por pronto pago"},
    # credit notes (EN 16931 type 381, R36–R42)
    "credit_note": {"en": "Credit note", "fr": "Avoir", "de": "Gutschrift", "es": "Nota de crédito"},
    "cn_number": {"en": "Credit note number", "fr": "Numéro d'avoir", "de": "Gutschriftsnummer",
                  "es": "Número de nota de crédito"},
    "cn_date": {"en": "Date", "fr": "Date", "de": "Datum", "es": "Fecha"},
    "st_issued": {"en": "Issued", "fr": "Émis", "de": "Ausgestellt", "es": "Emitida"},
    "st_cn_draft": {"en": "DRAFT — not a valid credit note", "fr": "BROUILLON — avoir non valable",
                    "de": "ENTWURF — keine gültige Gutschrift", "es": "BORRADOR — nota de crédito no válida"},
    "corrects": {"en": "Credits invoice {n}", "fr": "Avoir sur la facture {n}", "de": "Gutschrift zur Rechnung {n}",
                 "es": "Abona la factura {n}"},
    "reason": {"en": "Reason", "fr": "Motif", "de": "Grund", "es": "Motivo"},
    "total_credited": {"en": "Total credited", "fr": "Total de l'avoir", "de": "Gutgeschrieben",
                       "es": "Total abonado"},
    "credited": {"en": "Credited", "fr": "Avoirs", "de": "Gutgeschrieben", "es": "Abonado"},
    # the PDF's stamp and metadata, the buyer page (issue 25: a French invoice reads French everywhere)
    "stamp_paid": {"en": "PAID", "fr": "PAYÉE", "de": "BEZAHLT", "es": "PAGADA"},
    "stamp_void": {"en": "VOID", "fr": "ANNULÉE", "de": "STORNIERT", "es": "ANULADA"},
    "void_banner": {"en": "This invoice is VOID: it has been cancelled and nothing is due.",
                    "fr": "Cette facture est ANNULÉE : rien n’est dû.",
                    "de": "Diese Rechnung ist STORNIERT: es ist nichts zu zahlen.",
                    "es": "Esta factura está ANULADA: no hay nada que pagar."},
    "download_pdf": {"en": "Download PDF", "fr": "Télécharger le PDF", "de": "PDF herunterladen",
                     "es": "Descargar PDF"},
    "pay_by_card": {"en": "Pay {a} by card", "fr": "Payer {a} par carte", "de": "{a} mit Karte bezahlen",
                    "es": "Pagar {a} con tarjeta"},
    "pay": {"en": "Pay", "fr": "Payer", "de": "Bezahlen", "es": "Pagar"},
    "save_card": {"en": "Save a card for future payments", "fr": "Enregistrer une carte pour les prochains paiements",
                  "de": "Karte für künftige Zahlungen speichern", "es": "Guardar una tarjeta para futuros pagos"},
    "js_failed": {"en": "The payment could not be made; try again.",
                  "fr": "Le paiement n’a pas pu être effectué ; veuillez réessayer.",
                  "de": "Die Zahlung ist fehlgeschlagen; bitte erneut versuchen.",
                  "es": "No se pudo realizar el pago; inténtelo de nuevo."},
    "js_succeeded": {"en": "Thank you: your payment succeeded.", "fr": "Merci : votre paiement a été effectué.",
                     "de": "Vielen Dank: Ihre Zahlung war erfolgreich.", "es": "Gracias: su pago se ha realizado."},
    "js_processing": {"en": "Thank you: your payment is processing.", "fr": "Merci : votre paiement est en cours.",
                      "de": "Vielen Dank: Ihre Zahlung wird bearbeitet.", "es": "Gracias: su pago se está procesando."},
    "js_paying": {"en": "Paying…", "fr": "Paiement en cours…", "de": "Zahlung läuft…", "es": "Pagando…"},
    "js_not_through": {"en": "The payment did not go through ({s}).", "fr": "Le paiement n’a pas abouti ({s}).",
                       "de": "Die Zahlung ist nicht durchgegangen ({s}).", "es": "El pago no se completó ({s})."},
    "js_saving": {"en": "Saving your card…", "fr": "Enregistrement de votre carte…", "de": "Karte wird gespeichert…",
                  "es": "Guardando su tarjeta…"},
    "js_saved": {"en": "Your card is saved for future payments.",
                 "fr": "Votre carte est enregistrée pour les prochains paiements.",
                 "de": "Ihre Karte ist für künftige Zahlungen gespeichert.",
                 "es": "Su tarjeta está guardada para futuros pagos."},
    "js_not_saved": {"en": "The card could not be saved; try again.",
                     "fr": "La carte n’a pas pu être enregistrée ; veuillez réessayer.",
                     "de": "Die Karte konnte nicht gespeichert werden; bitte erneut versuchen.",
                     "es": "No se pudo guardar la tarjeta; inténtelo de nuevo."},
    "nothing_to_pay": {"en": "There is nothing to pay at this address.", "fr": "Il n’y a rien à payer à cette adresse.",
                       "de": "Unter dieser Adresse ist nichts zu zahlen.", "es": "No hay nada que pagar en esta dirección."},
    "payments_unavailable": {"en": "Payments are unavailable right now; try again later.",
                             "fr": "Les paiements sont indisponibles pour le moment ; veuillez réessayer plus tard.",
                             "de": "Zahlungen sind gerade nicht möglich; bitte später erneut versuchen.",
                             "es": "Los pagos no están disponibles ahora; inténtelo más tarde."},
    "not_found_title": {"en": "Not found", "fr": "Introuvable", "de": "Nicht gefunden", "es": "No encontrado"},
    "not_found_text": {"en": "There is no invoice at this address.", "fr": "Il n’y a pas de facture à cette adresse.",
                       "de": "Unter dieser Adresse gibt es keine Rechnung.",
                       "es": "No hay ninguna factura en esta dirección."},
    "method_not_allowed": {"en": "Method not allowed", "fr": "Méthode non autorisée", "de": "Methode nicht erlaubt",
                           "es": "Método no permitido"},
    "went_wrong": {"en": "Something went wrong.", "fr": "Une erreur s’est produite.", "de": "Etwas ist schiefgelaufen.",
                   "es": "Algo salió mal."},
    "bad_request": {"en": "Bad request.", "fr": "Requête invalide.", "de": "Ungültige Anfrage.",
                    "es": "Solicitud no válida."},
    # the invoice email's built-in subject and body (the workspace's own template when it changed it)
    "email_subject": {"en": "Invoice {number} from {seller_name}", "fr": "Facture {number} — {seller_name}",
                      "de": "Rechnung {number} von {seller_name}", "es": "Factura {number} de {seller_name}"},
    "email_body": {
        "en": "Hello {contact_name},\n\nPlease find attached invoice {number} for {balance_due}, due on {due_date}.\n"
              "You can also view it online: {link}\n\nThank you,\n{seller_name}",
        "fr": "Bonjour {contact_name},\n\nVeuillez trouver ci-joint la facture {number} d’un montant de {balance_due}, "
              "à régler au plus tard le {due_date}.\nVous pouvez aussi la consulter en ligne : {link}\n\n"
              "Cordialement,\n{seller_name}",
        "de": "Guten Tag {contact_name},\n\nanbei erhalten Sie die Rechnung {number} über {balance_due}, fällig am "
              "{due_date}.\nSie können sie auch online ansehen: {link}\n\nMit freundlichen Grüßen\n{seller_name}",
        "es": "Hola {contact_name}:\n\nAdjuntamos la factura {number} por {balance_due}, con vencimiento el "
              "{due_date}.\nTambién puede verla en línea: {link}\n\nGracias,\n{seller_name}"},
    "cn_email_subject": {"en": "Credit note {number} from {seller_name}", "fr": "Avoir {number} — {seller_name}",
                         "de": "Gutschrift {number} von {seller_name}",
                         "es": "Nota de crédito {number} de {seller_name}"},
    "cn_email_body": {
        "en": "Hello {contact_name},\n\nPlease find attached credit note {number} for {amount_billed}.\n"
              "You can also view it online: {link}\n\nThank you,\n{seller_name}",
        "fr": "Bonjour {contact_name},\n\nVeuillez trouver ci-joint l’avoir {number} d’un montant de {amount_billed}.\n"
              "Vous pouvez aussi le consulter en ligne : {link}\n\nCordialement,\n{seller_name}",
        "de": "Guten Tag {contact_name},\n\nanbei erhalten Sie die Gutschrift {number} über {amount_billed}.\n"
              "Sie können sie auch online ansehen: {link}\n\nMit freundlichen Grüßen\n{seller_name}",
        "es": "Hola {contact_name}:\n\nAdjuntamos la nota de crédito {number} por {amount_billed}.\n"
              "También puede verla en línea: {link}\n\nGracias,\n{seller_name}"},
    # the payment receipt (R10)
    "receipt_subject": {"en": "Receipt for your payment of {a}", "fr": "Reçu de votre paiement de {a}",
                        "de": "Quittung für Ihre Zahlung von {a}", "es": "Recibo de su pago de {a}"},
    "receipt_subject_inv": {"en": "Receipt for your payment of {a} — invoice {n}",
                            "fr": "Reçu de votre paiement de {a} — facture {n}",
                            "de": "Quittung für Ihre Zahlung von {a} — Rechnung {n}",
                            "es": "Recibo de su pago de {a} — factura {n}"},
    "hello": {"en": "Hello {n},", "fr": "Bonjour {n},", "de": "Guten Tag {n},", "es": "Hola {n}:"},
    "receipt_thanks": {"en": "Thank you: we received your payment of {a} on {d}.",
                       "fr": "Merci : nous avons bien reçu votre paiement de {a} le {d}.",
                       "de": "Vielen Dank: wir haben Ihre Zahlung von {a} am {d} erhalten.",
                       "es": "Gracias: hemos recibido su pago de {a} el {d}."},
    "receipt_for": {"en": "Receipt for payment #{n}", "fr": "Reçu du paiement n° {n}", "de": "Quittung für Zahlung Nr. {n}",
                    "es": "Recibo del pago n.º {n}"},
    "method": {"en": "Method", "fr": "Mode de paiement", "de": "Zahlungsart", "es": "Forma de pago"},
    "reference": {"en": "Reference", "fr": "Référence", "de": "Referenz", "es": "Referencia"},
    "balance_after": {"en": "Balance due after this payment", "fr": "Solde dû après ce paiement",
                      "de": "Offener Betrag nach dieser Zahlung", "es": "Saldo pendiente tras este pago"},
    "kind_regards": {"en": "Kind regards,", "fr": "Cordialement,", "de": "Mit freundlichen Grüßen", "es": "Saludos cordiales,"},
    "m_cash": {"en": "cash", "fr": "espèces", "de": "bar", "es": "efectivo"},
    "m_check": {"en": "check", "fr": "chèque", "de": "Scheck", "es": "cheque"},
    "m_bank_transfer": {"en": "bank transfer", "fr": "virement bancaire", "de": "Überweisung",
                        "es": "transferencia bancaria"},
    "m_card": {"en": "card", "fr": "carte bancaire", "de": "Karte", "es": "tarjeta"},
    "m_other": {"en": "other", "fr": "autre", "de": "andere", "es": "otro"},
    # the statement of account (issue 27): its email and PDF
    "statement": {"en": "Statement of account", "fr": "Relevé de compte", "de": "Kontoauszug",
                  "es": "Estado de cuenta"},
    "statement_attached": {"en": "Please find attached your statement of account as of {d}.",
                           "fr": "Veuillez trouver ci-joint votre relevé de compte au {d}.",
                           "de": "anbei erhalten Sie Ihren Kontoauszug zum {d}.",
                           "es": "Adjuntamos su estado de cuenta a {d}."},
    "balance_in": {"en": "Balance in {c}: {a}", "fr": "Solde en {c} : {a}", "de": "Saldo in {c}: {a}",
                   "es": "Saldo en {c}: {a}"},
    "period": {"en": "{c}, {s} to {e}", "fr": "{c}, du {s} au {e}", "de": "{c}, {s} bis {e}", "es": "{c}, del {s} al {e}"},
    "from_seller": {"en": "From {s}", "fr": "Émis par {s}", "de": "Von {s}", "es": "De {s}"},
    "document": {"en": "Document", "fr": "Pièce", "de": "Beleg", "es": "Documento"},
    "opening_balance": {"en": "Opening balance", "fr": "Solde d’ouverture", "de": "Anfangssaldo",
                        "es": "Saldo inicial"},
    "closing_balance": {"en": "Closing balance", "fr": "Solde de clôture", "de": "Endsaldo", "es": "Saldo final"},
    "statement_balance": {"en": "Balance", "fr": "Solde", "de": "Saldo", "es": "Saldo"},
    "mv_payment": {"en": "Payment", "fr": "Encaissement", "de": "Zahlung", "es": "Pago"},
    "mv_refund": {"en": "Refund", "fr": "Remboursement", "de": "Erstattung", "es": "Reembolso"},
    "mv_credit_applied": {"en": "Credit applied", "fr": "Avoir imputé", "de": "Gutschrift verrechnet",
                          "es": "Crédito aplicado"},
    "credit_brackets": {"en": "Credit applied is shown in brackets: it settles an invoice with credit already counted.",
                        "fr": "Les avoirs imputés sont entre parenthèses : ils soldent une facture avec un crédit "
                              "déjà compté.",
                        "de": "Verrechnete Gutschriften stehen in Klammern: sie begleichen eine Rechnung mit bereits "
                              "gezähltem Guthaben.",
                        "es": "El crédito aplicado va entre paréntesis: salda una factura con crédito ya contado."},
    "no_movements": {"en": "No movements.", "fr": "Aucun mouvement.", "de": "Keine Buchungen.",
                     "es": "Sin movimientos."},
    "b_current": {"en": "Current", "fr": "Non échu", "de": "Nicht fällig", "es": "No vencido"},
    "days_range": {"en": "{a}–{b}", "fr": "{a}–{b} j", "de": "{a}–{b} T.", "es": "{a}–{b} d"},
    "days_over": {"en": "> {a}", "fr": "> {a} j", "de": "> {a} T.", "es": "> {a} d"},
    # the late-fee invoice of a dunning level (R51): its title, lines and VAT exemption reason
    "fee_title": {"en": "Late-payment fees on {n}", "fr": "Pénalités de retard sur la facture {n}",
                  "de": "Verzugskosten zur Rechnung {n}", "es": "Recargos por demora de la factura {n}"},
    "fee_interest": {"en": "Late-payment interest on {n}", "fr": "Intérêts de retard sur la facture {n}",
                     "de": "Verzugszinsen zur Rechnung {n}", "es": "Intereses de demora de la factura {n}"},
    "fee_interest_desc": {"en": "{days} days ({start} to {end}) at {rate}% a year on {base}",
                          "fr": "{days} jours (du {start} au {end}) au taux annuel de {rate} % sur {base}",
                          "de": "{days} Tage ({start} bis {end}) zu {rate} % pro Jahr auf {base}",
                          "es": "{days} días (del {start} al {end}) al {rate} % anual sobre {base}"},
    "fee_indemnity": {"en": "Fixed recovery indemnity on {n}",
                      "fr": "Indemnité forfaitaire pour frais de recouvrement sur la facture {n}",
                      "de": "Pauschale Beitreibungskosten zur Rechnung {n}",
                      "es": "Indemnización fija por gastos de cobro de la factura {n}"},
    "outside_vat": {"en": "Outside the scope of VAT: late-payment interest and recovery indemnity",
                    "fr": "Hors champ de la TVA : intérêts de retard et indemnité forfaitaire de recouvrement",
                    "de": "Nicht steuerbar: Verzugszinsen und Beitreibungspauschale",
                    "es": "No sujeto a IVA: intereses de demora e indemnización por gastos de cobro"},
    "sum": {"en": "Total", "fr": "Total", "de": "Summe", "es": "Total"},
    "page_title_invoice": {"en": "Invoice {n}", "fr": "Facture {n}", "de": "Rechnung {n}", "es": "Factura {n}"},
}


def _lang(locale: str) -> str:
    lang = (locale or "en").split("_")[0].split("-")[0].lower()
    return lang if lang in ("en", "fr", "de", "es") else "en"


def label(key: str, locale: str | None, **kw) -> str:
    """A document label in ``locale``'s language (English when the table has none): the one table
    the invoice document and the invoice emails' details block (issue 24) are worded from."""
    text = _LABELS[key].get(_lang(locale or "en")) or _LABELS[key]["en"]
    return text.format(**kw) if kw else text


def _locale(locale: str | None) -> str:
    try:
        return str(Locale.parse((locale or "en_US").replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return "en_US"


# ---- escaping --------------------------------------------------------------------------------
def escape(text: str | None) -> str:
    """One line of user text made inert: every ASCII punctuation character is backslash-escaped
    and line breaks and runs of blanks become one space (safe in a table cell or a heading)."""
    if not text:
        return ""
    flat = _WS.sub(" ", " ".join(part.strip() for part in str(text).splitlines())).strip()
    return _PUNCT.sub(r"\\\1", safe(flat, line=True))  # controls shown as \x1b, not sent (R55)


def escape_block(text: str | None) -> str:
    """Multi-line user text as one or more paragraphs: each line escaped, lines joined by hard
    breaks, blank lines kept as paragraph breaks (never a code block, list or heading)."""
    if not text:
        return ""
    paragraphs: list[list[str]] = [[]]
    for line in str(text).splitlines():
        line = escape(line)
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join("\\\n".join(p) for p in paragraphs if p)


def _safe_url(url: str) -> str | None:
    """An http(s) URL usable as a Markdown link destination, or None."""
    url = (url or "").strip()
    if not re.match(r"^https?://[^\s]+$", url, re.IGNORECASE):
        return None
    # Percent-encode what could end or break the destination; keep URL syntax intact.
    return quote(url, safe=":/?#[]@!$&'*+,;=%-._~")


def _row(cells) -> str:
    return "| " + " | ".join(c if c else " " for c in cells) + " |"


def _table(header: list[str], align: str, rows: list[list[str]]) -> list[str]:
    sep = ["---:" if a == "r" else "---" for a in align]
    return [_row(header), _row(sep), *(_row(r) for r in rows)]


# ---- the document ----------------------------------------------------------------------------
# What the document reads, compiled once (a PDF of a 20-line invoice spent a third of its time
# beyond markdown-pdf building these four queries: issue 7).
_LINES = CompiledRead([LineItem.name, LineItem.description, LineItem.quantity, LineItem.unit_price_micro,
                       LineItem.price_base, LineItem.unit_code, LineItem.discount_kind, LineItem.discount_value,
                       LineItem.charges, LineItem.tax_rate, LineItem.tax_category],
                      lambda key: LineItem.invoice == key, order=[LineItem.position, LineItem.id])
_ADJUSTMENTS = CompiledRead([Adjustment.kind, Adjustment.position, Adjustment.label, Adjustment.is_percent,
                             Adjustment.value, Adjustment.tax_rate, Adjustment.tax_category],
                            lambda key: Adjustment.invoice == key, order=[Adjustment.position])
_CONTACT = CompiledRead([Contact.first_name, Contact.last_name, Contact.email, Contact.address, Contact.postcode,
                         Contact.city, Contact.country, Contact.is_business],
                        lambda key: Contact.id == key)
_COMPANY = CompiledRead([Company.name, Company.address, Company.tax_id, Company.legal_name, Company.postcode,
                         Company.city, Company.country, Company.siren, Company.siret, Company.vat_id],
                        lambda key: Company.id == key)


def buyer_link(inv: Invoice, settings: WorkspaceSettings) -> str | None:
    """``public_base_url`` + ``/i/`` + link token, when both exist (finalized invoices only)."""
    if inv.status == "draft" or not inv.link_token or not settings.public_base_url:
        return None
    return settings.public_base_url.rstrip("/") + "/i/" + inv.link_token


def _workspace_today(settings: WorkspaceSettings) -> dt.date:
    try:
        tz = ZoneInfo(settings.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = dt.timezone.utc
    return dt.datetime.now(tz).date()


def invoice_markdown(inv: Invoice, *, settings: WorkspaceSettings | None = None, today: dt.date | None = None,
                     link: str | None = None, compact: bool = False, figures_locale: str | None = None) -> str:
    """The buyer-facing invoice document of ``inv`` as pure Markdown.

    ``compact`` (the invoice screen's narrow document panel): the key facts, the line items and
    the discounts, fees and taxes as lists instead of wide tables, so that no figure is cut to fit
    a column at 80×24; the tax breakdown and the totals stay tables (they are narrow).

    ``today`` decides the overdue line (default: today in the workspace time zone); ``link``
    overrides the buyer link (default: ``public_base_url/i/<token>`` when both exist). A draft
    shows "Draft" instead of a number and never a link (R4).
    """
    settings = settings or load_settings()
    today = today or _workspace_today(settings)
    lang = _lang(_locale(inv.locale))
    # issue 24: the document's words are in the invoice's language; its figures too, except on the
    # invoice page, where every number and date reads in the reader's locale (``figures_locale``)
    loc = _locale(figures_locale or inv.locale)
    cur = inv.currency

    def L(key: str, **kw) -> str:  # noqa: N802 - a label
        text = _LABELS[key].get(lang) or _LABELS[key]["en"]
        return text.format(**kw) if kw else text

    L.locale = _locale(inv.locale)  # the mentions' numbers are written for the invoice's locale (its wording)

    def money(amount: Decimal) -> str:  # format_money's text, by its fast integer path
        return format_minor(to_minor(amount, cur), cur, loc)

    def neg(amount: Decimal) -> str:
        return money(-amount)  # zero stays zero: minor units have no sign of zero

    def day(d: dt.date | None) -> str:  # a long date is words of the document's sentences: its language
        return format_date(d, format="long", locale=L.locale) if d else ""

    @functools.cache  # an invoice repeats a few rates and quantities on many lines
    def pct(rate: Decimal) -> str:
        return format_percent(Decimal(rate) / 100, locale=loc, decimal_quantization=False)

    @functools.cache
    def qty(q: Decimal) -> str:
        return format_decimal(q, locale=loc, decimal_quantization=False)

    def price(p: Decimal) -> str:  # R35: a unit price keeps its decimals beyond the currency's (0.1212)
        return money(p) if p == round_money(p, cur) else format_price(p, cur, loc)

    def vat(rate: Decimal, category: str) -> str:  # the rate, and the category when not the rate's default
        return pct(rate) if category == default_category(rate) else f"{pct(rate)} {category}"

    lines = _LINES.read(inv.id)
    totals = invoice_totals(inv, lines=lines, adjustments=_ADJUSTMENTS.read(inv.id))
    contact = _CONTACT.read_one(inv.billing_contact_id) if inv.billing_contact_id else None
    company = _COMPANY.read_one(inv.company_id) if inv.company_id else None
    draft = inv.status == "draft"
    is_cn = inv.doc_type == "credit_note"
    kind = L("credit_note") if is_cn else L("invoice")

    out: list[str] = []
    title = f"{kind} {escape(inv.number)}" if not draft else f"{kind} — {L('draft')}"
    out.append(f"# {title}")
    if inv.title:
        out += ["", f"*{escape(inv.title)}*"]
    status = {"draft": L("st_cn_draft" if is_cn else "st_draft"), "open": L("st_open"), "paid": L("st_paid"),
              "voided": L("st_voided"), "issued": L("st_issued")}.get(inv.status, escape(inv.status))
    credited = _settled_by_credit(inv)  # R39
    if credited:
        status = L("st_credited")
    status_line = f"**{L('status')}: {status}**"
    if inv.status == "paid" and inv.payment_date:
        status_line += f" — {L('credited_on' if credited else 'paid_on', d=day(inv.payment_date))}"
    elif inv.status == "open" and days_overdue(inv, today):
        status_line += f" — **{L('overdue', n=days_overdue(inv, today))}**"
    out += ["", status_line]
    if is_cn:  # BT-25/BT-26: the invoice it corrects, and why (R36)
        corrected = Invoice.get_or_none(Invoice.id == inv.refers_to) if inv.refers_to else None
        if corrected is not None:
            out += ["", f"**{L('corrects', n=escape(corrected.number))}**\\",
                    f"{L('invoice_date')}: {day(corrected.invoice_date)}"]
        out += ["", f"{L('reason')}: {escape(inv.reason)}"]

    # Seller and buyer blocks (R43: the legal name, address and identifiers).
    seller = [escape(settings.seller_legal_name)] if settings.seller_legal_name else []
    seller += [escape(x) for x in settings.seller_postal_lines()]
    seller += _seller_identity(settings, L)
    if seller:
        out += ["", f"**{L('from')}**", "", "\\\n".join(seller)]
    buyer: list[str] = []
    if contact is not None:
        name = f"{contact.first_name} {contact.last_name}".strip()
        if name:
            buyer.append(escape(name))
        buyer.append(escape(contact.email))
        buyer += [escape(x) for x in (contact.address or "").splitlines() if x.strip()]
        buyer += [escape(x) for x in _town(contact)]
    if company is not None:
        buyer.append(f"**{escape(company.legal_name or company.name)}**")
        buyer += [escape(x) for x in (company.address or "").splitlines() if x.strip()]
        buyer += [escape(x) for x in _town(company)]
        if company.siret or company.siren:
            buyer.append(f"{'SIRET' if company.siret else 'SIREN'} {escape(company.siret or company.siren)}")
        if company.vat_id or company.tax_id:
            buyer.append(f"{L('tax_id')}: {escape(company.vat_id or company.tax_id)}")
    if not buyer and inv.contact_name:
        buyer.append(escape(inv.contact_name))
    if buyer:
        out += ["", f"**{L('bill_to')}**", "", "\\\n".join(buyer)]

    # Key facts.
    if is_cn:
        facts_h = [L("cn_number"), L("cn_date")]
        facts = [escape(inv.number) if not draft else L("draft"), day(inv.invoice_date)]
    else:
        facts_h = [L("number"), L("invoice_date"), L("due_date")]
        facts = [escape(inv.number) if not draft else L("draft"), day(inv.invoice_date), day(inv.due_date)]
    if inv.po_number:
        facts_h.append(L("po_number"))
        facts.append(escape(inv.po_number))
    if not is_cn and getattr(inv, "buyer_reference", ""):
        facts_h.append(L("buyer_reference"))
        facts.append(escape(inv.buyer_reference))
    if not is_cn and (inv.delivery_date or _lang(inv.locale) == "de"):
        # BT-72; German invoices always state the Leistungsdatum (UStG §14(4) Nr. 6)
        facts_h.append(L("delivery_date"))
        facts.append(day(inv.delivery_date) if inv.delivery_date else L("delivery_is_invoice_date"))
    if compact:
        out += [""] + [f"- **{h}:** {v}" for h, v in zip(facts_h, facts)]
    else:
        out += [""] + _table(facts_h, "l" * len(facts_h), [facts])

    # Line items.
    rows = []
    for li, spec, net in zip(lines, map(lambda li: line_spec(li, cur), lines), totals.line_nets):
        parts = [("allowance", spec.discount, spec.discount_percent, "")] if spec.discount is not None else []
        parts += [(c.kind, c.value, c.is_percent, c.reason) for c in spec.charges]
        disc = " ".join(("−" if kind == "allowance" else "+") + (pct(value) if is_pct else money(value))
                        + (f" {escape(reason)}" if reason else "") for kind, value, is_pct, reason in parts)
        if len(parts) == 1 and parts[0][0] == "allowance" and not parts[0][3]:
            disc = disc[1:]  # the plain line discount reads as it always did
        unit_price = price(spec.unit_price)
        if spec.base_quantity != 1:
            unit_price += f" / {qty(spec.base_quantity)}"
        quantity = qty(li.quantity) + (f" {escape(spec.unit_code)}" if spec.unit_code != "C62" else "")
        rows.append([escape(li.name), escape(li.description), quantity, unit_price, disc,
                     vat(spec.tax_rate, spec.category), money(net)])
    out += ["", f"## {L('items')}", ""]
    if compact:  # one item a paragraph: name and net, then quantity × price, discounts, VAT
        for name, desc, quantity, unit_price, disc, rate, net in rows:
            out.append(f"- **{name}** {net}  ")
            out.append(f"  {quantity} × {unit_price}" + (f" {L('discount').lower()} {disc}" if disc else "")
                       + f" · {L('tax_rate')} {rate}" + (f"  \n  *{desc}*" if desc else ""))
    else:
        out += _table([L("item"), L("description"), L("qty"), L("unit_price"), L("discount"), L("tax_rate"),
                       L("net")], "llrrrrr", rows)

    # Invoice-level discounts, fees and extra taxes.
    adj_rows = []
    for a in totals.applied:  # in R18's order
        kind = "extra_tax" if a.kind == "tax" else a.kind
        if a.is_percent:
            value = L("of_total" if kind == "extra_tax" else "of_subtotal", p=pct(a.value))
        else:
            value = L("fixed")
        rate = vat(a.tax_rate, a.category) if kind != "extra_tax" else ""
        amount = neg(a.amount) if kind == "discount" else money(a.amount)
        adj_rows.append([L(kind), escape(a.label), value, rate, amount])
    if adj_rows:
        out += ["", f"## {L('adjustments')}", ""]
        if compact:
            out += [f"- **{kind}** {amount}  \n  " + " · ".join(x for x in (label, value, rate and f"{L('tax_rate')} {rate}")
                                                                if x)
                    for kind, label, value, rate, amount in adj_rows]
        else:
            out += _table([L("kind"), L("label"), L("value"), L("tax_rate"), L("amount")], "lllrr", adj_rows)
    if not totals.en16931:
        out += ["", f"*{L('not_en16931')}*"]

    # Tax breakdown.
    out += ["", f"## {L('tax_breakdown')}", ""]
    if totals.tax_breakdown:
        if compact:  # category and rate in one narrow column
            out += _table([L("tax_rate"), L("basis"), L("tax")], "lrr",
                          [[f"{t.category} {pct(t.rate)}", money(t.basis), money(t.tax)] for t in totals.tax_breakdown])
        else:
            out += _table([L("category"), L("tax_rate"), L("basis"), L("tax")], "lrrr",
                          [[t.category, pct(t.rate), money(t.basis), money(t.tax)] for t in totals.tax_breakdown])
    else:
        out.append(L("no_tax"))

    # Totals.
    trows = []
    for step in totals.steps():  # in R18's order
        if step.kind == "subtotal":
            trows.append([L("subtotal"), money(step.amount)])
        elif step.kind == "discount" and step.items:
            trows.append([L("discounts"), money(step.amount)])  # negative: it enters the total so
        elif step.kind == "fee" and step.items:
            trows.append([L("fees"), money(step.amount)])
        elif step.kind == "tax":
            trows.append([L("tax_total"), money(step.amount)])
        elif step.kind == "billed":
            trows.append([f"**{L('total_credited' if is_cn else 'total')}**", f"**{money(step.amount)}**"])
    if not is_cn:  # a credit note owes nothing and is paid nothing: what it does to the balance is on its invoice
        trows.append([L("paid"), money(totals.paid)])
        if inv.credited_minor:  # R39: settled by credit notes and customer credit
            trows.append([L("credited"), money(from_minor(inv.credited_minor, cur))])
        trows.append([f"**{L('balance')}**", f"**{money(totals.balance)}**"])
    out += ["", f"## {L('totals')}", ""] + _table([L("totals"), L("amount")], "lr", trows)

    if inv.comments and inv.comments.strip():
        out += ["", f"## {L('comments')}", "", escape_block(inv.comments)]
    if (settings.payment_instructions and settings.payment_instructions.strip() and inv.status != "voided"
            and not is_cn):
        out += ["", f"## {L('payment_instructions')}", "", escape_block(settings.payment_instructions)]

    mentions = legal_mentions(inv, settings, company, contact, totals, L)
    if mentions:
        out += ["", f"## {L('legal_mentions')}", ""] + [f"- {m}" for m in mentions]

    url = None if draft else (link or buyer_link(inv, settings))
    if url:
        safe = _safe_url(url)
        # a voided invoice offers nothing to pay (R13): its link is to view it, not "view and pay"
        out += ["", f"## {L('view_only' if inv.status == 'voided' or is_cn else 'view_online')}", ""]
        out.append(f"[{escape(url)}](<{safe}>)" if safe else escape(url))
    return "\n".join(out) + "\n"


def _town(party) -> list[str]:
    """Postcode and city, and the country, of a contact or company (R43's structured address)."""
    town = " ".join(x for x in ((party.postcode or "").strip(), (party.city or "").strip()) if x)
    return [x for x in (town, (party.country or "").strip()) if x]


def _seller_identity(settings: WorkspaceSettings, L) -> list[str]:  # noqa: N803 - the label function
    """R43: legal form and share capital, registration, SIREN/SIRET, VAT id (USt-IdNr. in German)."""
    out = []
    form = settings.seller_legal_form.strip()
    if settings.seller_share_capital:
        capital = format_decimal(Decimal(settings.seller_share_capital), locale=L.locale)
        form = (form + " " if form else "") + L("share_capital", c=f"{capital} €")
    if form:
        out.append(escape(form))
    if settings.seller_registration.strip():
        out.append(escape(settings.seller_registration.strip()))
    ids = []
    if settings.seller_siren:
        ids.append(f"SIREN {escape(settings.seller_siren)}")
    if settings.seller_siret:
        ids.append(f"SIRET {escape(settings.seller_siret)}")
    if ids:
        out.append(" · ".join(ids))
    if settings.seller_vat_id:
        out.append(f"{L('tax_id')}: {escape(settings.seller_vat_id)}")
    return out


def _settled_by_credit(inv: Invoice) -> bool:
    """R39: a paid invoice settled wholly by its credit notes reads "credited", not "paid" (as the
    invoice page's header and the index say)."""
    from invoice_tui.domain.credit import settlement_label

    return settlement_label(inv) == "Credited"


def legal_mentions(inv: Invoice, settings: WorkspaceSettings, company, contact, totals, L) -> list[str]:  # noqa: N803
    """The mandatory mentions (R43) in the invoice's language: for a French seller the operation
    category, the franchise sentence, the option on debits, reverse charge and exemption reasons,
    and for a business buyer the penalty rate, the €40 recovery indemnity and the early-payment
    terms. A credit note and a draft carry them as well (they are documents of the series)."""
    out: list[str] = []
    categories = {b.category for b in totals.tax_breakdown}
    reasons = {}
    try:
        import json

        reasons = json.loads(getattr(inv, "exemption_reasons", None) or "{}")
    except ValueError:
        reasons = {}
    if "AE" in categories:  # the invoice's own reason after the mention, unless the mention says it already
        mention, reason = L("m_reverse_charge"), reasons.get("AE", "")
        out.append(mention + (f" — {escape(reason)}" if reason and reason.casefold() not in mention.casefold() else ""))
    for cat in ("E", "K", "G", "O"):
        if cat in categories and reasons.get(cat):
            out.append(f"{L('m_exemption', c=cat)}: {escape(reasons[cat])}")
    if not settings.french_seller:
        return out
    operation = getattr(inv, "operation_category", "")
    if operation:
        out.append(L("m_operation", o=L(f"op_{operation}")))
    if settings.vat_franchise:
        out.append(L("m_franchise"))
    if settings.vat_on_debits:
        out.append(L("m_debits"))
    business = company is not None or bool(contact is not None and contact.is_business)
    if business:
        rate = settings.late_penalty_rate
        out.append(L("m_penalty", r=format_decimal(Decimal(rate), locale=L.locale)) if rate else L("m_penalty_legal"))
        out.append(L("m_indemnity"))
        out.append(escape(settings.early_payment_terms.strip()) if settings.early_payment_terms.strip()
                   else L("m_no_discount"))
    return out


__all__ = ["invoice_markdown", "escape", "escape_block", "buyer_link", "legal_mentions"]
