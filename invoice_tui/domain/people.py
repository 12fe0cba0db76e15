"""Users (R17), contacts and companies."""

from __future__ import annotations

import json
from typing import Mapping

import peewee as pw

from pydantic import BaseModel, field_validator, model_validator

from invoice_tui.db import database, team, text_contains
from invoice_tui.db.models import Company, Contact, Invoice, InvoiceCompany, User
from invoice_tui.domain import history
from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, NotFound, RuleRefused
from invoice_tui.domain.permissions import parse_permissions, require
from invoice_tui.domain.text import check_email, clean
from invoice_tui.domain.tx import mutation, validate
from invoice_tui.i18n import _


# ---- users -------------------------------------------------------------------------------
def find_user(login: str) -> User | None:
    return User.get_or_none(User.login == login)


def get_user(login: str) -> User:
    user = find_user(login)
    if user is None:
        raise NotFound(_("No user '{login}'.").format(login=login), code="user.not_found", details={"login": login})
    return user


def _user_snapshot(u: User) -> dict:
    return {"login": u.login, "name": u.name, "email": u.email, "permissions": u.permissions}


def _check_login(login: str) -> str:
    import re

    if not re.fullmatch(r"[A-Za-z0-9._@+-]{1,128}", login or ""):
        raise BadInput(_("'{login}' is not a valid login; use letters, digits and . _ @ + -.").format(login=login), field="login")
    return login


@mutation
def ensure_first_user(ctx: Context) -> User | None:
    """R17: the first user of a new workspace is its super admin."""
    if User.select().exists():
        return find_user(ctx.login)
    _check_login(ctx.login)
    user = User.create(login=ctx.login, name=ctx.login, permissions="view,create,edit,delete,super_admin",
                       created_at=ctx.now())
    ctx.user = user
    history.record_creation(ctx, "user", user.id, None, _user_snapshot(user))
    return user


@mutation
def add_user(ctx: Context, login: str, name: str = "", email: str = "", permissions: str = "view",
             *, app_only: bool = False) -> User:
    """R17 (and R53 in team mode: the role and its privileges in the same step). ``app_only``: a
    user of the app alone, with no database role (the demo's colleagues)."""
    require(ctx, "users")
    _check_login(login)
    if find_user(login):
        raise RuleRefused(_("User '{login}' already exists.").format(login=login), code="user.exists", field="login",
                          details={"login": login})
    try:
        name = clean(name, what="Name", max_length=200)
    except ValueError as exc:
        raise BadInput(str(exc) + ".", field="name") from None
    email = check_email(email) if email else ""
    permissions = parse_permissions(permissions)
    team_role = not app_only and _team_role(ctx, login, f"users add {login} --permissions {permissions}")
    user = User.create(login=login, name=name or login, email=email,
                       permissions=permissions, created_at=ctx.now())
    history.record_creation(ctx, "user", user.id, None, _user_snapshot(user))
    if team_role:
        team.apply_rights(database.obj, login, permissions)
    return user


def _team_role(ctx: Context, login: str, command: str) -> bool:
    """R53: in team mode a user's rights are its role's database privileges, set in the same
    transaction: an existing role is adopted, a missing one created when the acting user is the
    connected role itself. Only a superuser acting for someone else through --user (tests,
    maintenance) may add a user whose role does not exist: the app's rights only, until the role
    exists and ``team check --fix`` aligns it. Raises RuleRefused, with the command or SQL that
    would do it, when the privileges cannot be set."""
    db = database.obj
    if not team.is_team(db):
        return False
    if team.current_role(db) != ctx.login and team.is_superuser(db, team.current_role(db)) \
            and not team.role_exists(db, login):
        return False
    try:
        team.prepare_role(db, login, command)
    except team.CannotManage as exc:
        raise RuleRefused(str(exc)) from None
    return True


@mutation
def grant(ctx: Context, login: str, permissions: str) -> User:
    """Set a user's permissions to exactly ``permissions`` (view is always kept)."""
    require(ctx, "users")
    user = get_user(login)
    before = _user_snapshot(user)
    new = parse_permissions(permissions)
    if "super_admin" in before["permissions"] and "super_admin" not in new:
        others = User.select().where((User.id != user.id) & User.permissions.contains("super_admin")).count()
        if others == 0:
            raise RuleRefused(_("This is the last super admin; grant super_admin to someone else first."))
    team_role = _team_role(ctx, login, f"users grant {login} {new}")
    user.permissions = new
    user.save()
    history.record_changes(ctx, "user", user.id, None, before, _user_snapshot(user))
    if team_role:
        team.apply_rights(database.obj, login, new)
    return user


@mutation
def set_preference(ctx: Context, key: str, value) -> None:
    """Per-user preferences (e.g. the last export folder); unknown users keep none."""
    if ctx.user is None:
        return
    user = User.get_by_id(ctx.user.id)
    prefs = json.loads(user.preferences or "{}")
    prefs[key] = value
    # Only this column: in team mode a role may write its own preferences and nothing else (R53).
    User.update(preferences=json.dumps(prefs)).where(User.id == user.id).execute()


def preference(ctx: Context, key: str, default=None):
    if ctx.user is None:
        return default
    user = User.get_or_none(User.id == ctx.user.id)
    return json.loads(user.preferences or "{}").get(key, default) if user else default


def list_users() -> list[User]:
    return list(User.select().order_by(User.login))


# ---- companies -----------------------------------------------------------------------------
class CompanyInput(BaseModel, defer_build=True, extra="forbid"):  # built on first use; unknown keys refused
    name: str
    domain: str = ""
    address: str = ""
    tax_id: str = ""
    # legal data (R43): checked as the seller's are (python-stdnum, babel's countries)
    legal_name: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    siren: str = ""
    siret: str = ""
    vat_id: str = ""
    electronic_address: str = ""
    electronic_scheme: str = ""

    @field_validator("legal_name", "city")
    @classmethod
    def _legal_text(cls, v: str) -> str:
        return clean(v, what="This field", max_length=200 if len(v) > 100 else 100)

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, v: str) -> str:
        return clean(v, what="Postcode", max_length=20).strip()

    @model_validator(mode="after")
    def _legal(self) -> "CompanyInput":
        self.country, self.siren, self.siret, self.vat_id, self.electronic_scheme, self.electronic_address = \
            check_buyer_identifiers(self.country, self.siren, self.siret, self.vat_id, self.electronic_scheme,
                                    self.electronic_address)
        return self

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = clean(v, what="Company name", max_length=200)
        if not v:
            raise ValueError("a company needs a name")
        return v

    @field_validator("domain", "tax_id")
    @classmethod
    def _short(cls, v: str) -> str:
        return clean(v, what="This field", max_length=253)

    @field_validator("address")
    @classmethod
    def _addr(cls, v: str) -> str:
        return clean(v, what="Address", multiline=True, max_length=1000)


COMPANY_LEGAL = ("legal_name", "postcode", "city", "country", "siren", "siret", "vat_id", "electronic_address",
                 "electronic_scheme")
CONTACT_LEGAL = ("postcode", "city", "country", "is_business")


def check_buyer_identifiers(country: str, siren: str, siret: str, vat_id: str, scheme: str,
                            address: str) -> tuple[str, str, str, str, str, str]:
    """R43: a buyer's identifiers, checked as the seller's; a SIRET gives its SIREN, and a French
    business buyer's electronic address defaults to its SIREN under scheme 0225 (BT-49).
    BadInput is said as ValueError (pydantic names the field)."""
    from invoice_tui.domain import legal

    try:
        country = legal.check_country(country, "country")
        siret = legal.check_siret(siret, "siret")
        siren = legal.check_siren(siren, "siren") or (siret[:9] if siret else "")
        if siret and siren and siret[:9] != siren:
            raise BadInput(_("siret: SIRET {siret} does not belong to SIREN {siren} (its first 9 digits).").format(siret=siret, siren=siren),
                           field="siret")
        vat_id = legal.check_vat_id(vat_id, "vat_id")
        scheme = legal.check_scheme(scheme, "electronic_scheme")
        if address and not scheme:
            raise BadInput(_("electronic_address: give its scheme too (electronic_scheme, e.g. "
                             "0225 for a SIREN)."),
                           field="electronic_address")
        address = legal.check_electronic_address(address, scheme, "electronic_address")
        if not address and siren and country in ("", "FR"):
            scheme, address = "0225", siren
    except BadInput as exc:
        raise ValueError(exc.message.rstrip(".")) from None
    return country, siren, siret, vat_id, scheme, address


def _legal_part(obj, keys, keep) -> dict:
    """The legal fields that hold a value (or held one before this write: its clearing is recorded):
    a company or contact from before R43 replays as it was recorded."""
    return {k: getattr(obj, k, None) for k in keys if getattr(obj, k, None) or k in keep}


def _company_snapshot(c: Company, keep=()) -> dict:
    return {"name": c.name, "domain": c.domain, "address": c.address, "tax_id": c.tax_id,
            **_legal_part(c, COMPANY_LEGAL, keep)}


@mutation
def add_company(ctx: Context, data: CompanyInput | dict) -> Company:
    require(ctx, "add_company")
    data = validate(CompanyInput, data)
    company = Company.create(**data.model_dump(), created_at=ctx.now())
    history.record_creation(ctx, "company", company.id, None, _company_snapshot(company))
    return company


@mutation
def edit_company(ctx: Context, company_id: int, data: dict) -> Company:
    require(ctx, "edit_contact")
    company = Company.get_or_none(Company.id == company_id)
    if company is None:
        raise NotFound(_("No company with id {company_id}.").format(company_id=company_id))
    before = _company_snapshot(company)
    current = {k: getattr(company, k) for k in CompanyInput.model_fields}
    merged = validate(CompanyInput, {**current, **data})
    for k, v in merged.model_dump().items():
        setattr(company, k, v)
    company.save()
    if before["name"] != company.name:
        Invoice.update(company_name=company.name).where(Invoice.company == company).execute()
    history.record_changes(ctx, "company", company.id, None, before, _company_snapshot(company, keep=before))
    return company


@mutation
def delete_company(ctx: Context, company_id: int) -> None:
    """Delete a company no invoice refers to (as its company or as an associated one: an invoice
    keeps who it was for). Its contacts stay, without a company; each change is in the history."""
    require(ctx, "delete_company")
    company = Company.get_or_none(Company.id == company_id)
    if company is None:
        raise NotFound(_("No company with id {company_id}.").format(company_id=company_id))
    linked = InvoiceCompany.select(InvoiceCompany.invoice).where(InvoiceCompany.company == company)
    used = list(Invoice.select(Invoice.id, Invoice.number)
                .where((Invoice.company == company) | Invoice.id.in_(linked)).order_by(Invoice.id).limit(3))
    if used:
        refs = ", ".join(i.number or f"draft #{i.id}" for i in used)
        # one to three invoices (never none): two sentences rather than ngettext, whose compiled plural
        # entries the catalog check cannot read yet
        raise RuleRefused((_("{name} is on invoice {refs}; remove it from that invoice first (companies card, x).")
                           if len(used) == 1 else
                           _("{name} is on invoices {refs}; remove it from those invoices first (companies card, x)."))
                          .format(name=company.name, refs=refs))
    for contact in Contact.select(Contact, Company).join(Company).where(Contact.company == company):
        before = _contact_snapshot(contact)
        contact.company = None
        contact.save()
        history.record_changes(ctx, "contact", contact.id, None, before, _contact_snapshot(contact))
    before = _company_snapshot(company)
    company.delete_instance(recursive=False)
    history.record_changes(ctx, "company", company_id, None, before, {k: None for k in before})


def find_company(name_or_id: str | int) -> Company:
    """By id or exact name (case-insensitive); an ambiguous name is refused with the fix."""
    text = str(name_or_id).strip()
    if text.isdigit():
        c = Company.get_or_none(Company.id == int(text))
        if c:
            return c
    matches = list(Company.select().where(Company.name ** text).limit(5))
    matches = [c for c in matches if c.name.lower() == text.lower()]
    if not matches:
        raise NotFound(_("No company named '{text}'.").format(text=text), code="company.not_found", details={"name": text})
    if len(matches) > 1:
        ids = ", ".join(str(c.id) for c in matches)
        raise NotFound(_("Several companies are named '{text}' (ids {ids}); give the id instead of the name.").format(text=text, ids=ids))
    return matches[0]


def list_companies(search: str = "", limit: int | None = None) -> list[Company]:
    return list(companies_query(search, limit))


def companies_query(search: str = "", limit: int | None = None) -> pw.ModelSelect:
    q = Company.select().order_by(Company.name, Company.id)
    if search:
        q = q.where(text_contains(Company.name, search) | text_contains(Company.domain, search))
    if limit:
        q = q.limit(limit)
    return q


# ---- contacts ------------------------------------------------------------------------------
class ContactInput(BaseModel, defer_build=True, extra="forbid"):  # built on first use; unknown keys refused
    email: str
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    address: str = ""
    company_id: int | None = None
    postcode: str = ""  # R43: the structured address, and whether this buyer is a business
    city: str = ""
    country: str = ""
    is_business: bool = False

    @field_validator("postcode", "city")
    @classmethod
    def _town(cls, v: str) -> str:
        return clean(v, what="This field", max_length=100).strip()

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        from invoice_tui.domain import legal

        try:
            return legal.check_country(v, "country")
        except BadInput as exc:
            raise ValueError(exc.message.rstrip(".")) from None

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        try:
            return check_email(v)
        except BadInput as exc:
            raise ValueError(exc.message.rstrip(".")) from None

    @field_validator("first_name", "last_name", "phone")
    @classmethod
    def _short(cls, v: str) -> str:
        return clean(v, what="This field", max_length=200)

    @field_validator("address")
    @classmethod
    def _addr(cls, v: str) -> str:
        return clean(v, what="Address", multiline=True, max_length=1000)


def _contact_snapshot(c: Contact, company_names: Mapping[int, str] | None = None, keep=()) -> dict:
    """``company_names`` (id → name): read once for many contacts (the audit's replay)."""
    if company_names is not None:
        company = company_names.get(c.company_id) if c.company_id else None
    else:
        company = c.company.name if c.company_id else None
    return {"email": c.email, "first_name": c.first_name, "last_name": c.last_name, "phone": c.phone,
            "address": c.address, "company": company, **_legal_part(c, CONTACT_LEGAL, keep)}


@mutation
def add_contact(ctx: Context, data: ContactInput | dict) -> Contact:
    require(ctx, "add_contact")
    data = validate(ContactInput, data)
    if Contact.select().where(Contact.email == data.email).exists():
        raise RuleRefused(_("A contact with the email {email} already exists.").format(email=data.email))
    if data.company_id is not None and Company.get_or_none(Company.id == data.company_id) is None:
        raise NotFound(_("No company with id {company_id}.").format(company_id=data.company_id))
    contact = Contact.create(email=data.email, first_name=data.first_name, last_name=data.last_name,
                             phone=data.phone, address=data.address, company=data.company_id,
                             postcode=data.postcode, city=data.city, country=data.country,
                             is_business=data.is_business, created_at=ctx.now())
    history.record_creation(ctx, "contact", contact.id, None, _contact_snapshot(contact))
    return contact


@mutation
def edit_contact(ctx: Context, contact_id: int, data: dict) -> Contact:
    require(ctx, "edit_contact")
    contact = get_contact(contact_id)
    before = _contact_snapshot(contact)
    current = {"email": contact.email, "first_name": contact.first_name, "last_name": contact.last_name,
               "phone": contact.phone, "address": contact.address, "company_id": contact.company_id,
               **{k: getattr(contact, k) for k in CONTACT_LEGAL}}
    merged = validate(ContactInput, {**current, **data})
    if merged.email != contact.email and Contact.select().where(
            (Contact.email == merged.email) & (Contact.id != contact.id)).exists():
        raise RuleRefused(_("A contact with the email {email} already exists.").format(email=merged.email))
    for k, v in merged.model_dump().items():
        setattr(contact, "company" if k == "company_id" else k, v)
    contact.save()
    Invoice.update(contact_name=contact.display_name, contact_email=contact.email).where(
        Invoice.billing_contact == contact).execute()
    history.record_changes(ctx, "contact", contact.id, None, before, _contact_snapshot(contact, keep=before))
    return contact


@mutation
def delete_contact(ctx: Context, contact_id: int) -> None:
    require(ctx, "delete_contact")
    contact = get_contact(contact_id)
    billed = list(Invoice.select(Invoice.id, Invoice.number).where(Invoice.billing_contact == contact).limit(3))
    if billed:
        refs = ", ".join(i.number or f"draft #{i.id}" for i in billed)
        raise RuleRefused(_("{display_name} is the billing contact of {refs}; change the "
                            "billing contact of those invoices first.").format(display_name=contact.display_name, refs=refs))
    from invoice_tui.db.online_models import SavedPaymentMethod

    saved = list(SavedPaymentMethod.select(SavedPaymentMethod.method_ref)
                 .where(SavedPaymentMethod.contact == contact.id).limit(3))
    if saved:  # issue 26: no row left pointing at a contact that is gone (the table has no foreign key)
        refs = ", ".join(m.method_ref for m in saved)
        raise RuleRefused(_("{display_name} has saved payment methods ({refs}); a super admin "
                            "removes them first (invoice-tui contacts payment-methods remove "
                            "{email} PM).").format(display_name=contact.display_name, refs=refs, email=contact.email),
                          code="contact.has_payment_methods", details={"payment_methods": [m.method_ref for m in saved]})
    before = _contact_snapshot(contact)
    contact.delete_instance(recursive=False)
    history.record_changes(ctx, "contact", contact_id, None, before, {k: None for k in before})


def get_contact(contact_id: int) -> Contact:
    c = Contact.get_or_none(Contact.id == contact_id)
    if c is None:
        raise NotFound(_("No contact with id {contact_id}.").format(contact_id=contact_id))
    return c


def find_contact(email_or_id: str | int) -> Contact:
    text = str(email_or_id).strip()
    if text.isdigit():
        return get_contact(int(text))
    c = Contact.get_or_none(Contact.email == text.lower())
    if c is None:
        raise NotFound(_("No contact with the email {text}.").format(text=text), code="contact.not_found", details={"email": text})
    return c


def list_contacts(search: str = "", limit: int | None = None) -> list[Contact]:
    return list(contacts_query(search, limit))


def contacts_query(search: str = "", limit: int | None = None) -> pw.ModelSelect:
    q = Contact.select().order_by(Contact.last_name, Contact.first_name, Contact.id)
    # issue 24: a full name in either order ("Marie Dupont", "Dupont Marie") finds the contact:
    # every word must be in the email, the first or the last name
    for word in search.split():
        q = q.where(text_contains(Contact.email, word) | text_contains(Contact.first_name, word)
                    | text_contains(Contact.last_name, word))
    if limit:
        q = q.limit(limit)
    return q


def check_buyer_field(name: str, text: str, scheme: str = "") -> str | None:
    """The reason ``text`` would be refused for a company's or contact's legal field ``name`` as it
    is typed (None: it would be taken), by the checks the services apply (R43): SIREN and SIRET
    (Luhn), VAT id, country (ISO 3166), electronic address scheme, and the address against its
    ``scheme`` (0225 a SIREN, 0009 a SIRET, EM an email). No database read: a form checks each
    field on every keystroke."""
    from invoice_tui.domain import legal

    checks = {"siren": legal.check_siren, "siret": legal.check_siret, "vat_id": legal.check_vat_id,
              "country": legal.check_country, "electronic_scheme": legal.check_scheme}
    try:
        if name == "electronic_address":
            legal.check_electronic_address(text, scheme.strip().upper(), name)
        elif name in checks:
            checks[name](text, name)
        else:
            return None
    except BadInput as exc:
        return exc.message
    return None
