"""The invoices' plan, drawn first by one generator: categories (states), ages, payment terms
and payment splits, sorted so that ids follow dates; drawn in a process of its own for large
workspaces while the main process makes the contacts."""

from __future__ import annotations

import collections
import multiprocessing
import random
import traceback

TODAY = 800  # invoice days are offsets from today - TODAY days (two years and a bit of history)
CATEGORIES = ("draft", "open", "overdue", "partial", "paid", "voided")
_TERMS = (30, 30, 30, 30, 14, 45, 60)  # payment terms in days (drawn uniformly: mostly 30)
_CAT_WEIGHTS = (6, 17, 9, 7, 57, 4)


def _draw_keys(seed: int, n: int, bounds: list[tuple[int, int]]) -> tuple[list[int], dict[str, int],
                                                                          list[tuple[int, int]]]:
    """The invoices' categories, ages, terms and payment splits, as sortable ints — (invoice day,
    minute, category, split, terms) — sorted, so that ids follow dates (older first); the count
    per category; and per segment of ``bounds``, its number of finalized invoices, payments and
    cancellations (voided, or in strict mode credited by a credit note each)."""
    rng = random.Random(f"invoice-tui-demo:{seed}:keys")
    terms_choices = _TERMS
    cats = rng.choices(range(len(CATEGORIES)), weights=_CAT_WEIGHTS, k=n)
    for i, forced in enumerate((1, 2, 3, 4, 0, 5)):  # every state present from 6 invoices on
        if i < n:
            cats[i] = forced
    counts = dict.fromkeys(CATEGORIES, 0)
    for c, k in collections.Counter(cats).items():
        counts[CATEGORIES[c]] = k
    rand, expo = rng.random, rng.expovariate
    n_terms = len(terms_choices)
    keys = []
    add = keys.append
    for cat in cats:
        t = int(rand() * n_terms)
        terms = terms_choices[t]
        split = 0
        if cat == 0:
            age = min(int(expo(1 / 10)), 60)
        elif cat == 1:
            age = int(rand() * terms)
        elif cat == 2:
            age = terms + 1 + min(int(expo(1 / 45)), 600)
        elif cat == 3:
            age = int(rand() * terms) if rand() < 0.5 else terms + 1 + min(int(expo(1 / 30)), 300)
        elif cat == 4:
            age = int(rand() * 731)
            split = 1 if rand() < 0.045 else 0  # paid in two parts (allows partial payments)
        else:
            age = 3 + int(rand() * 728)
        add(((((TODAY - age) * 1024 + int(rand() * 600)) * 8 + cat) * 2 + split) * 8 + t)
    del cats
    keys.sort()
    seg_counts = []
    for lo, hi in bounds:
        fin = pays = cancels = 0
        for key in keys[lo:hi]:
            cat = (key >> 4) & 7
            if cat:
                fin += 1
                if cat == 3:
                    pays += 1
                elif cat == 4:
                    pays += 1 + ((key >> 3) & 1)
                elif cat == 5:
                    cancels += 1
        seg_counts.append((fin, pays, cancels))
    return keys, counts, seg_counts


class _KeysJob:
    """:func:`_draw_keys` in a forked process; :meth:`result` waits for it."""

    def __init__(self, seed: int, n: int, bounds: list[tuple[int, int]]) -> None:
        mp = multiprocessing.get_context("fork")
        self._recv, send = mp.Pipe(duplex=False)
        self._proc = mp.Process(target=self._run, args=(seed, n, bounds, send), name="invoice-tui-demo-keys",
                                daemon=True)
        self._proc.start()
        send.close()

    @staticmethod
    def _run(seed, n, bounds, send) -> None:
        try:
            send.send((None, _draw_keys(seed, n, bounds)))
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
            send.send((traceback.format_exc(), None))
        finally:
            send.close()

    def stop(self) -> None:
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join()
        self._recv.close()

    def result(self):
        try:
            error, value = self._recv.recv()
        except EOFError:
            error, value = f"the process ended with code {self._proc.exitcode}", None
        finally:
            self._recv.close()
            self._proc.join()
        if error is not None:
            raise RuntimeError(f"demo: drawing the invoices failed:\n{error}")
        return value


