"""Who acts, from where, what time it is, and what the face wired in — passed to every service call."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from invoice_tui.db.models import User

if TYPE_CHECKING:
    from invoice_tui.config import Config


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class Services:
    """What a face passes in at start-up (``make_app``, the CLI's ``open_context``, through
    ``invoice_tui.wiring.services``) — no module global holds any of it:

    - ``config``: the local configuration (mail URL and password, …);
    - ``mail_transport``: a factory of the mail transport (a connection per delivery), None when
      no mail server is configured (emails then stay queued in the outbox);
    - ``receipt_sender``: R10's ``(ctx, payment) -> None``, which queues a receipt inside the
      payment's transaction; None (the default: the domain does not know about mail) means
      ``record_payment(send_receipt=True)`` queues nothing and says so (``receipt_queued``);
    - ``payment_provider``: a factory of the payment provider (issue 26; ``domain.provider``),
      None when none is configured (online payments are then refused with a sentence);
    - ``payment_settler``: R7's ``(ctx, conflict) -> None``, which applies what the provider says
      after an edit was refused because a pending payment could not be canceled.
    """

    config: Config | None = None
    mail_transport: Callable[[], Any] | None = None
    receipt_sender: Callable[[Context, Any], None] | None = None
    payment_provider: Callable[[], Any] | None = None
    payment_settler: Callable[[Context, Any], None] | None = None


@dataclass
class Context:
    """The acting identity for one service call.

    ``user`` is None for an unknown login: R17 lets such a user view, and nothing is written for
    them. ``now`` returns naive UTC; ``today()`` is the workspace's date in its time zone, which
    decides "overdue" and default dates: the clock. Tests and snapshots inject a fixed clock.
    ``services`` are what the face wired in (see :class:`Services`).
    """

    login: str
    user: User | None
    source: str = "cli"
    now: Callable[[], dt.datetime] = field(default=_utcnow)
    timezone: str = "UTC"
    services: Services = field(default_factory=Services)

    def today(self) -> dt.date:
        return self.day_of(self.now())

    def day_of(self, moment: dt.datetime) -> dt.date:
        """The workspace's date at ``moment`` (naive UTC, as ``now`` gives it)."""
        try:
            tz = ZoneInfo(self.timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            tz = dt.timezone.utc
        return moment.replace(tzinfo=dt.timezone.utc).astimezone(tz).date()

    @property
    def permissions(self) -> frozenset[str]:
        if self.user is None:
            return frozenset({"view"})
        return frozenset(p for p in self.user.permissions.split(",") if p)


def second_clock() -> Callable[[], dt.datetime]:
    """:func:`_utcnow` for a loop that reads the clock thousands of times a second: the same
    readings (the system clock to the second), the datetime built once per second."""
    last = [-1, None]
    time_ns = time.time_ns

    def now() -> dt.datetime:
        second = time_ns() // 1_000_000_000
        if second != last[0]:
            last[0], last[1] = second, _EPOCH + dt.timedelta(seconds=second)
        return last[1]

    return now


_EPOCH = dt.datetime(1970, 1, 1)


class DayContext(Context):
    """A context whose ``today()`` is computed once per reading of its clock (a bulk loop asks
    for it per row; :func:`second_clock` gives one reading per second, a fixed clock one)."""

    _moment: dt.datetime | None = None
    _day: dt.date | None = None

    @classmethod
    def of(cls, ctx: Context) -> "DayContext":
        """``ctx`` with the same fields; its clock read once per second when it is the system's."""
        fields = {f: getattr(ctx, f) for f in ctx.__dataclass_fields__}
        if fields["now"] is _utcnow:
            fields["now"] = second_clock()
        return cls(**fields)

    def today(self) -> dt.date:
        moment = self.now()
        if moment != self._moment:
            self._day, self._moment = self.day_of(moment), moment
        return self._day


def fixed_clock(moment: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: moment
