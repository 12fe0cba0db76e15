"""Issue 25's check that cannot be fooled: a pseudo-locale whose catalog wraps every translation in
⟦…⟧, and a reader of the rendered screen that reports every visible word outside the markers that
is not data. A string never marked for translation shows up bare, whatever the catalogs say.
"""

from __future__ import annotations

import gettext
import io
import re
from functools import lru_cache
from typing import Iterable

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from invoice_tui.i18n import DOMAIN, LOCALE_DIR, use_translations

OPEN, CLOSE = "⟦", "⟧"
PSEUDO = "pseudo"


@lru_cache(maxsize=1)
def _pseudo_mo() -> bytes:
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as f:
        template = read_po(f)
    catalog = Catalog(locale="en")
    for m in template:
        if not m.id:
            continue
        if isinstance(m.id, tuple):
            catalog.add(m.id, tuple(OPEN + form + CLOSE for form in m.id), context=m.context)
        else:
            catalog.add(m.id, OPEN + m.id + CLOSE, context=m.context)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def use_pseudo_locale() -> None:
    """Speak the pseudo-locale from now on (the suite's fixture returns to English after the test)."""
    use_translations(gettext.GNUTranslations(io.BytesIO(_pseudo_mo())), PSEUDO)


_MARKED = re.compile(f"{OPEN}[^{CLOSE}]*?(?:{CLOSE}|…|$)", re.M)
_TAIL = re.compile(f"^[^{OPEN}\\n]*{CLOSE}", re.M)  # the end of a marked text wrapped from the line above
_WORD = re.compile(r"[^\W\d_]{2,}(?:['’][^\W\d_]+)?")

PRODUCT = "invoice-tui"  # the product's name is the same in every language


BORDERS = "▏▕│┃║▎▊▌▐█"  # a panel's edge: text beside it (the help panel, two lists) wraps on its own
_INNERMOST = re.compile(f"{OPEN}[^{OPEN}{CLOSE}\n]*{CLOSE}")
_CUT = re.compile(f"{OPEN}[^{OPEN}{CLOSE}…]*…")


def _segments(line: str) -> list[tuple[int, int]]:
    """The parts of a line between panel edges, as (start, end) columns."""
    cuts = [i for i, ch in enumerate(line) if ch in BORDERS]
    bounds = [-1, *cuts, len(line)]
    return [(a + 1, b) for a, b in zip(bounds, bounds[1:]) if b > a + 1]


def outside_markers(text: str) -> str:
    """``text`` with every marked text blanked (column for column): a marked text inside another
    (a translated name in a translated sentence), one cut with "…", and one wrapped over several
    lines of its panel (the lines below continue it from its column, up to its ⟧)."""
    text = text.replace(PRODUCT, " " * len(PRODUCT))
    previous = None
    while previous != text:  # innermost first: "⟦Delete the view ‘⟦Overdue⟧’?⟧"
        previous = text
        text = _INNERMOST.sub(lambda m: " " * len(m.group()), text)
    out: list[str] = []
    pending: list[int] = []  # columns where a marked text left open on the line above goes on
    for line in text.split("\n"):
        chars = list(line)

        def blank(a: int, b: int) -> None:
            chars[a:b] = " " * (b - a)

        still: list[int] = []
        for start, end in _segments(line):
            seg = "".join(chars[start:end])
            close, opening = seg.find(CLOSE), seg.find(OPEN)
            if close != -1 and (opening == -1 or close < opening):  # the end of a text from above
                blank(start, start + close + 1)
            else:
                for col in sorted(c for c in pending if start <= c < end):  # its middle
                    stop = start + opening if opening != -1 and start + opening >= col else end
                    blank(col, stop)
                    if stop == end:
                        still.append(col)
                    break
            seg = "".join(chars[start:end])
            seg = _CUT.sub(lambda m: " " * len(m.group()), seg)  # "⟦Amount bi…"
            chars[start:end] = list(seg)
            at = seg.find(OPEN)
            if at != -1:  # open to the segment's end: goes on below
                blank(start + at, end)
                still.append(start + at)
        pending = still
        out.append("".join(chars))
    return "\n".join(out)


def unmarked_words(text: str, data: Iterable[str] = ()) -> list[str]:
    """The words of ``text`` (a rendered screen) outside ⟦…⟧ that are not data: each word of
    ``data`` (names, emails, numbers the test's workspace holds) is allowed."""
    allowed = {w.casefold() for item in data for w in _WORD.findall(str(item))}
    bare = outside_markers(text)
    return [w for w in _WORD.findall(bare) if w.casefold() not in allowed]


def screen_text(app) -> str:
    """The screen as a person reads it, line by line (every layer composited)."""
    return "\n".join("".join(s.text for s in strip) for strip in app.screen._compositor.render_strips())


def workspace_data() -> list[str]:
    """What a test workspace holds that a screen shows as data: names, emails, numbers, titles,
    line names, logins, currency codes."""
    from invoice_tui.db.models import Company, Contact, Invoice, LineItem, User

    data: list[str] = []
    for c in Contact.select():
        data += [c.first_name or "", c.last_name or "", c.email or ""]
    data += [c.name for c in Company.select()]
    for i in Invoice.select():
        data += [i.number or "", i.po_number or "", i.title or "", i.currency]
    data += [li.name for li in LineItem.select()]
    data += [u.login for u in User.select()]
    return data


async def render_pseudo(app, opener, *, size=(80, 24), data=()) -> tuple[str, list[str]]:
    """Run ``app`` under the pseudo-locale, let ``opener(pilot, app)`` open a screen as a user
    does, and return (the screen's text, its words outside the catalog)."""
    use_pseudo_locale()
    async with app.run_test(size=size) as pilot:
        await opener(pilot, app)
        text = screen_text(app)
        return text, unmarked_words(text, [*workspace_data(), *data])


def assert_all_marked(case: str, text: str, bare: list[str]) -> None:
    assert not bare, f"{case}: words outside the catalog: {sorted(set(bare))}\n{text}"
