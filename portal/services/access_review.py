"""The access review: who can open which client now, and who could, when and why.

Admins answer the questions an access review asks (the FTC Safeguards Rule expects access to
client data to be reviewed) from two sources that cannot disagree: "now" is the rule itself
(`scope.grants`), and the past is the access ledger, whose rows pair up into periods. A
period is a "granted" row and the next row of the same path (person, client, step, filing),
its revocation, found with LEAD() over the path, so the database pairs them from its own
index range and never hands the whole ledger to Python.

Three views, each a page at a time and each exportable as CSV:
- now: every path the rule grants, by person, client or both;
- history: every period of a person's or a client's access;
- between: the periods that overlapped two calendar days, for a client (and a person).

Dates are calendar days as typed, read in UTC: the time every page of the app shows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import Select, func, literal, or_, tuple_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from models import AccessChange, Client, Filing, Step, User, UserRole
from portal.auth import Actor
from portal.db import reads_only
from portal.services import audit, clients, display, inputs, scope
from portal.services.errors import Invalid, NotFound

# The filters as an export's URL names them (routes.access_review_export), for `review`.
FILTERS = ("view", "person", "client", "start", "end")
PAGE_SIZE = 50
EXPORT_BATCH = 2000
CLIENT_CHOICES = 50
STILL_OPEN = "still open"


class View(StrEnum):
    NOW = "now"
    HISTORY = "history"
    BETWEEN = "between"


@dataclass(frozen=True)
class Review:
    """What an admin asked, checked: the view and its filters."""

    view: View = View.NOW
    person_id: int | None = None
    client_id: int | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class AccessRow:
    key: str = ""
    person: str = ""
    client: str = ""
    step: str = ""
    filing: str = ""
    start_label: str = ""
    began: str = ""
    end_label: str = ""
    ended: str = ""
    # The period in one sentence, as a screen reader or an auditor's note would have it.
    summary: str = ""


@dataclass(frozen=True)
class Choice:
    id: int = 0
    label: str = ""


@dataclass(frozen=True)
class ReviewPage:
    rows: list[AccessRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    people: list[Choice] = field(default_factory=list)
    # The client picker's choices: the search's first matches, and the chosen client.
    clients: list[Choice] = field(default_factory=list)
    caption: str = ""


# --- reading what was asked -----------------------------------------------------------------


def review(
    *,
    view: object = "now",
    person: object = "",
    client: object = "",
    start: object = "",
    end: object = "",
) -> Review:
    """The filters as typed or sent, checked, with a message that says what to fix."""
    try:
        chosen = View(str(view or "now"))
    except ValueError:
        raise Invalid("Choose one of the views: now, history, or between two dates.") from None
    person_id = inputs.record_id(person, label="person") if str(person or "") else None
    client_id = inputs.record_id(client, label="client") if str(client or "") else None
    if chosen is View.HISTORY and person_id is None and client_id is None:
        raise Invalid("Choose a person or a client to see their history of access.")
    first = last = None
    if chosen is View.BETWEEN:
        if client_id is None:
            raise Invalid("Choose the client whose access you are reviewing.")
        first, last = _day(start, "From"), _day(end, "To")
        if first is None or last is None:
            raise Invalid("Enter both days, From and To, as YYYY-MM-DD.")
        if first > last:
            raise Invalid(
                f"From ({display.day(first)}) is after To ({display.day(last)}): swap the two days."
            )
    return Review(chosen, person_id, client_id, first, last)


def _day(value: object, label: str) -> date | None:
    """A typed day; one shaped like a date that no calendar has gets its own message."""
    try:
        return inputs.optional_date(value, label=label)
    except Invalid:
        raw = str(value or "").strip()
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw, re.ASCII):
            raise Invalid(
                f"{label} ({raw}) is not a real date: check the day and the month."
            ) from None
        raise


def _day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """From the start of the first day to the end of the last (exclusive), in UTC."""
    return (
        datetime.combine(first, time(), UTC),
        datetime.combine(last + timedelta(days=1), time(), UTC),
    )


# --- how a cause reads -------------------------------------------------------------------------

_BEGAN = {
    "step.assigned": "assigned “{step}”",
    "step.reassigned": "given “{step}” in a reassignment",
    "step.added": "given the new step “{step}”",
    "filing.reopened": "filing {filing} reopened",
    "login.reactivated": "login reactivated",
    "firm.portal_on": "Bookkeeper Portal turned on",
    "firm.filing_steps_on": "Filing Steps turned on",
    "ledger.opened": "held “{step}” when the access ledger was opened",
    "demo.loaded": "assigned “{step}” in the demo data",
}
_ENDED = {
    "step.reassigned": "“{step}” reassigned to someone else",
    "step.unassigned": "unassigned from “{step}”",
    "step.removed": "step “{step}” removed",
    "filing.filed": "filing {filing} filed",
    "filing.cancelled": "filing {filing} cancelled",
    "login.deactivated": "login deactivated",
    "firm.portal_off": "Bookkeeper Portal turned off",
    "firm.filing_steps_off": "Filing Steps turned off",
}


def cause_text(cause: str, *, granted: bool, step: str, filing: str, actor: str) -> str:
    """ "assigned “Enter Q1 bank transactions” by Sam Patel"; a cause this table does not
    know (one added later) is shown as it is recorded, never dropped."""
    if not cause:
        return ""
    words = (_BEGAN if granted else _ENDED).get(cause) or cause
    text = words.format(step=step, filing=filing)
    return f"{text} by {actor}" if actor else text


# --- the views -------------------------------------------------------------------------------

_ENDER = aliased(User)
_STARTER = aliased(User)


def _now(firm_id: int, review: Review) -> Select:
    """The rule's paths with what they name, in a stable order (person, client, filing, step)."""
    paths = scope.grants(
        firm_id=firm_id,
        user_ids=None if review.person_id is None else [review.person_id],
        client_ids=None if review.client_id is None else [review.client_id],
    ).subquery()
    return (
        select(
            paths.c.user_id,
            User.name.label("person"),
            paths.c.client_id,
            Client.name.label("client"),
            paths.c.step_id,
            Step.title.label("step_title"),
            paths.c.filing_id,
            Filing.kind,
            Filing.period,
        )
        .select_from(paths)
        .join(User, User.id == paths.c.user_id)
        .join(Client, Client.id == paths.c.client_id)
        .join(Step, Step.id == paths.c.step_id)
        .join(Filing, Filing.id == paths.c.filing_id)
    )


def _now_key(statement: Select):
    c = statement.selected_columns
    return (c.person, c.user_id, c.client, c.client_id, c.filing_id, c.step_id)


def _periods(firm_id: int, review: Review):
    """Each grant of the person's or client's ledger with the row after it on its path
    (its end), as one subquery the database answers from the ledger's index on
    (firm_id, user_id, at) or (firm_id, client_id, at)."""
    a = AccessChange
    # The path as expressions, which no index can hand over sorted: else the planner may take
    # the other index (person for client, or client for person) for the order it gives the
    # window, and read the whole firm's ledger through it. Now the filter alone picks it.
    path = (a.user_id + 0, a.client_id + 0, a.step_id, a.filing_id)
    window = {"partition_by": path, "order_by": (a.at, a.id)}
    conditions = [a.firm_id == firm_id]
    if review.person_id is not None:
        conditions.append(a.user_id == review.person_id)
    if review.client_id is not None:
        conditions.append(a.client_id == review.client_id)
    marked = (
        select(
            a.id,
            a.user_id,
            a.client_id,
            a.step_id,
            a.step_title,
            a.filing_id,
            a.change,
            a.cause,
            a.actor_id,
            a.at,
            func.lead(a.at, type_=a.at.type).over(**window).label("end_at"),
            func.lead(a.cause).over(**window).label("end_cause"),
            func.lead(a.actor_id).over(**window).label("end_actor_id"),
        )
        .where(*conditions)
        .subquery("marked")
    )
    periods = select(marked).where(marked.c.change == "granted")
    if review.view is View.BETWEEN:
        since, until = _day_bounds(review.start, review.end)
        periods = periods.where(
            marked.c.at < until, or_(marked.c.end_at.is_(None), marked.c.end_at >= since)
        )
    return periods


def _named(periods) -> Select:
    """A (paged) set of periods with the names they show, joined after the paging so only
    the rows shown are looked up."""
    return (
        select(
            periods.c.id,
            periods.c.user_id,
            User.name.label("person"),
            Client.name.label("client"),
            periods.c.step_id,
            periods.c.step_title,
            Filing.kind,
            Filing.period,
            periods.c.at,
            periods.c.cause,
            _STARTER.name.label("starter"),
            periods.c.end_at,
            periods.c.end_cause,
            _ENDER.name.label("ender"),
        )
        .select_from(periods)
        .join(User, User.id == periods.c.user_id)
        .join(Client, Client.id == periods.c.client_id)
        .join(Filing, Filing.id == periods.c.filing_id)
        .outerjoin(_STARTER, _STARTER.id == periods.c.actor_id)
        .outerjoin(_ENDER, _ENDER.id == periods.c.end_actor_id)
        .order_by(periods.c.at.desc(), periods.c.id.desc())
    )


def _filing_label(kind: str, period: str) -> str:
    return display.filing_title(kind, period)


def _step_label(title: str | None, step_id: int) -> str:
    return title or f"step {step_id} (removed)"


@dataclass(frozen=True)
class _Period:
    key: str
    person: str
    client: str
    step: str
    filing: str
    start: datetime
    began: str
    end: datetime | None
    ended: str

    def row(self) -> AccessRow:
        start, end = display.moment(self.start), display.moment(self.end) or STILL_OPEN
        if self.end is None:
            summary = (
                f"{self.person} can open {self.client} since {start}: {self.began}; still open"
            )
        else:
            summary = (
                f"{self.person} could open {self.client} from {start} to {end}: "
                f"{self.began}; ended: {self.ended}"
            )
        return AccessRow(
            key=self.key,
            person=self.person,
            client=self.client,
            step=self.step,
            filing=self.filing,
            start_label=start,
            began=self.began,
            end_label=end,
            ended=self.ended,
            summary=summary,
        )

    def cells(self) -> list[object]:
        return [
            self.person,
            self.client,
            self.step,
            self.filing,
            _iso(self.start),
            self.began,
            _iso(self.end),
            self.ended,
        ]


def _iso(at: datetime | None) -> str:
    return "" if at is None else f"{at:%Y-%m-%d %H:%M:%S}"


def _period(row) -> _Period:
    step = _step_label(row.step_title, row.step_id)
    filing = _filing_label(row.kind, row.period)
    return _Period(
        key=f"p{row.id}",
        person=row.person,
        client=row.client,
        step=step,
        filing=filing,
        start=row.at,
        began=cause_text(
            row.cause, granted=True, step=step, filing=filing, actor=row.starter or ""
        ),
        end=row.end_at,
        ended=cause_text(
            row.end_cause or "", granted=False, step=step, filing=filing, actor=row.ender or ""
        ),
    )


def _current_periods(session: Session, firm_id: int, rows: Sequence) -> dict[tuple, tuple]:
    """When and how each shown path's current period began: its latest grant in the ledger,
    read for the page's people only (their index range), never for the whole firm."""
    if not rows:
        return {}
    a = AccessChange
    found = session.execute(
        select(a.user_id, a.step_id, a.filing_id, a.at, a.cause, User.name)
        .outerjoin(User, User.id == a.actor_id)
        .where(
            a.firm_id == firm_id,
            a.user_id.in_(sorted({r.user_id for r in rows})),
            a.step_id.in_(sorted({r.step_id for r in rows})),
            a.change == "granted",
        )
        .order_by(a.at, a.id)
    ).all()
    return {(f.user_id, f.step_id, f.filing_id): (f.at, f.cause, f.name or "") for f in found}


def _now_periods(session: Session, firm_id: int, rows: Sequence) -> list[_Period]:
    began = _current_periods(session, firm_id, rows)
    made = []
    for r in rows:
        step, filing = r.step_title, _filing_label(r.kind, r.period)
        at, cause, actor = began.get((r.user_id, r.step_id, r.filing_id), (None, "", ""))
        made.append(
            _Period(
                key=f"n{r.user_id}-{r.step_id}",
                person=r.person,
                client=r.client,
                step=step,
                filing=filing,
                start=at,
                began=cause_text(cause, granted=True, step=step, filing=filing, actor=actor),
                end=None,
                ended="",
            )
        )
    return made


# --- checks ----------------------------------------------------------------------------------


def _check(session: Session, actor: Actor, review: Review) -> tuple[str, str]:
    """Admins only; a person or client of another firm (or none) reads as not found. Returns
    the chosen person's and client's names."""
    scope.require_admin(actor)
    person = client = ""
    if review.person_id is not None:
        person = session.exec(
            select(User.name).where(User.id == review.person_id, User.firm_id == actor.firm_id)
        ).first()
        if person is None:
            raise NotFound
    if review.client_id is not None:
        client = session.exec(
            select(Client.name).where(
                Client.id == review.client_id, Client.firm_id == actor.firm_id
            )
        ).first()
        if client is None:
            raise NotFound
    return person, client


def _caption(review: Review, person: str, client: str) -> str:
    """The view's question in words: the table's heading and caption."""
    if review.view is View.HISTORY:
        return f"Every period of access for {person or client}, newest first"
    if review.view is View.BETWEEN:
        who = f"Whether {person}" if person else "Who"
        days = f"{display.day(review.start)} and {display.day(review.end)}"
        return f"{who} could open {client} between {days}"
    if person and client:
        return f"Whether {person} can open {client} right now, and through which step"
    if person:
        return f"What {person} can open right now, and through which step"
    return f"Who can open {client or 'which client'} right now, and through which step"


# --- the page ----------------------------------------------------------------------------------


@reads_only
def review_page(
    *, session: Session, actor: Actor, review: Review, page: int = 1, client_search: object = ""
) -> ReviewPage:
    """One page of a view, with the pickers' choices. Admins only."""
    search = inputs.line(client_search, label="Client search", max_length=100)
    person, client = _check(session, actor, review)
    firm_id = actor.firm_id
    if review.view is View.NOW:
        statement = _now(firm_id, review)
        total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    else:
        periods = _periods(firm_id, review)
        total = session.exec(select(func.count()).select_from(periods.subquery())).one()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    offset = (page - 1) * PAGE_SIZE
    if review.view is View.NOW:
        shown = session.execute(
            statement.order_by(*_now_key(statement)).offset(offset).limit(PAGE_SIZE)
        ).all()
        made = _now_periods(session, firm_id, shown)
    else:
        paged = (
            periods.order_by(periods.selected_columns.at.desc(), periods.selected_columns.id.desc())
            .offset(offset)
            .limit(PAGE_SIZE)
            .subquery("paged")
        )
        made = [_period(r) for r in session.execute(_named(paged)).all()]
    return ReviewPage(
        rows=[p.row() for p in made],
        total=total,
        page=page,
        pages=pages,
        people=_people(session, firm_id),
        clients=_client_choices(session, firm_id, search, Choice(review.client_id or 0, client)),
        caption=_caption(review, person, client),
    )


def _people(session: Session, firm_id: int) -> list[Choice]:
    """Bookkeepers: the only people whose access follows their steps (staff see the firm).
    Archived logins stay here: their access history is kept and still asked about."""
    found = session.exec(
        select(User.id, User.name, User.is_active, User.archived_at)
        .where(User.firm_id == firm_id, User.role == UserRole.BOOKKEEPER.value)
        .order_by(User.name, User.id)
    ).all()
    return [
        Choice(uid, _listed_name(name, active, archived_at))
        for uid, name, active, archived_at in found
    ]


def _listed_name(name: str, active: bool, archived_at) -> str:
    if archived_at is not None:
        return f"{name} (archived)"
    return name if active else f"{name} (deactivated)"


def _client_choices(session: Session, firm_id: int, search: str, chosen: Choice) -> list[Choice]:
    """The client picker: the first matches of a name search, from the client list's index
    (a firm of 20,000 clients never sends them all to the browser), and the chosen client
    wherever it sorts."""
    statement = select(Client.id, Client.name).where(Client.firm_id == firm_id)
    if search:
        statement = statement.where(clients.search_matches(search))
    found = session.exec(statement.order_by(Client.name_key, Client.id).limit(CLIENT_CHOICES))
    choices = [Choice(cid, name) for cid, name in found.all()]
    if chosen.id and all(c.id != chosen.id for c in choices):
        choices.insert(0, chosen)
    return choices


# --- the CSV -----------------------------------------------------------------------------------

HEADER = (
    "Person",
    "Client",
    "Step",
    "Filing",
    "From (UTC)",
    "How it began",
    "Until (UTC)",
    "How it ended",
)


@dataclass(frozen=True)
class Export:
    filename: str
    header: tuple[str, ...] = HEADER


@dataclass(frozen=True)
class Batch:
    rows: list[list[object]]
    # Where the next batch starts; None when this was the last.
    after: tuple | None


def start_export(*, session: Session, actor: Actor, review: Review) -> Export:
    """Check the export may happen and name its file (the filters are in the name); the
    export itself is recorded in the audit log, as any read of the whole firm's access is."""
    from portal import csv_export

    person, client = _check(session, actor, review)
    parts = ["access", review.view.value, person, client]
    if review.view is View.BETWEEN:
        parts += [review.start.isoformat(), review.end.isoformat()]
    name = csv_export.filename(*parts)
    audit.record(
        session=session,
        actor=actor,
        action="access_review_exported",
        target_type="access",
        client_id=review.client_id,
        detail=name,
    )
    return Export(filename=name)


@reads_only
def export_batch(
    *, session: Session, actor: Actor, review: Review, after: tuple | None = None
) -> Batch:
    """The next rows of an export, after the last one sent: keyset paging in the view's own
    order, so every batch costs the same however deep into the export it is."""
    _check(session, actor, review)
    firm_id = actor.firm_id
    if review.view is View.NOW:
        statement = _now(firm_id, review)
        key = _now_key(statement)
        if after is not None:
            statement = statement.where(tuple_(*key) > _typed(key, after))
        shown = session.execute(statement.order_by(*key).limit(EXPORT_BATCH)).all()
        made = _now_periods(session, firm_id, shown)
        names = [column.name for column in key]
        nxt = (
            None if len(shown) < EXPORT_BATCH else tuple(getattr(shown[-1], name) for name in names)
        )
    else:
        periods = _periods(firm_id, review)
        cols = periods.selected_columns
        if after is not None:
            periods = periods.where(tuple_(cols.at, cols.id) < _typed((cols.at, cols.id), after))
        paged = periods.order_by(cols.at.desc(), cols.id.desc()).limit(EXPORT_BATCH)
        shown = session.execute(_named(paged.subquery("paged"))).all()
        made = [_period(r) for r in shown]
        nxt = None if len(shown) < EXPORT_BATCH else (shown[-1].at, shown[-1].id)
    return Batch(rows=[p.cells() for p in made], after=nxt)


def _typed(columns, values: tuple):
    """A keyset position as bound values of the columns' own types (a datetime bound as
    the ledger stores it, not as a generic one)."""
    return tuple_(*(literal(v, c.type) for c, v in zip(columns, values, strict=True)))
