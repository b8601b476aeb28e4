"""Layer 2, the scope rule, in one place, as SQL the database answers from indexes.

Staff and admins see their own firm. A bookkeeper B may open client C iff B is active, the
firm has Filing Steps and the Bookkeeper Portal on, and a step assigned to B sits on a filing
of C (same firm) whose status is active. Nothing is stored to grant access: it is derived from
the steps at query time, so it can never drift from the assignments.

Every service that loads a record joins one of these conditions into the query that loads it.
A record outside them is never loaded, so refusing it reads exactly like "not found".
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    false,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from models import ACTIVE_FILING_STATUSES, Filing, Firm, Step, User, UserRole
from portal.auth import Actor
from portal.services.errors import Refused
from portal.services.statements import Same

STAFF_ROLES = (UserRole.ADMIN.value, UserRole.STAFF.value)

# The aliases the rule's subqueries read, made once: a fresh aliased() per call costs more
# than the query itself (column adaptation and cache keys rebuilt on every event). Each
# condition has its own pair, so two conditions in one statement never share a FROM.
_HOLDS_STEP, _HOLDS_FILING = aliased(Step), aliased(Filing)
_VISIBLE_FILING = aliased(Filing)
_POST_STEP, _POST_FILING = aliased(Step), aliased(Filing)


def is_staff(actor: Actor) -> bool:
    return actor.role in STAFF_ROLES


def is_bookkeeper(actor: Actor) -> bool:
    return actor.role == UserRole.BOOKKEEPER.value


def require_staff(actor: Actor) -> None:
    """For actions no bookkeeper may take whatever the record (layer 1 already refuses them)."""
    if not is_staff(actor):
        raise Refused


def require_admin(actor: Actor) -> None:
    if actor.role != UserRole.ADMIN.value:
        raise Refused


# The conditions for one person, made once and reused: building them is pure Python work
# (coercing operands, building subqueries) repeated on every event otherwise. They are
# immutable expressions, safe to share between statements and threads.
_MEMO = 4096


def _who(actor: Actor) -> Actor:
    """What a condition depends on: the person's id, firm and role, nothing else."""
    return Actor(actor.user_id, actor.firm_id, actor.role, "", "", 0, False)


def _bookkeeper_in_good_standing(actor: Actor) -> ColumnElement[bool]:
    """B is active and the firm has the portal: part of the rule, not left to the session."""
    return exists(
        select(User.id)
        .join(Firm, Firm.id == User.firm_id)
        .where(
            User.id == actor.user_id,
            User.firm_id == actor.firm_id,
            User.is_active.is_(True),
            User.role == UserRole.BOOKKEEPER.value,
            Firm.filing_steps_enabled.is_(True),
            Firm.portal_enabled.is_(True),
        )
    )


def _holds_step_on_client(actor: Actor, client_id) -> ColumnElement[bool]:
    step, filing = _HOLDS_STEP, _HOLDS_FILING
    return exists(
        select(step.id)
        .join(filing, filing.id == step.filing_id)
        .where(
            step.assignee_id == actor.user_id,
            filing.client_id == client_id,
            filing.firm_id == actor.firm_id,
            filing.status.in_(ACTIVE_FILING_STATUSES),
        )
    )


def client_id_visible(actor: Actor, client_id, firm_id) -> ColumnElement[bool]:
    """For any table that carries a client id and a firm id (client, filing, document, email)."""
    return _client_id_visible(_who(actor), Same(client_id), Same(firm_id))


@lru_cache(maxsize=_MEMO)
def _client_id_visible(actor: Actor, client_id: Same, firm_id: Same) -> ColumnElement[bool]:
    client_id, firm_id = client_id.element, firm_id.element
    if is_staff(actor):
        return firm_id == actor.firm_id
    if is_bookkeeper(actor):
        return and_(
            firm_id == actor.firm_id,
            _bookkeeper_in_good_standing(actor),
            _holds_step_on_client(actor, client_id),
        )
    return false()


def step_visible(actor: Actor) -> ColumnElement[bool]:
    """A step: firm-wide for staff; for a bookkeeper, only their own on an active filing."""
    return _step_visible(_who(actor))


@lru_cache(maxsize=_MEMO)
def _step_visible(actor: Actor) -> ColumnElement[bool]:
    if is_staff(actor):
        return Step.firm_id == actor.firm_id
    if is_bookkeeper(actor):
        filing = _VISIBLE_FILING
        return and_(
            Step.firm_id == actor.firm_id,
            Step.assignee_id == actor.user_id,
            _bookkeeper_in_good_standing(actor),
            exists(
                select(filing.id).where(
                    filing.id == Step.filing_id, filing.status.in_(ACTIVE_FILING_STATUSES)
                )
            ),
        )
    return false()


def may_post_on_filing(actor: Actor, filing_id) -> ColumnElement[bool]:
    """Posting to a filing's discussion: staff anywhere in the firm; a bookkeeper only on a
    filing their own step is on, while that filing is active."""
    return _may_post_on_filing(_who(actor), Same(filing_id))


@lru_cache(maxsize=_MEMO)
def _may_post_on_filing(actor: Actor, filing_id: Same) -> ColumnElement[bool]:
    filing_id = filing_id.element
    if is_staff(actor):
        return true()
    if is_bookkeeper(actor):
        step, filing = _POST_STEP, _POST_FILING
        return and_(
            _bookkeeper_in_good_standing(actor),
            exists(
                select(step.id)
                .join(filing, filing.id == step.filing_id)
                .where(
                    step.filing_id == filing_id,
                    step.assignee_id == actor.user_id,
                    filing.firm_id == actor.firm_id,
                    filing.status.in_(ACTIVE_FILING_STATUSES),
                )
            ),
        )
    return false()


# The rule as a relation: one row per path it grants. Built once per shape (which keys the
# caller narrows by); the keys themselves are bound parameters. The joins follow the indexes:
# by client, filing (client_id, status) then step (filing_id, position); by person, step
# (assignee_id, filing_id) then the filing by its key; firm-wide, the firm's bookkeepers
# (firm_id, role, is_active) then their steps.
_FIRM = bindparam("grants_firm_id")
_USER_IDS = bindparam("grants_user_ids", expanding=True)
_CLIENT_IDS = bindparam("grants_client_ids", expanding=True)


class _unindexed(FunctionElement):
    """A column that SQLite may not use an index for (its unary "+"): PostgreSQL sees the
    plain column, and keeps its statistics for it."""

    type = Integer()
    inherit_cache = True


@compiles(_unindexed)
def _plain(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_unindexed, "sqlite")
def _no_index_on_sqlite(element, compiler, **kw):
    return "+" + compiler.process(element.clauses, **kw)


@lru_cache(maxsize=4)
def _grants(by_user: bool, by_client: bool) -> Select:
    statement = (
        select(
            Step.assignee_id.label("user_id"),
            Filing.client_id.label("client_id"),
            Step.id.label("step_id"),
            Filing.id.label("filing_id"),
        )
        .select_from(User)
        .join(Firm, Firm.id == User.firm_id)
        .join(Step, Step.assignee_id == User.id)
        .join(Filing, Filing.id == Step.filing_id)
        .where(
            User.firm_id == _FIRM,
            User.role == UserRole.BOOKKEEPER.value,
            User.is_active.is_(True),
            Firm.filing_steps_enabled.is_(True),
            Firm.portal_enabled.is_(True),
            # Not by client, the way in is the firm's bookkeepers and then their steps. On
            # SQLite the firm's check is kept from leading the plan through (firm_id, status)
            # instead: that walks every active filing's steps (1 s at 1M steps, not 60 ms).
            (Filing.firm_id if by_client else _unindexed(Filing.firm_id)) == _FIRM,
            Filing.status.in_(ACTIVE_FILING_STATUSES),
        )
    )
    if by_user:
        statement = statement.where(User.id.in_(_USER_IDS))
    if by_client:
        statement = statement.where(Filing.client_id.in_(_CLIENT_IDS))
    return statement


def grants(
    *,
    firm_id: int,
    user_ids: Iterable[int] | None = None,
    client_ids: Iterable[int] | None = None,
) -> Select:
    """Every path the rule grants in one firm, as rows of (user_id, client_id, step_id,
    filing_id): bookkeeper `user_id` may open `client_id` through step `step_id` on filing
    `filing_id`. The same rule as the per-person conditions above, read for many people and
    clients at once: for "who can open this client", and for the access changes service,
    which reads it before and after an action to see what the action granted or ended.

    `user_ids` and `client_ids` narrow it to those people or clients (None: all of the firm;
    an empty list: nothing). Staff and admins never appear: they see the firm by role, not
    through a step."""
    params: dict[str, object] = {"grants_firm_id": firm_id}
    if user_ids is not None:
        params["grants_user_ids"] = sorted(set(user_ids))
    if client_ids is not None:
        params["grants_client_ids"] = sorted(set(client_ids))
    return _grants(user_ids is not None, client_ids is not None).params(params)


def access_paths(session, actor: Actor, client_id: int) -> list[tuple[User, Step, Filing]]:
    """Which bookkeepers can open this client right now, and through which step: the rule
    itself (`grants`), read the other way round. Staff only."""
    require_staff(actor)
    paths = grants(firm_id=actor.firm_id, client_ids=[client_id]).subquery()
    return list(
        session.execute(
            select(User, Step, Filing)
            .select_from(paths)
            .join(User, User.id == paths.c.user_id)
            .join(Step, Step.id == paths.c.step_id)
            .join(Filing, Filing.id == paths.c.filing_id)
            .order_by(User.name, Filing.id, Step.position, Step.id)
        ).all()
    )
