"""Demo data: a realistic, deterministic workspace of any size (``invoice-tui demo``).

``generate(ctx, invoices=N, seed=S)`` fills an *empty* workspace (no invoice, contact or payment)
with users, contacts (names with accents), companies, and N invoices in EUR, USD, GBP and JPY in
every state — drafts, open, partially paid, paid, overdue, voided — with line items (varied tax
rates, some line discounts), invoice-level discounts, fees and extra taxes on some, payments
(manual, some online), a few unapplied payments, reminders and history. The invoking user must
be super admin (the workspace's first user); it fills in the seller profile settings that are
still empty and adds five colleagues with various permissions.

One writer per table: this package sits above the services and writes through their functions —
numbers from the workspace counter (``invoices.take_numbers``, R3), amounts from the one R18
function (``compute_totals``), history through ``domain.history`` (its diff, canonical content
and hash chain, R15/R16) from the services' snapshots — and through the data layer's bulk
helpers (:mod:`invoice_tui.db.bulk`); it holds no SQL driver of its own.

Modules: :mod:`.reference` (names, places, items), :mod:`.templates` (invoice lines and totals),
:mod:`.keys` (the invoices' plan), :mod:`.story` (their history), :mod:`.generator` (the load).

How it stays fast and exact
- Everything is written in one transaction (nothing is left behind on failure) with bulk
  inserts. Ids are assigned here, so children are written without reading anything back.
- The invoices are generated in up to ``MAX_SEGMENTS`` consecutive *segments*, each with its own
  random generator and written to its own scratch SQLite file (invoices, template numbers,
  payments, reminders, history rows with their canonical content). From ``PARALLEL_FROM``
  invoices on, worker processes (one per core, forked) generate the segments while this process
  copies each finished one into the workspace in order: SQLite attaches the file and copies it
  with ``INSERT … SELECT`` (C code — Python's lock would otherwise serialise generating and
  writing), PostgreSQL reads it and ``COPY``s. Categories, dates and payment splits are drawn
  first by the main generator, so each segment's first number and payment id are known before
  it is generated; the result does not depend on how many processes run (a test compares).
- SQLite, only during the load (``db.bulk.fast_load``): no fsync, foreign-key checks off (the
  ids are consistent by construction; a test runs ``foreign_key_check``), a small page cache (the
  pages are written while the segments are generated, not all at the commit), and
  a rollback journal on disk instead of WAL when no other connection has the file open.
- Indexes on random keys (names, amounts, tokens, …) are dropped for the load and rebuilt
  after it in the same transaction; indexes whose keys arrive in order stay live
  (``_LIVE_INDEXES``).
- Amounts: a few hundred invoice templates (lines and adjustments) per currency are computed with
  :func:`compute_totals` once, and every invoice reuses one template's lines and totals — so the
  stored totals always equal a recomputation. The database copies the template lines to each
  invoice (``INSERT … SELECT``), as it derives the invoice↔contact/company links.
- Numbers ``<prefix><next>``… are taken from the workspace counter as one block and given
  consecutively to the finalized invoices in date order (R3). Link tokens are 24 bytes from
  ``secrets.token_bytes`` in URL-safe base64 — exactly what ``secrets.token_urlsafe(24)`` in
  ``finalize_invoice`` makes — drawn a chunk at a time.
- History (R15/R16): every object's, from its creation, as the services write it, one
  property-change row per write — each company and contact created; each invoice created or
  cloned (one row holding its whole snapshot), finalized (one row: number, status, link), its
  email sent, each payment recorded or succeeded (the payment's creation row and one row of the
  invoice's new paid, balance, status), voided; each unapplied payment added — with the
  services' activity texts.
  The most recent ``FULL_HISTORY`` invoices also carry hand-written notes and tasks, and their
  sent reminders (rows and "reminder sent"); older invoices have no sent reminder (their data
  says so too). Each segment chains its rows where it generates them, from the heads the segment
  before hands on (``story.Links``); this process copies them with their links and moves the
  chain heads on, so ``verify_chain`` holds.

Determinism: for a given seed, clock (``ctx.now()``/``ctx.today()``; ``invoice-tui demo --today``)
and N every row is the same, except ``invoice.link_token`` (random, as in production). All
timestamps derive from the clock. History rows are ordered per object (created → … → paid);
across invoices the id order follows generation, not wall-clock time. Paid and voided invoices
carry no reminder rows (the services would have left ``dropped`` ones).
"""

from __future__ import annotations

from invoice_tui.demo.generator import MAX_INVOICES, generate
from invoice_tui.demo.keys import CATEGORIES

__all__ = ["generate", "CATEGORIES", "MAX_INVOICES"]
