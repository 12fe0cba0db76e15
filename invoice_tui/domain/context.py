"""Who acts, from where, and what time it is — passed to every service call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from invoice_tui.db.models import User


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


@dataclass
class Context:
    """The acting identity for one service call.

    ``user`` is None for an unknown login: R17 lets such a user view, and nothing is written for
    them. ``now`` returns naive UTC; ``today()`` is the workspace's date in its time zone, which
    decides "overdue" and default dates. Tests and snapshots inject a fixed clock.
    """

    login: str
    user: User | None
    source: str = "cli"
    now: Callable[[], dt.datetime] = field(default=_utcnow)
    timezone: str = "UTC"

    def today(self) -> dt.date:
        try:
            tz = ZoneInfo(self.timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            tz = dt.timezone.utc
        return self.now().replace(tzinfo=dt.timezone.utc).astimezone(tz).date()

    @property
    def permissions(self) -> frozenset[str]:
        if self.user is None:
            return frozenset({"view"})
        return frozenset(p for p in self.user.permissions.split(",") if p)


def fixed_clock(moment: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: moment
