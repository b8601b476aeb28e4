"""Refusals on record at about the cost of an allowed check.

The first refusal of a kind (actor, what, minute) is written at once, so its row is on record
before the person sees the refusal. Its repeats in the same minute, which a flood or a script
probing ids makes by the thousand, are counted in memory and added to that row by `flush`,
which the app runs every few seconds and when it stops. So a repeat costs no database write,
and the log still counts every refusal. Each worker keeps its own counts; the rows they add to
are shared, so a cluster's counts add up too.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from portal.db import unit_of_work
from portal.services import audit

log = logging.getLogger("portal.audit")

_lock = threading.Lock()
# fold key -> repeats not yet added to its row, for the rows this process knows are written.
_pending: dict[str, int] = {}
# fold key -> the minute it folds, so keys are forgotten once their minute has passed.
_minute_of: dict[str, datetime] = {}


def record(**refusal) -> None:
    """Record one refusal (the arguments of audit.refusal_row)."""
    row = audit.refusal_row(**refusal)
    key = row["fold_key"]
    with _lock:
        if key in _pending:
            _pending[key] += 1
            return
    with unit_of_work() as session:
        audit.write_refusal(session, row)
    with _lock:
        # Another thread may have written the same row meanwhile; both writes counted.
        _pending.setdefault(key, 0)
        _minute_of[key] = row["at"].replace(second=0, microsecond=0)


def flush(now: datetime | None = None) -> int:
    """Add the counted repeats to their rows; returns how many were added. If the write
    fails, the counts stay for the next flush, so nothing is lost. Given the time, keys whose
    minute is over are forgotten (no repeat can fold into them any more)."""
    with _lock:
        repeats = {key: n for key, n in _pending.items() if n}
        for key in repeats:
            _pending[key] = 0
    if repeats:
        try:
            with unit_of_work() as session:
                audit.add_repeats(session, repeats)
        except Exception:
            with _lock:
                for key, n in repeats.items():
                    _pending[key] += n
            raise
    if now is not None:
        minute = now.replace(second=0, microsecond=0)
        with _lock:
            for key in [k for k, m in _minute_of.items() if m < minute and not _pending[k]]:
                del _minute_of[key], _pending[key]
    return sum(repeats.values())


def forget() -> None:
    """Drop every count and key: for a process that moves to another database (the test
    suite, the benchmarks), where a key remembered from the last one would wrongly count a
    first refusal as a repeat."""
    with _lock:
        _pending.clear()
        _minute_of.clear()
