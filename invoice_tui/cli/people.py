"""``invoice-tui contacts add|edit|list|delete``, ``companies add|edit|list|delete``, ``users add|grant|list`` (R17)."""

from __future__ import annotations

import argparse

from invoice_tui.cli._common import add_list_json, command, company_id, group, print_records, session, table, wants_records
from invoice_tui.i18n import _


def _contact_record(c) -> dict:
    return {"id": c.id, "email": c.email, "first_name": c.first_name, "last_name": c.last_name,
            "name": c.display_name, "phone": c.phone, "company_id": c.company_id,
            "company_name": c.company.name if c.company_id else None}


COMPANY_LEGAL_FLAGS = ("legal_name", "postcode", "city", "country", "siren", "siret", "vat_id", "electronic_address",
                       "electronic_scheme")
CONTACT_LEGAL_FLAGS = ("address", "postcode", "city", "country")


def _company_record(c) -> dict:
    record = {"id": c.id, "name": c.name, "domain": c.domain, "address": c.address, "tax_id": c.tax_id}
    # R43's legal data, where given (a company without any lists as before)
    record.update({k: getattr(c, k) for k in COMPANY_LEGAL_FLAGS if getattr(c, k, "")})
    return record


def _given(args, attrs) -> dict:
    return {a: getattr(args, a) for a in attrs if getattr(args, a, None) is not None}


def _user_record(u) -> dict:
    return {"id": u.id, "login": u.login, "name": u.name, "email": u.email,
            "permissions": [p for p in u.permissions.split(",") if p]}


# ---- contacts --------------------------------------------------------------------------------
def _contacts_add(args, out) -> int:
    from invoice_tui.domain import people

    data = {"email": args.email}
    for attr in ("first_name", "last_name", "phone"):
        if getattr(args, attr) is not None:
            data[attr] = getattr(args, attr)
    data.update(_given(args, CONTACT_LEGAL_FLAGS))
    if args.business:
        data["is_business"] = True
    with session(args) as (_ws, ctx):
        if args.company:
            data["company_id"] = company_id(args.company)
        c = people.add_contact(ctx, data)
        name = c.email if c.display_name == c.email else f"{c.display_name} <{c.email}>"
        out.result(_contact_record(c), lambda: _("Added contact #{id} {name} at {company}.").format(
            id=c.id, name=name, company=c.company.name) if c.company_id else
            _("Added contact #{id} {name}.").format(id=c.id, name=name))
    return 0


def _contacts_list(args, out) -> int:
    from invoice_tui.domain import people
    from invoice_tui.domain.permissions import require

    with session(args) as (_ws, ctx):
        require(ctx, "view")
        if wants_records(args, out):
            from peewee import JOIN

            from invoice_tui.db.models import Company, Contact, person_name
            from invoice_tui.exports.listing import read_snapshot, records

            def record(row) -> dict:
                cid, email, first, last, phone, company_id, company_name = row
                return {"id": cid, "email": email, "first_name": first, "last_name": last,
                        "name": person_name(first, last, email), "phone": phone, "company_id": company_id,
                        "company_name": company_name}

            query = people.contacts_query(args.search or "", args.limit).join(Company, JOIN.LEFT_OUTER)
            with read_snapshot():
                print_records(args, out, records(query, (Contact.id, Contact.email, Contact.first_name,
                                                         Contact.last_name, Contact.phone, Contact.company,
                                                         Company.name), record))
            return 0
        rows = people.list_contacts(args.search or "", args.limit)
        recs = [_contact_record(c) for c in rows]
        out.result(recs, lambda: table((_("Id"), _("Name"), _("Email"), _("Company")),
                                       [(r["id"], r["name"], r["email"], r["company_name"] or "") for r in recs],
                                       right=(0,)) if recs else
                   _("No contacts yet; add one with: invoice-tui contacts add --email someone@example.com"))
    return 0


def _delete(args, out, kind: str, find, delete, record, label: str) -> int:
    """``contacts delete`` / ``companies delete``: find the record, delete it through the service."""
    with session(args) as (_ws, ctx):
        found = find(getattr(args, kind))
        rec = record(found)
        delete(ctx, found.id)
        text = (_("Deleted contact #{id} {name}.") if kind == "contact" else _("Deleted company #{id} {name}."))
        out.result(rec, lambda: text.format(id=rec["id"], name=rec[label]))
    return 0


def _contacts_delete(args, out) -> int:
    from invoice_tui.domain import people

    return _delete(args, out, "contact", people.find_contact, people.delete_contact, _contact_record, "email")


# ---- companies -------------------------------------------------------------------------------
def _companies_add(args, out) -> int:
    from invoice_tui.domain import people

    data = {"name": args.name}
    for attr in ("domain", "address", "tax_id"):
        if getattr(args, attr) is not None:
            data[attr] = getattr(args, attr)
    data.update(_given(args, COMPANY_LEGAL_FLAGS))
    with session(args) as (_ws, ctx):
        c = people.add_company(ctx, data)
        note = ""
        from invoice_tui.db.models import Company

        same = Company.select().where((Company.name ** c.name) & (Company.id != c.id)).count()
        if same:
            note = " " + _("Another company has this name; refer to this one by its id ({id}) in --company.").format(
                id=c.id)
        out.result(_company_record(c), lambda: _("Added company #{id} {name}.").format(id=c.id, name=c.name) + note)
    return 0


def _companies_list(args, out) -> int:
    from invoice_tui.domain import people
    from invoice_tui.domain.permissions import require

    with session(args) as (_ws, ctx):
        require(ctx, "view")
        if wants_records(args, out):
            from invoice_tui.db.models import Company
            from invoice_tui.exports.listing import read_snapshot, records

            keys = ("id", "name", "domain", "address", "tax_id")
            with read_snapshot():
                print_records(args, out, records(people.companies_query(args.search or "", args.limit),
                                                 [getattr(Company, k) for k in keys],
                                                 lambda row: dict(zip(keys, row))))
            return 0
        recs = [_company_record(c) for c in people.list_companies(args.search or "", args.limit)]
        out.result(recs, lambda: table((_("Id"), _("Name"), _("Domain")), [(r["id"], r["name"], r["domain"]) for r in recs],
                                       right=(0,)) if recs else
                   _("No companies yet; add one with: invoice-tui companies add --name \"Example Ltd\""))
    return 0


def _companies_delete(args, out) -> int:
    from invoice_tui.domain import people

    return _delete(args, out, "company", people.find_company, people.delete_company, _company_record, "name")


# ---- users -----------------------------------------------------------------------------------
def _users_add(args, out) -> int:
    from invoice_tui.domain import people

    with session(args) as (_ws, ctx):
        u = people.add_user(ctx, args.login, name=args.name or "", email=args.email or "",
                            permissions=args.permissions)
        out.result(_user_record(u), lambda: _("Added user {login} with permissions {permissions}.").format(
            login=u.login, permissions=u.permissions))
    return 0


def _users_grant(args, out) -> int:
    from invoice_tui.domain import people

    with session(args) as (_ws, ctx):
        u = people.grant(ctx, args.login, args.permissions)
        out.result(_user_record(u), lambda: _("{login} now has permissions {permissions}.").format(
            login=u.login, permissions=u.permissions))
    return 0


def _users_list(args, out) -> int:
    from invoice_tui.domain import people
    from invoice_tui.domain.permissions import require

    with session(args) as (_ws, ctx):
        require(ctx, "view")
        recs = [_user_record(u) for u in people.list_users()]
        if wants_records(args, out):
            print_records(args, out, recs)
            return 0
        out.result(recs, lambda: table((_("Login"), _("Name"), _("Email"), _("Permissions")),
                                       [(r["login"], r["name"], r["email"], ",".join(r["permissions"]))
                                        for r in recs]))
    return 0


def _companies_edit(args, out) -> int:
    from invoice_tui.domain import people

    data = _given(args, ("name", "domain", "address", "tax_id") + COMPANY_LEGAL_FLAGS)
    with session(args) as (_ws, ctx):
        c = people.edit_company(ctx, people.find_company(args.company).id, data)
        out.result(_company_record(c), lambda: _("Company #{id} {name} saved.").format(id=c.id, name=c.name))
    return 0


def _contacts_edit(args, out) -> int:
    from invoice_tui.domain import people

    data = _given(args, ("first_name", "last_name", "phone") + CONTACT_LEGAL_FLAGS)
    if args.business is not None:
        data["is_business"] = args.business
    with session(args) as (_ws, ctx):
        c = people.edit_contact(ctx, people.find_contact(args.contact).id, data)
        out.result({**_contact_record(c), "is_business": c.is_business}, lambda: _("Contact #{id} {email} saved.").format(
            id=c.id, email=c.email))
    return 0


def _company_flags(p, *, edit: bool) -> None:
    p.add_argument("--legal-name", metavar="N", help=_("registered name, if not the name (R43)"))
    p.add_argument("--postcode", metavar="P")
    p.add_argument("--city", metavar="C")
    p.add_argument("--country", metavar="CC", help=_("ISO 3166 two letters, e.g. FR"))
    p.add_argument("--siren", metavar="S", help=_("French SIREN (9 digits, Luhn key checked)"))
    p.add_argument("--siret", metavar="S", help=_("French SIRET (14 digits, Luhn key checked)"))
    p.add_argument("--vat-id", metavar="V", help=_("VAT id with its country prefix (checked)"))
    p.add_argument("--electronic-address", metavar="A", help=_("BT-49; a French company's SIREN by default"))
    p.add_argument("--electronic-scheme", metavar="EAS", help=_("e.g. 0225 (SIREN), 0009 (SIRET), EM (email)"))


def _contact_flags(p) -> None:
    p.add_argument("--address", metavar="A", help=_("street lines"))
    p.add_argument("--postcode", metavar="P")
    p.add_argument("--city", metavar="C")
    p.add_argument("--country", metavar="CC", help=_("ISO 3166 two letters, e.g. FR"))


def register(subparsers) -> None:
    sub = group(subparsers, "contacts", _("add, list and delete contacts"))
    p = command(sub, "add", _("add a contact"), _contacts_add)
    p.add_argument("--email", required=True, metavar="E")
    p.add_argument("--first-name", metavar="F")
    p.add_argument("--last-name", metavar="L")
    p.add_argument("--phone", metavar="P")
    p.add_argument("--company", metavar=_("NAME"), help=_("company name or id"))
    _contact_flags(p)
    p.add_argument("--business", action="store_true", help=_("a business buyer, though without a company (R43)"))
    p = command(sub, "edit", _("change a contact's details"), _contacts_edit)
    p.add_argument("contact", metavar=_("CONTACT"), help=_("email or id"))
    p.add_argument("--first-name", metavar="F")
    p.add_argument("--last-name", metavar="L")
    p.add_argument("--phone", metavar="P")
    _contact_flags(p)
    p.add_argument("--business", action=argparse.BooleanOptionalAction, default=None,
                   help=_("a business buyer, though without a company (R43)"))
    p = command(sub, "list", _("list contacts"), _contacts_list)
    p.add_argument("--search", metavar=_("TEXT"), help=_("email or name contains TEXT"))
    p.add_argument("--limit", type=int, metavar="N")
    add_list_json(p)
    from invoice_tui.cli.online import register_contacts

    register_contacts(sub)
    p = command(sub, "delete", _("delete a contact who is no invoice's billing contact"), _contacts_delete)
    p.add_argument("contact", metavar=_("CONTACT"), help=_("email or id"))

    sub = group(subparsers, "companies", _("add, list and delete companies"))
    p = command(sub, "add", _("add a company"), _companies_add)
    p.add_argument("--name", required=True, metavar="N")
    p.add_argument("--domain", metavar="D", help=_("web domain, e.g. example.com"))
    p.add_argument("--address", metavar="A")
    p.add_argument("--tax-id", metavar="T")
    _company_flags(p, edit=False)
    p = command(sub, "edit", _("change a company's details and legal data"), _companies_edit)
    p.add_argument("company", metavar=_("COMPANY"), help=_("name or id"))
    p.add_argument("--name", metavar="N")
    p.add_argument("--domain", metavar="D")
    p.add_argument("--address", metavar="A", help=_("street lines"))
    p.add_argument("--tax-id", metavar="T")
    _company_flags(p, edit=True)
    p = command(sub, "list", _("list companies"), _companies_list)
    p.add_argument("--search", metavar=_("TEXT"), help=_("name or domain contains TEXT"))
    p.add_argument("--limit", type=int, metavar="N")
    add_list_json(p)
    p = command(sub, "delete", _("delete a company no invoice refers to (its contacts stay)"), _companies_delete)
    p.add_argument("company", metavar=_("COMPANY"), help=_("name or id"))

    sub = group(subparsers, "users", _("add users, grant permissions (R17; super admin only)"))
    p = command(sub, "add", _("add a user of this workspace"), _users_add)
    p.add_argument("login", metavar=_("LOGIN"))
    p.add_argument("--name", metavar="N")
    p.add_argument("--email", metavar="E")
    p.add_argument("--permissions", default="view", metavar=_("PERMS"),
                   help=_("comma-separated: view,create,edit,delete,super_admin (default view)"))
    p = command(sub, "grant", _("set a user's permissions to exactly PERMS (view is always kept)"), _users_grant)
    p.add_argument("login", metavar=_("LOGIN"))
    p.add_argument("permissions", metavar=_("PERMS"), help=_("comma-separated: view,create,edit,delete,super_admin"))
    add_list_json(command(sub, "list", _("list the users of this workspace"), _users_list))
