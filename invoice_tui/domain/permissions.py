"""R17: the permission each action needs, enforced by the services for every entry point."""

from __future__ import annotations

from invoice_tui.domain.context import Context
from invoice_tui.domain.errors import BadInput, PermissionDenied
from invoice_tui.i18n import _, pgettext

PERMISSIONS = ("view", "create", "edit", "delete", "super_admin")

# action → permission (super_admin implies every permission).
ACTION_PERMISSION: dict[str, str] = {
    "view": "view",
    "create_draft": "create",
    "clone": "create",
    "add_contact": "create",
    "add_company": "create",
    "edit_contact": "edit",
    "delete_contact": "edit",
    "delete_company": "edit",
    "edit": "edit",
    "finalize": "edit",
    "record_payment": "edit",
    "apply_payment": "edit",
    "delete_payment": "edit",
    "add_payment": "edit",
    "update_payment_state": "edit",
    "send": "edit",
    "reminders": "edit",
    "schedules": "edit",  # R49: create, pause, resume, delete recurring schedules; run what is due
    "activity": "edit",
    "void": "edit",
    "credit_note": "edit",  # R42: create and issue credit notes, cancel and replace
    "apply_credit": "edit",  # R40
    "refund": "edit",  # R40
    "delete_draft": "edit",
    "delete_finalized": "delete",
    "settings": "super_admin",
    "users": "super_admin",
    "reset_counter": "super_admin",
    "audit_screen": "super_admin",  # the TUI's audit (the CLI's audit verify needs only view)
}

PERMISSION_NAMES = {
    "view": "view", "create": "create", "edit": "edit", "delete": "delete", "super_admin": "super admin",
}


def permission_name(permission: str) -> str:
    """A permission's name in the reader's language (as a sentence names it)."""
    names = {"view": pgettext("permission", "view"), "create": pgettext("permission", "create"),
             "edit": pgettext("permission", "edit"), "delete": pgettext("permission", "delete"),
             "super_admin": pgettext("permission", "super admin")}
    return names.get(permission, permission)


def has(ctx: Context, permission: str) -> bool:
    perms = ctx.permissions
    return "super_admin" in perms or permission in perms


def require(ctx: Context, action: str) -> None:
    """Raise :class:`PermissionDenied` unless ``ctx`` may perform ``action``."""
    permission = ACTION_PERMISSION[action]
    if has(ctx, permission):
        return
    if ctx.user is None:
        raise PermissionDenied(_("'{login}' "
                                 "is not a user of this workspace and may only view.").format(login=ctx.login),
                               code="permission.not_a_user", details={"login": ctx.login, "permission": permission})
    from invoice_tui.db import is_postgres

    # In team mode rights are database privileges, which only the workspace's owner grants (R53).
    grantor = "the workspace's owner" if is_postgres() else "a super admin"
    raise PermissionDenied(_("{login} lacks the '{name}' permission needed for this.").format(login=ctx.login,
                                 name=permission_name(permission)),
                           details={"login": ctx.login, "permission": permission, "grantor": grantor})


def parse_permissions(text: str) -> str:
    """Validate a comma-separated permission list; 'view' is always included."""
    items = [p.strip().lower().replace("-", "_") for p in (text or "").split(",") if p.strip()]
    unknown = [p for p in items if p not in PERMISSIONS]
    if unknown:
        raise BadInput(_("Unknown permission '{name}'; use any of {permissions}.").format(name=unknown[0],
                             permissions=', '.join(PERMISSIONS)),
                       field="permissions")
    chosen = {"view", *items}
    return ",".join(p for p in PERMISSIONS if p in chosen)
