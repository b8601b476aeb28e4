"""My Tasks: a person's own steps on active filings, with the dashboard counters.

Every number here (counters, the client filter, the total) comes from the same scoped query
as the list itself, never from the whole table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, bindparam, case, func
from sqlmodel import Session, select

from models import ACTIVE_FILING_STATUSES, Client, Filing, Step, StepStatus
from portal import routes
from portal.auth import Actor
from portal.db import reads_only
from portal.services import display, scope
from portal.services.errors import Invalid, NotFound
from portal.services.statements import built

PAGE_SIZE = 20
SORTS = ("due", "due_desc", "client")


@dataclass(frozen=True)
class TaskRow:
    step_id: int = 0
    title: str = ""
    client_name: str = ""
    filing_kind: str = ""
    filing_title: str = ""
    due_label: str = ""
    due_state: str = ""
    status: str = ""
    status_label: str = ""
    url: str = ""
    # The due date in full ("Apr 22, 2026"), for an email read days later.
    due_day: str = ""


@dataclass(frozen=True)
class ClientOption:
    id: int = 0
    name: str = ""


@dataclass(frozen=True)
class TaskList:
    rows: list[TaskRow] = field(default_factory=list)
    assigned: int = 0
    due_soon: int = 0
    overdue: int = 0
    clients: list[ClientOption] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    # False when only the rows and the total were read (a sort, a page, a status filter):
    # the counters and the client choices above are then not filled in.
    counted: bool = True


# The person's own steps on active filings; their id is bound when a statement runs.
_ASSIGNED = Step.assignee_id == bindparam("me")
_ACTIVE = Filing.status.in_(ACTIVE_FILING_STATUSES)
_OF_STATUS = Step.status == bindparam("status")
_OF_CLIENT = Filing.client_id == bindparam("client_id")


def _mine(actor: Actor):
    return (scope.step_visible(actor), _ASSIGNED, _ACTIVE)


def _params(actor: Actor, **values) -> dict:
    return {"me": actor.user_id, **values}


_OPTIONS = built(
    lambda visible: (
        select(Client.id, Client.name)
        .join(Filing, Filing.client_id == Client.id)
        .join(Step, Step.filing_id == Filing.id)
        .where(visible, _ASSIGNED, _ACTIVE)
        .distinct()
        .order_by(Client.name)
    )
)


def _tally(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


_OPEN = Step.status != StepStatus.DONE.value
# The three counters and the filtered total in one pass over the person's steps.
_COUNTS = built(
    lambda visible, *chosen: (
        select(
            func.count(),
            _tally(
                _OPEN & (Step.due_date >= bindparam("today")) & (Step.due_date <= bindparam("soon"))
            ),
            _tally(_OPEN & (Step.due_date < bindparam("today"))),
            _tally(and_(*chosen)) if chosen else func.count(),
        )
        .select_from(Step)
        .join(Filing, Filing.id == Step.filing_id)
        .where(visible, _ASSIGNED, _ACTIVE)
    )
)
_TOTAL = built(
    lambda visible, *chosen: (
        select(func.count())
        .select_from(Step)
        .join(Filing, Filing.id == Step.filing_id)
        .where(visible, _ASSIGNED, _ACTIVE, *chosen)
    )
)
_UNDATED = Step.due_date.is_(None)
_ORDERS = {
    "due": (_UNDATED, Step.due_date, Step.id),
    "due_desc": (_UNDATED, Step.due_date.desc(), Step.id),
    "client": (func.lower(Client.name), _UNDATED, Step.due_date, Step.id),
}
# Only the columns a row shows: no whole rows of three tables for twenty lines.
_COLUMNS = (
    Step.id,
    Step.title,
    Step.status,
    Step.due_date,
    Filing.kind,
    Filing.period,
    Client.name,
)
_ROWS = built(
    lambda visible, order, *chosen: (
        select(*_COLUMNS)
        .join(Filing, Filing.id == Step.filing_id)
        .join(Client, Client.id == Filing.client_id)
        .where(visible, _ASSIGNED, _ACTIVE, *chosen)
        .order_by(*order)
        .offset(bindparam("offset"))
        .limit(PAGE_SIZE)
    )
)


@reads_only
def my_tasks(
    *,
    session: Session,
    actor: Actor,
    status: str = "",
    client_id: int | None = None,
    sort: str = "due",
    page: int = 1,
    today: date | None = None,
    counted: bool = True,
) -> TaskList:
    """Three statements, each built once per person and kind of view: the client filter's
    choices, the counters with the filtered total, and one page of rows. Not `counted`, the
    choices and counters are left out (a sort or a page changes neither), and the total is
    counted alone."""
    today = today or date.today()
    if status and status not in {s.value for s in StepStatus}:
        raise Invalid("Choose a status from the list.")
    if sort not in SORTS:
        raise Invalid("Choose how to sort from the list.")
    visible = scope.step_visible(actor)
    options = []
    if counted or client_id:
        options = session.execute(_OPTIONS(visible), _params(actor)).all()
    chosen, values = [], {}
    if status:
        chosen.append(_OF_STATUS)
        values["status"] = status
    if client_id:
        # Filtering by a client outside the person's scope is refused like any foreign id.
        if client_id not in {cid for cid, _ in options}:
            raise NotFound
        chosen.append(_OF_CLIENT)
        values["client_id"] = client_id
    assigned = due_soon = overdue = 0
    if counted:
        soon = today + timedelta(days=display.DUE_SOON_DAYS)
        assigned, due_soon, overdue, total = session.execute(
            _COUNTS(visible, *chosen), _params(actor, today=today, soon=soon, **values)
        ).one()
    else:
        total = session.execute(_TOTAL(visible, *chosen), _params(actor, **values)).scalar_one()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = session.execute(
        _ROWS(visible, _ORDERS[sort], *chosen),
        _params(actor, offset=(page - 1) * PAGE_SIZE, **values),
    ).all()
    return TaskList(
        rows=[_task_row(row, today) for row in rows],
        assigned=assigned,
        due_soon=due_soon,
        overdue=overdue,
        clients=[ClientOption(id=cid, name=name) for cid, name in options],
        total=total,
        page=page,
        pages=pages,
        counted=counted,
    )


def _task_row(row, today: date) -> TaskRow:
    step_id, title, step_status, due, kind, period, client_name = row
    return TaskRow(
        step_id=step_id,
        title=title,
        client_name=client_name,
        filing_kind=kind,
        filing_title=display.filing_title(kind, period),
        due_label=display.due_label(due, step_status, today),
        due_state=display.due_state(due, step_status, today),
        status=step_status,
        status_label=display.STEP_STATUS_LABELS.get(step_status, step_status),
        url=routes.task(step_id),
        due_day=display.day(due),
    )


# The same person's own steps on active filings, as My Tasks reads them, narrowed to some
# steps (the in-app list, an assignment email) or to the open ones due by a date (the digest).
_STEP_IDS = bindparam("step_ids", expanding=True)
_THESE = built(
    lambda visible: (
        select(*_COLUMNS)
        .join(Filing, Filing.id == Step.filing_id)
        .join(Client, Client.id == Filing.client_id)
        .where(visible, _ASSIGNED, _ACTIVE, Step.id.in_(_STEP_IDS))
    )
)
_DUE_BY = built(
    lambda visible: (
        select(*_COLUMNS)
        .join(Filing, Filing.id == Step.filing_id)
        .join(Client, Client.id == Filing.client_id)
        .where(visible, _ASSIGNED, _ACTIVE, _OPEN, Step.due_date <= bindparam("until"))
        .order_by(Step.due_date, Step.id)
        .limit(bindparam("limit"))
    )
)


def these_tasks(
    session: Session, actor: Actor, step_ids: list[int], *, today: date
) -> dict[int, TaskRow]:
    """Which of these steps are on the person's My Tasks right now, by step id. A step
    missing from the answer is one they may no longer open (reassigned, filing closed,
    access ended) or that is gone: the caller must not name anything of it."""
    if not step_ids:
        return {}
    rows = session.execute(
        _THESE(scope.step_visible(actor)), _params(actor, step_ids=sorted(set(step_ids)))
    )
    return {row[0]: _task_row(row, today) for row in rows}


def due_by(
    session: Session, actor: Actor, *, today: date, until: date, limit: int
) -> list[TaskRow]:
    """The person's open tasks due on or before `until` (overdue ones first), as My Tasks
    would list them today: what a morning digest names."""
    rows = session.execute(
        _DUE_BY(scope.step_visible(actor)), _params(actor, until=until, limit=limit)
    )
    return [_task_row(row, today) for row in rows]


@reads_only
def ended_reason(*, session: Session, actor: Actor, step_id: int) -> str:
    """Why a step the person was just working on is no longer theirs to open.

    Asked only for the step their own page had open a moment ago (the page state holds its
    id; the browser cannot choose it), and it names no one and nothing beyond that step, so
    it tells them nothing they could not see a moment before.
    """
    row = session.exec(
        select(Step.assignee_id, Filing.status)
        .join(Filing, Filing.id == Step.filing_id)
        .where(Step.id == step_id, Step.firm_id == actor.firm_id)
    ).first()
    if row is None:
        return "The task was removed from its filing."
    assignee_id, filing_status = row
    if assignee_id != actor.user_id:
        return "The task was reassigned to someone else."
    if filing_status not in ACTIVE_FILING_STATUSES:
        label = display.FILING_STATUS_LABELS.get(filing_status, filing_status).lower()
        return f"Its filing was {label}."
    return ""
