"""Test fixtures: a real workspace per test on SQLite (a file) and on PostgreSQL (a database
created for the test and dropped after it); a real SMTP server on loopback (``smtp_server``).

PostgreSQL comes from ``INVOICE_TUI_TEST_PG_URL`` (e.g. postgresql://postgres@127.0.0.1:5432/postgres,
used only to create and drop databases). Without it, or when the server does not answer, the
PostgreSQL variants skip with the reason — unless ``INVOICE_TUI_REQUIRE_PG=1`` (set by .ci/run),
which turns that into a failure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import threading
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from urllib.parse import urlparse, urlunparse

import pytest

from invoice_tui.db import database
from invoice_tui.domain.context import Context
from invoice_tui.domain.workspace import Workspace, open_workspace

# The suite reads English and en_US formats whatever the machine's locale (issue 25: LANG picks the
# language); a test that wants another sets it with monkeypatch.
for _name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "INVOICE_TUI_LOCALE"):
    os.environ.pop(_name, None)
os.environ["LANG"] = "C.UTF-8"


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A test that switched the language (French, the pseudo-locale) leaves English behind it:
    the language in use and every Textual class's bindings are the process's."""
    yield
    from invoice_tui.i18n import SOURCE_LANGUAGE, language, use_language

    if language() != SOURCE_LANGUAGE:
        use_language(None)
        from invoice_tui.widgets.language import translate_bindings

        translate_bindings(None)


PG_URL = os.environ.get("INVOICE_TUI_TEST_PG_URL", "")
REQUIRE_PG = os.environ.get("INVOICE_TUI_REQUIRE_PG") == "1"
FIXED_NOW = dt.datetime(2026, 3, 16, 9, 30, 0)  # a Monday, UTC


@dataclass
class Clock:
    """A controllable clock for the services (naive UTC)."""

    moment: dt.datetime = FIXED_NOW

    def __call__(self) -> dt.datetime:
        return self.moment

    def advance(self, **kwargs) -> None:
        self.moment += dt.timedelta(**kwargs)


def _pg_unavailable_reason() -> str | None:
    if not PG_URL:
        return "PostgreSQL tests need INVOICE_TUI_TEST_PG_URL (e.g. postgresql://postgres@127.0.0.1:5432/postgres)"
    try:
        import psycopg2
    except ImportError:
        return "PostgreSQL tests need psycopg2 (pip install '.[test]')"
    try:
        psycopg2.connect(PG_URL, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "unreachable"
        return f"PostgreSQL at {PG_URL} is unreachable: {str(exc).strip()}"
    return None


_PG_REASON: list[str | None] = []


def pg_reason() -> str | None:
    if not _PG_REASON:
        _PG_REASON.append(_pg_unavailable_reason())
    return _PG_REASON[0]


def require_pg() -> None:
    reason = pg_reason()
    if reason:
        if REQUIRE_PG:
            pytest.fail(f"INVOICE_TUI_REQUIRE_PG=1 but {reason}")
        pytest.skip(reason)


def _admin():
    import psycopg2

    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    return conn


def create_pg_database() -> str:
    """Create an empty database for one test; returns its URL."""
    require_pg()
    name = f"invoice_tui_test_{uuid.uuid4().hex[:12]}"
    conn = _admin()
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    parsed = urlparse(PG_URL)
    return urlunparse(parsed._replace(path=f"/{name}"))


def drop_pg_database(url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    conn = _admin()
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


@contextlib.contextmanager
def pg_database():
    """A fresh PostgreSQL database for one test, dropped afterwards (its connection closed first)."""
    url = create_pg_database()
    try:
        yield url
    finally:
        _close_bound()
        drop_pg_database(url)


@pytest.fixture
def pg_url():
    with pg_database() as url:
        yield url


def _close_bound() -> None:
    try:
        if database.obj is not None:
            database.obj.close()
    except Exception:  # noqa: BLE001 - closing is best effort before the drop
        pass


# R2/R43: finalizing needs the seller's legal name and address. A test workspace opened in this
# process starts with this (non-French) seller profile, written as `settings set` writes it (one
# history row), unless the test is marked no_seller; French rules and strict mode (R46) stay off.
TEST_SELLER = {"seller_legal_name": "Test Seller Ltd", "seller_address": "1 Test Street", "seller_city": "London",
               "seller_postcode": "EC1A 1BB", "seller_country": "GB"}


def give_test_seller(db) -> None:
    """Fill in the test seller profile of a workspace that has no seller and no invoice."""
    from invoice_tui.db.models import Invoice, Setting
    from invoice_tui.domain import history
    from invoice_tui.domain.settings import store_setting

    if Setting.select().where(Setting.key.in_(["seller_legal_name", "seller_name"])).exists() \
            or Invoice.select().exists():
        return
    ctx = Context(login="test-setup", user=None, source="test", now=lambda: FIXED_NOW)
    with db.atomic():
        old = {key: store_setting(key, value) for key, value in TEST_SELLER.items()}
        history.record_changes(ctx, "workspace", 0, None, old, TEST_SELLER)


@pytest.fixture(autouse=True)
def _test_seller(request, monkeypatch):
    if request.node.get_closest_marker("no_seller"):
        return
    from invoice_tui.domain import workspace

    original = workspace.seed

    def seed_with_seller(db):
        original(db)
        give_test_seller(db)

    monkeypatch.setattr(workspace, "seed", seed_with_seller)


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'workspace.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Each domain test runs on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'workspace.db'}"
        return
    with pg_database() as url:
        yield url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ws(db_url) -> Workspace:
    workspace = open_workspace(db_url, notice=lambda m: None)
    yield workspace
    workspace.db.close()


@pytest.fixture
def admin(ws, clock) -> Context:
    """The workspace's first user (super admin), acting from tests with a fixed clock."""
    return ws.context("alice", source="test", now=clock)


def make_user(ws: Workspace, admin: Context, login: str, permissions: str, clock=None) -> Context:
    from invoice_tui.domain import people

    people.add_user(admin, login, permissions=permissions)
    return ws.context(login, source="test", now=clock or admin.now)


# ---- a real SMTP server (aiosmtpd) on loopback: the mail tests and the online-payment receipts ----

def free_port() -> int:
    """A loopback port nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self):
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class SmtpServer:
    port: int
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # what the server answers instead of 250: to RCPT TO per recipient, and to DATA (R58's tests)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.data_reply:
            return self.data_reply
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
                                          or envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    handler = SmtpServer(port=free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()
