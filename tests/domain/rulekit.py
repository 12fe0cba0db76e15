"""Helpers for the domain rule tests (imported by name; conftest.py only holds fixtures):
drafts and open invoices built through the services, and a census of every table so a refused
call can be proven to have written nothing."""

from __future__ import annotations

from invoice_tui.db import models
from invoice_tui.domain import invoices


def census() -> dict[str, object]:
    """Row count of every table plus the chain heads: equal before/after ⇒ nothing was written."""
    from invoice_tui.db import database

    names = [m.__name__ for m in models.ALL_MODELS]
    sql = "SELECT " + ", ".join(f'(SELECT COUNT(*) FROM "{m._meta.table_name}")' for m in models.ALL_MODELS)
    counts = dict(zip(names, database.obj.execute_sql(sql).fetchone()))
    heads = models.ChainHead.select().order_by(models.ChainHead.name)
    counts["heads"] = tuple((h.name, h.hash, h.count) for h in heads)
    counts["versions"] = tuple(models.Invoice.select(models.Invoice.id, models.Invoice.version)
                               .order_by(models.Invoice.id).tuples())
    counts["counter"] = tuple(models.Counter.select().order_by(models.Counter.name).tuples())
    counts["settings"] = tuple(models.Setting.select().order_by(models.Setting.key).tuples())
    counts["perms"] = tuple(models.User.select(models.User.login, models.User.permissions)
                            .order_by(models.User.login).tuples())
    counts["payments"] = tuple(models.Payment.select(models.Payment.id, models.Payment.invoice, models.Payment.state)
                               .order_by(models.Payment.id).tuples())
    return counts


def line(name="Work", qty="1", price="100", tax="0", discount=None, percent=False) -> dict:
    d = {"name": name, "quantity": qty, "unit_price": price, "tax_rate": tax}
    if discount is not None:
        d["discount"] = discount
        d["discount_percent"] = percent
    return d


def make_draft(ctx, contact=None, *, currency="EUR", lines=None, **extra):
    data = {"currency": currency, "lines": lines if lines is not None else [line()]}
    if contact is not None:
        data["contact_id"] = contact.id
    data.update(extra)
    return invoices.create_invoice(ctx, data)


def make_open(ctx, contact, **kw):
    inv = make_draft(ctx, contact, **kw)
    return invoices.finalize_invoice(ctx, inv.id)


def reload(inv):
    return models.Invoice.get_by_id(inv.id)


def insert_old_invoice(db, **values) -> int:
    """An invoice row written into an older schema (a test's "release before"): only the columns
    that schema has, the model's defaults for the rest of them (later migrations add columns)."""
    row = models.Invoice(**values)
    old = {c.name for c in db.get_columns("invoice")}
    data = {f.column_name: f.db_value(row.__data__.get(f.name)) for f in models.Invoice._meta.sorted_fields
            if f.name != "id" and f.column_name in old and row.__data__.get(f.name) is not None}
    names = ", ".join(f'"{k}"' for k in data)
    marks = ", ".join(db.param for _ in data)
    return db.execute_sql(f"INSERT INTO invoice ({names}) VALUES ({marks}) RETURNING id",
                          tuple(data.values())).fetchone()[0]




def make_user(ws, admin, login: str, permissions: str):
    """A user with ``permissions`` and a Context acting as them with the admin's clock."""
    from invoice_tui.domain import people

    people.add_user(admin, login, permissions=permissions)
    return ws.context(login, source="test", now=admin.now)


def race(ws, calls):
    """Run each call in its own thread with its own connection, released at the same moment;
    returns each call's result or the domain error it raised."""
    import threading

    from invoice_tui.domain.errors import InvoiceTuiError

    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, fn):
        with ws.db.connection_context():
            barrier.wait()
            try:
                results[i] = fn()
            except InvoiceTuiError as exc:
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def without_legal_columns():
    """The models as a workspace from before migration 0017 (R43's legal data) has them: a test
    writing an older workspace's rows through the models hides the columns it lacks."""
    import contextlib

    @contextlib.contextmanager
    def hidden():
        removed = []
        for model, names in ((models.Invoice, ("delivery_date", "delivery_address", "operation_category",
                                               "buyer_reference", "exemption_reasons", "eur_rate")),
                             (models.Contact, ("postcode", "city", "country", "is_business")),
                             (models.Company, ("legal_name", "postcode", "city", "country", "siren", "siret", "vat_id",
                                               "electronic_address", "electronic_scheme"))):
            for name in names:
                removed.append((model, name, model._meta.fields[name]))
                model._meta.remove_field(name)
        try:
            yield
        finally:
            for model, name, field in removed:
                model._meta.add_field(name, field)

    return hidden()
