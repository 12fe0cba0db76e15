"""Sending (R10, R30–R33): composing emails, transports, the outbox, reminders and receipts.

No textual here. The mail package imports the domain, never the reverse: R10's receipt sender
(``receipts.queue_receipt_after_commit``) and the mail transport reach the services through
``Context.services``, wired by the CLI and ``make_app`` (``invoice_tui.wiring``). The heavy PDF
library is imported only when an attachment is made.
"""
