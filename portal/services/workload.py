"""Workload and time at a glance, for staff and admins: who holds how much open work, where the
time went over the last 12 weeks, and how many filings fall due each month.

Every figure is counted by the database (GROUP BY over indexes, see tests/test_query_plans.py),
scoped to the acting person's firm; nothing here loads rows to count them in Python. Dates
are the firm's: "this week" and "this month" are read from the firm's clock (its time zone),
and weeks start on Monday. Bookkeepers get nothing: every call starts with require_staff.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, select

from models import Client, Filing, FilingStatus, Step, TimeEntry, User
from portal.auth import Actor
from portal.db import reads_only
from portal.services import dashboard, display, inputs, scope
from portal.services.dashboard import PersonLoad
from portal.services.errors import NotFound

WEEKS = 12
MONTHS_BACK = 11  # the 11 months before this one, this month, and the next 3
MONTHS_AHEAD = 3
# The time charts show this many people or clients by name, the rest together as "Other".
TOP = 8
OTHER = "Other"

STATUSES = tuple((s.value, display.FILING_STATUS_LABELS[s]) for s in FilingStatus)


@dataclass(frozen=True)
class Series:
    """One colour of a stacked chart: its key in each data point and its name."""

    key: str = ""
    name: str = ""


@dataclass(frozen=True)
class TableRow:
    """One row of a chart's table: its label, then a cell per column (text, as shown)."""

    label: str = ""
    cells: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TimeChart:
    """Minutes per week, stacked by person or by client: the top few by name, the rest as
    "Other". `points` are the chart's data (hours), `rows` its table (h:mm)."""

    series: list[Series] = field(default_factory=list)
    points: list[dict] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[TableRow] = field(default_factory=list)
    total_minutes: int = 0
    week_minutes: list[int] = field(default_factory=list)
    summary: str = ""


@dataclass(frozen=True)
class FilingMonths:
    points: list[dict] = field(default_factory=list)
    rows: list[TableRow] = field(default_factory=list)
    total: int = 0
    period: str = ""
    summary: str = ""


@dataclass(frozen=True)
class Workload:
    today: str = ""
    people: list[PersonLoad] = field(default_factory=list)
    open_total: int = 0
    open_summary: str = ""
    weeks: str = ""
    by_person: TimeChart = field(default_factory=TimeChart)
    by_client: TimeChart = field(default_factory=TimeChart)
    filings: FilingMonths = field(default_factory=FilingMonths)


# The calendar, by the firm's clock.


def week_starts(today: date) -> list[date]:
    """The Mondays of the last WEEKS weeks, oldest first; the last is this week's."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]


def _add_months(first: date, n: int) -> date:
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_starts(today: date) -> list[date]:
    """The first days of the months shown, oldest first: 11 back, this one, 3 ahead."""
    this = today.replace(day=1)
    return [_add_months(this, n) for n in range(-MONTHS_BACK, MONTHS_AHEAD + 1)]


def _bucket(column, starts: Sequence[date]):
    """Which period a date falls in, as its index into `starts` (newest test first): one
    portable CASE, so SQLite and PostgreSQL group alike."""
    return case(
        *[(column >= start, index) for index, start in reversed(list(enumerate(starts)))],
        else_=-1,
    )


def week_label(start: date) -> str:
    return f"{start:%b} {start.day}"


def month_label(start: date) -> str:
    return f"{start:%b} {start.year}"


# The statements, each one GROUP BY the database answers from an index.


def time_by_person_query(actor: Actor, starts: Sequence[date]):
    end = starts[-1] + timedelta(weeks=1)
    week = _bucket(TimeEntry.work_date, starts)
    return (
        select(TimeEntry.user_id, week, func.sum(TimeEntry.minutes))
        .where(
            TimeEntry.firm_id == actor.firm_id,
            TimeEntry.work_date >= starts[0],
            TimeEntry.work_date < end,
        )
        .group_by(TimeEntry.user_id, week)
    )


def _client_time(actor: Actor, starts: Sequence[date]):
    end = starts[-1] + timedelta(weeks=1)
    return (
        select()
        .select_from(TimeEntry)
        .join(Step, Step.id == TimeEntry.step_id)
        .join(Filing, Filing.id == Step.filing_id)
        .where(
            TimeEntry.firm_id == actor.firm_id,
            TimeEntry.work_date >= starts[0],
            TimeEntry.work_date < end,
        )
    )


def time_by_client_query(actor: Actor, starts: Sequence[date], top: int | None = None):
    """Minutes per client and week, in one pass over the firm's time entries: every client
    (the CSV), or only the `top` clients with the most time over the weeks shown (the chart),
    ranked by window functions over the grouped rows."""
    week = _bucket(TimeEntry.work_date, starts)
    grouped = (
        _client_time(actor, starts)
        .add_columns(
            Filing.client_id.label("client_id"),
            week.label("week"),
            func.sum(TimeEntry.minutes).label("minutes"),
        )
        .group_by(Filing.client_id, week)
    )
    if top is None:
        return grouped
    cells = grouped.subquery("cells")
    totals = select(
        cells.c.client_id,
        cells.c.week,
        cells.c.minutes,
        func.sum(cells.c.minutes).over(partition_by=cells.c.client_id).label("total"),
    ).subquery("totals")
    ranked = select(
        totals.c.client_id,
        totals.c.week,
        totals.c.minutes,
        func.dense_rank().over(order_by=(totals.c.total.desc(), totals.c.client_id)).label("place"),
    ).subquery("ranked")
    return (
        select(ranked.c.client_id, ranked.c.week, ranked.c.minutes)
        .where(ranked.c.place <= top)
        .order_by(ranked.c.place, ranked.c.week)
    )


def filings_by_month_query(actor: Actor, starts: Sequence[date]):
    """Filings due in each month shown, by their status now. Naming every status lets the
    (firm, status, due date) index answer each one as a range."""
    end = _add_months(starts[-1], 1)
    month = _bucket(Filing.due_date, starts)
    return (
        select(Filing.status, month, func.count())
        .where(
            Filing.firm_id == actor.firm_id,
            Filing.status.in_([s for s, _ in STATUSES]),
            Filing.due_date >= starts[0],
            Filing.due_date < end,
        )
        .group_by(Filing.status, month)
    )


# Names: only of the people and clients the grouped rows name, and only of this firm.


def _people(session: Session, actor: Actor, ids: Iterable[int]) -> dict[int, User]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    return {
        u.id: u
        for u in session.exec(
            select(User).where(User.firm_id == actor.firm_id, User.id.in_(wanted))
        )
    }


def _clients(session: Session, actor: Actor, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    return dict(
        session.exec(
            select(Client.id, Client.name).where(
                Client.firm_id == actor.firm_id, Client.id.in_(wanted)
            )
        ).all()
    )


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


# The figures.


def open_steps(session: Session, actor: Actor, today: date) -> list[PersonLoad]:
    """Open steps on active filings per person (staff and bookkeepers), by due state: the
    firm home's counts and bars (dashboard.assignee_counts, dashboard.person_loads)."""
    grouped = session.exec(dashboard.assignee_counts(actor, today)).all()
    return dashboard.person_loads(grouped, _people(session, actor, [g[0] for g in grouped]))


def _time_chart(
    names: dict[object, str],
    minutes: dict[tuple[object, int], int],
    starts: Sequence[date],
    chosen: Sequence[object],
    week_totals: list[int],
    what: str,
) -> TimeChart:
    series = [Series(key=f"s{n}", name=names[key]) for n, key in enumerate(chosen)]
    named = [[minutes.get((key, w), 0) for key in chosen] for w in range(len(starts))]
    other = [week_totals[w] - sum(named[w]) for w in range(len(starts))]
    has_other = any(other)
    if has_other:
        series.append(Series(key="other", name=OTHER))
    points, rows = [], []
    for w, start in enumerate(starts):
        values = named[w] + ([other[w]] if has_other else [])
        point: dict = {"label": week_label(start)}
        for s, value in zip(series, values, strict=True):
            point[s.key] = round(value / 60, 2)
        points.append(point)
        rows.append(
            TableRow(
                label=week_label(start),
                cells=[inputs.format_minutes(v) for v in values]
                + [inputs.format_minutes(week_totals[w])],
            )
        )
    total = sum(week_totals)
    summary = (
        f"Bar chart of the time logged each week for the last {WEEKS} weeks, by {what}: "
        f"{inputs.format_minutes(total)} hours in all."
        if total
        else ""
    )
    return TimeChart(
        series=series,
        points=points,
        columns=[s.name for s in series] + ["Total"],
        rows=rows,
        total_minutes=total,
        week_minutes=list(week_totals),
        summary=summary,
    )


def time_by_person(session: Session, actor: Actor, starts: Sequence[date]) -> TimeChart:
    minutes: dict[tuple[object, int], int] = {}
    per_person: dict[int, int] = defaultdict(int)
    week_totals = [0] * len(starts)
    for uid, week, total in session.exec(time_by_person_query(actor, starts)):
        if week < 0:
            continue
        minutes[(uid, week)] = total
        per_person[uid] += total
        week_totals[week] += total
    people = _people(session, actor, per_person)
    chosen = sorted(
        (uid for uid in per_person if uid in people),
        key=lambda uid: (-per_person[uid], people[uid].name.casefold()),
    )[:TOP]
    names = {uid: people[uid].name for uid in chosen}
    return _time_chart(names, minutes, starts, chosen, week_totals, "person")


def time_by_client(
    session: Session, actor: Actor, starts: Sequence[date], week_totals: list[int]
) -> TimeChart:
    minutes: dict[tuple[object, int], int] = {}
    top: list[int] = []  # by most time first, as the query ranks them
    for cid, week, total in session.exec(time_by_client_query(actor, starts, TOP)):
        if cid not in top:
            top.append(cid)
        if week >= 0:
            minutes[(cid, week)] = total
    names = _clients(session, actor, top)
    chosen = [cid for cid in top if cid in names]
    return _time_chart(names, minutes, starts, chosen, week_totals, "client")


def filings_by_month(session: Session, actor: Actor, starts: Sequence[date]) -> FilingMonths:
    counts: dict[tuple[str, int], int] = {}
    for status, month, n in session.exec(filings_by_month_query(actor, starts)):
        if month >= 0:
            counts[(status, month)] = n
    points, rows = [], []
    for m, start in enumerate(starts):
        values = [counts.get((status, m), 0) for status, _ in STATUSES]
        points.append(
            {
                "label": month_label(start),
                **dict(zip([s for s, _ in STATUSES], values, strict=True)),
            }
        )
        rows.append(
            TableRow(label=month_label(start), cells=[str(v) for v in [*values, sum(values)]])
        )
    total = sum(counts.values())
    period = f"{month_label(starts[0])} to {month_label(starts[-1])}"
    summary = (
        f"Bar chart of the filings due each month from {period}, by status: "
        f"{_plural(total, 'filing')} in all."
        if total
        else ""
    )
    return FilingMonths(points=points, rows=rows, total=total, period=period, summary=summary)


@reads_only
def workload(*, session: Session, actor: Actor, now: datetime | None = None) -> Workload:
    """The Workload page: the three charts, each with its table."""
    scope.require_staff(actor)
    today = dashboard.firm_today(session, actor, now)
    people = open_steps(session, actor, today)
    starts = week_starts(today)
    by_person = time_by_person(session, actor, starts)
    return Workload(
        today=display.day(today),
        people=people,
        open_total=sum(p.total for p in people),
        open_summary=dashboard.open_summary(people),
        weeks=f"{week_label(starts[0])} to {display.day(starts[-1] + timedelta(days=6))}",
        by_person=by_person,
        by_client=time_by_client(session, actor, starts, by_person.week_minutes),
        filings=filings_by_month(session, actor, month_starts(today)),
    )


# The CSV files, one per chart: every person, client or month, not only the chart's top few.

CHARTS = ("open-steps", "time-by-person", "time-by-client", "filings-by-month")


@dataclass(frozen=True)
class Export:
    filename: str
    header: tuple[str, ...]
    rows: list[tuple]


@reads_only
def export(*, session: Session, actor: Actor, chart: str, now: datetime | None = None) -> Export:
    """One chart's figures as rows for portal/csv_export.py. An unknown chart is not found."""
    scope.require_staff(actor)
    if chart not in CHARTS:
        raise NotFound
    today = dashboard.firm_today(session, actor, now)
    name = f"workload-{chart}-{today.isoformat()}.csv"
    if chart == "open-steps":
        return Export(
            name,
            ("Person", "Role", "Overdue", "Due soon", "Later", "Open steps"),
            [
                (p.name, p.role_label, p.overdue, p.soon, p.later, p.total)
                for p in open_steps(session, actor, today)
            ],
        )
    if chart == "filings-by-month":
        starts = month_starts(today)
        chart_rows = filings_by_month(session, actor, starts).rows
        return Export(
            name,
            ("Month", *[label for _, label in STATUSES], "Total"),
            [
                (start.strftime("%Y-%m"), *[int(c) for c in row.cells])
                for start, row in zip(starts, chart_rows, strict=True)
            ],
        )
    starts = week_starts(today)
    if chart == "time-by-person":
        grouped = session.exec(time_by_person_query(actor, starts)).all()
        people = _people(session, actor, [g[0] for g in grouped])
        rows = sorted(
            (
                (
                    starts[week].isoformat(),
                    people[uid].name,
                    dashboard.role_label(people[uid]),
                    total,
                )
                for uid, week, total in grouped
                if week >= 0 and uid in people
            ),
            key=lambda r: (r[0], r[1].casefold()),
        )
        return Export(
            name,
            ("Week starting", "Person", "Role", "Minutes", "Hours"),
            [(*r, round(r[3] / 60, 2)) for r in rows],
        )
    grouped = session.exec(time_by_client_query(actor, starts)).all()
    clients = _clients(session, actor, [g[0] for g in grouped])
    rows = sorted(
        (
            (starts[week].isoformat(), clients[cid], total)
            for cid, week, total in grouped
            if week >= 0 and cid in clients
        ),
        key=lambda r: (r[0], r[1].casefold()),
    )
    return Export(
        name,
        ("Week starting", "Client", "Minutes", "Hours"),
        [(*r, round(r[2] / 60, 2)) for r in rows],
    )
