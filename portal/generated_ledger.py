"""The access ledger of a generated firm (portal/generate.py): a past that ends in the present.

A generated firm's steps are written directly, not through the services, so nothing records
how its bookkeepers came to hold them. This makes up a believable history for each step a
bookkeeper holds or once held, and nothing else: a grant when the step was added or
assigned; for some, an earlier bookkeeper who lost it to a reassignment; an end when the
filing was filed or cancelled, or when the person was deactivated; on a few active filings,
a filing filed and reopened. Every history ends in the state the rule gives for the
generated steps, so replaying the ledger equals `scope.grants` (tests/test_generate.py).

It draws from its own random stream, so the firm itself is the same with or without it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

# One ledger row before ids: (at, user, client, step, step title, filing, change, cause, actor).
Row = tuple[datetime, int, int, int, str, int, str, str, int | None]

_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class StepFacts:
    """What the ledger needs to know of one generated step."""

    step_id: int
    filing_id: int
    client_id: int
    title: str
    holder: int  # the bookkeeper who holds it now, or 0 (staff or nobody)
    created: datetime
    filing_status: str  # open, in_review, filed, cancelled
    closed: datetime | None  # when the filing was filed or cancelled
    lead: int  # the staff member who assigns the client's work
    reviewer: int  # who files it


@dataclass
class LedgerPlan:
    rnd: random.Random
    now: datetime
    # Bookkeepers who may appear as an earlier holder (active ones).
    active: list[int]
    # Deactivated bookkeepers: when they were deactivated, and by whom.
    deactivated: dict[int, datetime]
    admin: int
    rows: list[Row]

    def step(self, facts: StepFacts, earlier: bool) -> None:
        """The history of one step; `earlier` gives it a bookkeeper before the present one
        (for a step no bookkeeper holds now: the one who last held it)."""
        r = self.rnd.random
        end = facts.closed if facts.closed is not None else self.now
        start = facts.created
        if start >= end - _MINUTE:
            start = end - timedelta(seconds=3600 + int(r() * 29 * 86400))
        at = start + timedelta(seconds=int(r() * 2 * 86400))
        at = min(at, start + (end - start) / 3)
        add = self.rows.append
        path = (facts.client_id, facts.step_id, facts.title, facts.filing_id)
        first_cause = "step.added" if r() < 0.3 else "step.assigned"
        if earlier and self.active:
            before = self.active[int(r() * len(self.active))]
            if before != facts.holder:
                handed = at + (end - at) * (0.2 + 0.5 * r())
                add((at, before, *path, "granted", first_cause, facts.lead))
                cause = "step.reassigned" if facts.holder or r() < 0.6 else "step.unassigned"
                add((handed, before, *path, "revoked", cause, facts.lead))
                at, first_cause = handed, "step.reassigned"
        if not facts.holder:
            return
        deactivated = self.deactivated.get(facts.holder)
        if deactivated is not None and deactivated <= at:
            return  # deactivated before the step came to them: they never held it
        add((at, facts.holder, *path, "granted", first_cause, facts.lead))
        closing = {"filed": "filing.filed", "cancelled": "filing.cancelled"}.get(
            facts.filing_status
        )
        if deactivated is not None and (facts.closed is None or deactivated < facts.closed):
            add((deactivated, facts.holder, *path, "revoked", "login.deactivated", self.admin))
            return
        if closing is not None:
            add((max(end, at + _MINUTE), facts.holder, *path, "revoked", closing, facts.reviewer))
            return
        if r() < 0.05:  # filed by mistake, reopened a little later
            filed = at + (self.now - at) * (0.3 + 0.4 * r())
            reopened = filed + (self.now - filed) * (0.1 + 0.3 * r())
            if at < filed < reopened < self.now:
                add((filed, facts.holder, *path, "revoked", "filing.filed", facts.reviewer))
                add((reopened, facts.holder, *path, "granted", "filing.reopened", self.admin))

    def ordered(self) -> Iterator[Row]:
        """Oldest first, as an append-only table would have them (ids follow time); rows of
        one instant keep the order they were made in, a revocation before its grant."""
        indexed = sorted(range(len(self.rows)), key=lambda i: (self.rows[i][0], i))
        return (self.rows[i] for i in indexed)
