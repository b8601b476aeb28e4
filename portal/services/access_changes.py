"""The one place that knows when access changes.

Access is derived, never stored: the rule lives in portal/services/scope.py and nowhere else.
But a change of access is still an event (for the access ledger, and later for live pages and
notifications). Every action that can change who may open what runs its writes inside
`tracking`, which reads the rule (`scope.grants`) for the people and clients the action can
affect before and after the writes, in the same transaction, and records the difference in
the ledger. It holds no copy of the rule: whatever the rule says is what gets recorded.

    with access_changes.tracking(
        session, actor=actor, cause="step.assigned", firm_id=actor.firm_id, client_ids=[c]
    ):
        ...  # the action's writes
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import bindparam, inspect
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, select

from models import AccessChange, AccessChangeKind, Step, utcnow
from portal.auth import Actor
from portal.db import serialize_on
from portal.services import live, scope

# (user_id, client_id, step_id, filing_id): one way a person is let into a client.
Path = tuple[int, int, int, int]


@dataclass
class Tracked:
    """What a tracked block changed, filled in when the block ends (for a caller that wants
    to act on it after commit, such as pushing to open pages)."""

    granted: list[Path] = field(default_factory=list)
    revoked: list[Path] = field(default_factory=list)


def current(
    session: Session,
    *,
    firm_id: int,
    user_ids: Iterable[int] | None = None,
    client_ids: Iterable[int] | None = None,
) -> set[Path]:
    """The paths the rule grants now, narrowed to these people and clients (None: all)."""
    statement = scope.grants(firm_id=firm_id, user_ids=user_ids, client_ids=client_ids)
    return {tuple(row) for row in session.execute(statement)}


# Built once: the ledger's rows keep their steps' titles, read only for the paths that changed.
_STEP_TITLES = select(Step.id, Step.title).where(Step.id.in_(bindparam("step_ids", expanding=True)))
_RECORDED_TITLES = (
    select(AccessChange.step_id, AccessChange.step_title)
    .where(
        AccessChange.firm_id == bindparam("firm_id"),
        AccessChange.user_id.in_(bindparam("user_ids", expanding=True)),
        AccessChange.step_id.in_(bindparam("step_ids", expanding=True)),
        AccessChange.step_title.is_not(None),
    )
    .order_by(AccessChange.id)
)


def _titles(session: Session, firm_id: int, paths: list[Path]) -> dict[int, str]:
    """The changed paths' step titles, as they stand after the block: from the steps the
    action itself loaded (an assignment's step is in the session already), else one read. A
    step the block removed is named as the ledger last recorded it (the grant that opened its
    path), read through the ledger's per-person index. Nothing is read when nothing changed:
    a title read beside every before/after cost the assign path a millisecond."""
    titles: dict[int, str] = {}
    unloaded = []
    for step_id in sorted({path[2] for path in paths}):
        loaded = session.identity_map.get(identity_key(Step, step_id))
        title = None if loaded is None else inspect(loaded).dict.get("title")
        if title is None:
            unloaded.append(step_id)
        else:
            titles[step_id] = title
    if unloaded:
        titles.update(session.execute(_STEP_TITLES, {"step_ids": unloaded}).all())
    gone = [path for path in paths if path[2] not in titles]
    if gone:
        recorded = session.execute(
            _RECORDED_TITLES,
            {
                "firm_id": firm_id,
                "user_ids": sorted({path[0] for path in gone}),
                "step_ids": sorted({path[2] for path in gone}),
            },
        )
        titles.update(recorded.all())
    return titles


@contextmanager
def tracking(
    session: Session,
    *,
    actor: Actor | None,
    cause: str,
    firm_id: int,
    user_ids: Iterable[int] | None = None,
    client_ids: Iterable[int] | None = None,
) -> Iterator[Tracked]:
    """Record in the access ledger what the block's writes granted and revoked.

    The keys name what the action can affect: the client of the step or filing it changes, or
    the person it (de)activates; both None for a firm-wide change (a module switched). They
    must cover every path the action can change, since a path outside them is not compared.

    The rule is read before and after the block in the caller's transaction, so the ledger
    rows commit or roll back with the action, and a block that raises writes nothing. Actions
    that change access in one firm are serialised (an advisory lock on PostgreSQL; SQLite's
    units of work already hold the write lock), so two of them at once cannot both diff
    against the state before the other: the ledger would then disagree with the rule. Take
    this after any firm row lock (team._lock_firm), never before it.
    """
    users = None if user_ids is None else sorted(set(user_ids))
    clients = None if client_ids is None else sorted(set(client_ids))
    serialize_on(session, f"access:{firm_id}")
    session.flush()
    before = current(session, firm_id=firm_id, user_ids=users, client_ids=clients)
    tracked = Tracked()
    yield tracked
    session.flush()
    after = current(session, firm_id=firm_id, user_ids=users, client_ids=clients)
    tracked.granted = sorted(after - before)
    tracked.revoked = sorted(before - after)
    # Every open page of the people concerned loads again, as them, once this commits.
    live.changed(session, users={path[0] for path in (*tracked.granted, *tracked.revoked)})
    _record(
        session,
        actor=actor,
        cause=cause,
        firm_id=firm_id,
        granted=tracked.granted,
        revoked=tracked.revoked,
        titles=_titles(session, firm_id, [*tracked.granted, *tracked.revoked]),
    )


def _record(
    session: Session,
    *,
    actor: Actor | None,
    cause: str,
    firm_id: int,
    granted: Iterable[Path],
    revoked: Iterable[Path],
    titles: dict[int, str],
) -> None:
    """Write the ledger rows for a computed difference, one per path, all at one instant;
    each keeps its step's title (as it stands; a removed step's as the ledger last had it)."""
    at = utcnow()
    rows = [
        AccessChange(
            firm_id=firm_id,
            user_id=user_id,
            client_id=client_id,
            step_id=step_id,
            step_title=titles.get(step_id),
            filing_id=filing_id,
            change=kind.value,
            cause=cause,
            actor_id=actor.user_id if actor is not None else None,
            at=at,
        )
        for kind, paths in (
            (AccessChangeKind.REVOKED, revoked),
            (AccessChangeKind.GRANTED, granted),
        )
        for user_id, client_id, step_id, filing_id in paths
    ]
    if rows:
        session.add_all(rows)
        session.flush()
