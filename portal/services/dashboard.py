"""The firm home for staff: open steps by assignee, and what is due soon or overdue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, select

from models import ACTIVE_FILING_STATUSES, Client, Filing, Firm, Step, StepStatus, User, utcnow
from portal import routes
from portal.auth import Actor
from portal.db import reads_only
from portal.services import display, firm_time, review, scope

LIST_LIMIT = 50


@dataclass(frozen=True)
class AssigneeLoad:
    user_id: int = 0
    name: str = ""
    role_label: str = ""
    open_steps: int = 0
    due_soon: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class StepLink:
    step_id: int = 0
    title: str = ""
    client_name: str = ""
    filing_title: str = ""
    filing_url: str = ""
    assignee: str = ""
    due_label: str = ""
    due_state: str = ""


@dataclass(frozen=True)
class PersonLoad:
    """One bar of the open-steps chart (the home's and the Workload page's): a person's open
    steps by due state; "later" includes steps with no due date."""

    name: str = ""
    role_label: str = ""
    overdue: int = 0
    soon: int = 0
    later: int = 0
    total: int = 0


@dataclass(frozen=True)
class FirmHome:
    by_assignee: list[AssigneeLoad] = field(default_factory=list)
    due_soon: list[StepLink] = field(default_factory=list)
    overdue: list[StepLink] = field(default_factory=list)
    unassigned: int = 0
    open_steps: int = 0
    waiting_for_me: list[review.WaitingFiling] = field(default_factory=list)
    # The open-steps chart, from the same grouped counts, and its summary for screen readers.
    people: list[PersonLoad] = field(default_factory=list)
    people_summary: str = ""


def _open_step_conditions(actor: Actor):
    return (
        Step.firm_id == actor.firm_id,
        Step.status != StepStatus.DONE.value,
        Filing.status.in_(ACTIVE_FILING_STATUSES),
    )


def assignee_counts(actor: Actor, today: date):
    """Open steps on active filings per assignee (None: unassigned), with how many are due
    soon (within DUE_SOON_DAYS) and overdue: one grouped query from the step index. The
    firm home and the Workload page's first chart both read it."""
    soon = today + timedelta(days=display.DUE_SOON_DAYS)
    is_overdue = case((Step.due_date < today, 1), else_=0)
    is_soon = case(((Step.due_date >= today) & (Step.due_date <= soon), 1), else_=0)
    return (
        select(
            Step.assignee_id,
            func.count(),
            func.coalesce(func.sum(is_soon), 0),
            func.coalesce(func.sum(is_overdue), 0),
        )
        .join(Filing, Filing.id == Step.filing_id)
        .where(*_open_step_conditions(actor))
        .group_by(Step.assignee_id)
    )


UNASSIGNED = "Unassigned"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def person_loads(grouped, users: dict[int, User]) -> list[PersonLoad]:
    """The chart's bars from `assignee_counts` rows and the people they name: the most
    overdue first, steps nobody holds last ("Unassigned", with no role)."""
    loads, unassigned = [], []
    for uid, total, soon, overdue in grouped:
        if uid is not None and uid not in users:
            continue
        user = users.get(uid)
        load = PersonLoad(
            name=user.name if user else UNASSIGNED,
            role_label=role_label(user) if user else "",
            overdue=overdue,
            soon=soon,
            later=total - soon - overdue,
            total=total,
        )
        (loads if user else unassigned).append(load)
    loads.sort(key=lambda p: (-p.overdue, -p.total, p.name.casefold()))
    return loads + unassigned


def role_label(user: User) -> str:
    label = display.ROLE_LABELS.get(user.role, "")
    return label if user.is_active else f"{label}, deactivated"


def open_summary(people: list[PersonLoad]) -> str:
    """What a screen reader hears for the chart: its figures in one sentence."""
    total = sum(p.total for p in people)
    if not total:
        return ""
    held = [p for p in people if p.role_label]
    nobody = total - sum(p.total for p in held)
    overdue = sum(p.overdue for p in people)
    soon = sum(p.soon for p in people)
    return (
        f"Bar chart of open steps per person: {_plural(total, 'open step')}, "
        f"{overdue} overdue and {soon} due soon, held by "
        f"{_plural(len(held), 'person', 'people')}"
        + (f" ({nobody} unassigned)." if nobody else ".")
    )


def firm_today(session: Session, actor: Actor, now: datetime | None = None) -> date:
    """Today by the firm's clock: a step due "Apr 22" is overdue from the firm's Apr 23."""
    firm = session.get(Firm, actor.firm_id)
    return firm_time.local_date(firm.time_zone if firm else "", now or utcnow())


@reads_only
def firm_home(*, session: Session, actor: Actor, today: date | None = None) -> FirmHome:
    scope.require_staff(actor)
    today = today or firm_today(session, actor)
    soon = today + timedelta(days=display.DUE_SOON_DAYS)
    conditions = _open_step_conditions(actor)
    grouped = session.exec(assignee_counts(actor, today)).all()
    names = {
        u.id: u
        for u in session.exec(
            select(User).where(
                User.firm_id == actor.firm_id, User.id.in_([g[0] for g in grouped if g[0]] or [0])
            )
        )
    }
    by_assignee = sorted(
        (
            AssigneeLoad(
                user_id=uid,
                name=names[uid].name,
                role_label=display.ROLE_LABELS.get(names[uid].role, ""),
                open_steps=n,
                due_soon=s,
                overdue=o,
            )
            for uid, n, s, o in grouped
            if uid in names
        ),
        key=lambda a: (-a.overdue, -a.open_steps, a.name),
    )

    def links(*extra) -> list[StepLink]:
        rows = session.exec(
            select(Step, Filing, Client, User)
            .join(Filing, Filing.id == Step.filing_id)
            .join(Client, Client.id == Filing.client_id)
            .outerjoin(User, User.id == Step.assignee_id)
            .where(*conditions, *extra)
            .order_by(Step.due_date, Step.id)
            .limit(LIST_LIMIT)
        ).all()
        return [
            StepLink(
                step_id=step.id,
                title=step.title,
                client_name=client.name,
                filing_title=display.filing_title(filing.kind, filing.period),
                filing_url=routes.filing(filing.id),
                assignee=user.name if user else "Unassigned",
                due_label=display.due_label(step.due_date, step.status, today),
                due_state=display.due_state(step.due_date, step.status, today),
            )
            for step, filing, client, user in rows
        ]

    people = person_loads(grouped, names)
    return FirmHome(
        people=people,
        people_summary=open_summary(people),
        by_assignee=by_assignee,
        due_soon=links(Step.due_date >= today, Step.due_date <= soon),
        overdue=links(Step.due_date < today),
        unassigned=sum(n for uid, n, _, _ in grouped if uid is None),
        open_steps=sum(n for _, n, _, _ in grouped),
        waiting_for_me=review.waiting_for(session, actor),
    )
