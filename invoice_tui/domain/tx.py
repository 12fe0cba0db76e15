"""The decorator every writing service uses: one transaction (history rows included), retried
as a whole while the database is busy."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Callable, TypeVar

from invoice_tui.db import retry_busy, write_tx
from invoice_tui.domain.errors import BadInput

if TYPE_CHECKING:  # pydantic loads with the first validation, not with every module that writes
    from pydantic import BaseModel

T = TypeVar("T")
M = TypeVar("M", bound="BaseModel")


def mutation(fn: Callable[..., T]) -> Callable[..., T]:
    @retry_busy
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with write_tx():
            return fn(*args, **kwargs)

    return wrapper


def validate(model: type[M], data: dict | M) -> M:
    """pydantic validation with the first problem turned into one clear sentence."""
    from pydantic import ValidationError

    if isinstance(data, model):
        data = data.model_dump(exclude_unset=True)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        msg = err.get("msg", "invalid value")
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if err.get("type") == "extra_forbidden":
            raise BadInput(f"'{loc}' is not something that can be set here; check the spelling.",
                           field=loc or None) from None
        named = loc.replace("_", " ")
        if loc and not msg.startswith((f"{loc}: ", f"{named}: ")):  # a check that names its field already
            msg = f"{named}: {msg}"
        raise BadInput(msg, field=loc or None) from None
