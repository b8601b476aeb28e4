"""Recurring filings: a filing that repeats monthly, quarterly or yearly gets its next one.

The next filing takes the next period's label ("2026 Q2" then "2026 Q3", "2026-07" then
"2026-08", "2026" then "2027"), the due date one interval later (clamped to the month's end),
and the same template's steps, assigned through the steps service like any assignment.

When it is made is the firm's choice (`Firm.recurring_on`): when the current filing is filed
(`after_filed`, called by `filings.change_status`), or on a schedule, `recurring_days_before`
days before the next due date (`run_schedule`, run by each worker's background pass).

Never twice: the next filing names the filing it follows, under a unique index, and is
written with INSERT .. ON CONFLICT DO NOTHING, so a reopen and refile, a double click, or two
workers at once all end with one next filing.
"""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from models import Filing, FilingStatus, Firm, User, UserRole, utcnow
from portal.auth import Actor
from portal.db import reads_only, unit_of_work
from portal.services import audit, display, filings, firm_time, live, scope, versioned
from portal.services.errors import Invalid

log = logging.getLogger("portal.recurrence")

MONTHLY, QUARTERLY, YEARLY = "monthly", "quarterly", "yearly"
RECURRENCES = (MONTHLY, QUARTERLY, YEARLY)
# For pickers: value, label. "" is a one-off filing.
RECURRENCE_CHOICES = (
    ("", "Does not repeat"),
    (MONTHLY, "Monthly"),
    (QUARTERLY, "Quarterly"),
    (YEARLY, "Yearly"),
)
RECURRENCE_LABELS = dict(RECURRENCE_CHOICES)
_MONTHS_IN = {MONTHLY: 1, QUARTERLY: 3, YEARLY: 12}

ON_FILED, ON_SCHEDULE = "filed", "schedule"
MODES = (ON_FILED, ON_SCHEDULE)
MAX_DAYS_BEFORE = 365


# --- period and date arithmetic ---------------------------------------------------------------

_YEAR = re.compile(r"(?<!\d)((?:19|20|21)\d\d)(?!\d)")
_QUARTER = re.compile(r"(?<![A-Za-z0-9])([Qq])([1-4])(?!\d)")
_YEAR_MONTH = re.compile(r"(?<!\d)((?:19|20|21)\d\d)-(0[1-9]|1[0-2])(?!\d)")
_MONTH_NAMES = [calendar.month_name[m] for m in range(1, 13)]
_MONTH_ABBRS = [calendar.month_abbr[m] for m in range(1, 13)]
_MONTH_WORD = re.compile(
    r"(?<![A-Za-z])(" + "|".join(_MONTH_NAMES + _MONTH_ABBRS) + r")(?![A-Za-z])", re.IGNORECASE
)


def _plus_years(label: str, years: int) -> str:
    return _YEAR.sub(lambda m: str(int(m.group(1)) + years), label)


def next_period(period: str, recurrence: str) -> str:
    """The next period's label, in the same style; Invalid when the label names no period
    of that kind (a quarterly filing needs a quarter and a year: "2026 Q2" or "Q2 2026")."""
    period = period or ""
    if recurrence == YEARLY:
        if not _YEAR.search(period):
            raise Invalid(
                f"A yearly filing's period must name its year (such as 2026); “{period}” does not."
            )
        return _plus_years(period, 1)
    if recurrence == QUARTERLY:
        quarter, year = _QUARTER.search(period), _YEAR.search(period)
        if not (quarter and year):
            raise Invalid(
                "A quarterly filing's period must name its quarter and year, such as 2026 Q2 "
                f"or Q2 2026; “{period}” does not."
            )
        number = int(quarter.group(2))
        wrapped = number == 4
        following = str(1 if wrapped else number + 1)
        text = period[: quarter.start(2)] + following + period[quarter.end(2) :]
        return _plus_years(text, 1) if wrapped else text
    if recurrence == MONTHLY:
        numeric = _YEAR_MONTH.search(period)
        if numeric:
            year, month = int(numeric.group(1)), int(numeric.group(2))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            return period[: numeric.start()] + f"{year}-{month:02d}" + period[numeric.end() :]
        word, year = _MONTH_WORD.search(period), _YEAR.search(period)
        if word and year:
            name = word.group(1)
            full = name.lower() in (n.lower() for n in _MONTH_NAMES)
            names = _MONTH_NAMES if full else _MONTH_ABBRS
            index = [n.lower() for n in names].index(name.lower())
            following = names[(index + 1) % 12]
            text = period[: word.start()] + following + period[word.end() :]
            return _plus_years(text, 1) if index == 11 else text
        raise Invalid(
            "A monthly filing's period must name its month and year, such as 2026-07 or "
            f"July 2026; “{period}” does not."
        )
    raise Invalid("Choose how the filing repeats: monthly, quarterly or yearly.")


def _month_end(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def next_due(due: date, recurrence: str) -> date:
    """One interval later, clamped to the month's end (Jan 31 → Feb 28); a due date on the
    last day of its month stays on the last day (Feb 28 → Mar 31 monthly)."""
    months = _MONTHS_IN[recurrence]
    index = due.year * 12 + due.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = _month_end(year, month)
    if due.day == _month_end(due.year, due.month):
        return date(year, month, last)
    return date(year, month, min(due.day, last))


def parse(value: object) -> str:
    """A recurrence from a form: "" for a one-off filing."""
    text = str(value or "").strip().lower()
    if text and text not in RECURRENCES:
        raise Invalid("Choose how the filing repeats: monthly, quarterly or yearly.")
    return text


def check(period: str, due: date | None, recurrence: str) -> None:
    """Refuse a recurrence the filing cannot follow: its period must name a period of that
    kind, and it needs a due date to set the next one's."""
    if not recurrence:
        return
    next_period(period, recurrence)
    if due is None:
        raise Invalid("A repeating filing needs a due date, to set the next one's due date.")


# --- the filing's recurrence, on the filing page ------------------------------------------------


@dataclass(frozen=True)
class FilingRecurrence:
    recurrence: str = ""
    label: str = ""
    template_name: str = ""
    next_filing_id: int = 0
    next_filing_url: str = ""
    next_filing_title: str = ""
    previous_filing_id: int = 0
    previous_filing_url: str = ""
    previous_filing_title: str = ""
    # What happens next, in words: "The next filing (2026 Q3) is made when this one is filed."
    plan: str = ""


@reads_only
def filing_recurrence(*, session: Session, actor: Actor, filing_id: int) -> FilingRecurrence:
    """How a filing repeats, and its neighbours in the series: staff only."""
    scope.require_staff(actor)
    filing = filings.load(session, actor, filing_id)
    return _describe(session, filing)


def _describe(session: Session, filing: Filing) -> FilingRecurrence:
    from models import FilingTemplate
    from portal import routes

    template_name = ""
    if filing.template_id:
        template_name = (
            session.exec(
                select(FilingTemplate.name).where(
                    FilingTemplate.id == filing.template_id,
                    FilingTemplate.firm_id == filing.firm_id,
                )
            ).first()
            or ""
        )
    following = session.exec(
        select(Filing.id, Filing.kind, Filing.period).where(Filing.previous_filing_id == filing.id)
    ).first()
    previous = None
    if filing.previous_filing_id:
        previous = session.exec(
            select(Filing.id, Filing.kind, Filing.period).where(
                Filing.id == filing.previous_filing_id, Filing.firm_id == filing.firm_id
            )
        ).first()
    plan = ""
    if filing.recurrence and following is None:
        try:
            label = next_period(filing.period, filing.recurrence)
        except Invalid as exc:
            plan = f"No next filing can be made: {exc.message}"
        else:
            firm = session.get(Firm, filing.firm_id)
            when = "when this one is filed"
            if firm.recurring_on == ON_SCHEDULE and filing.due_date:
                at = next_due(filing.due_date, filing.recurrence) - timedelta(
                    days=firm.recurring_days_before
                )
                when = f"on {display.day(at)}, {firm.recurring_days_before} days before it is due"
            plan = f"The next filing ({label}) is made {when}."
    return FilingRecurrence(
        recurrence=filing.recurrence,
        label=RECURRENCE_LABELS.get(filing.recurrence, filing.recurrence),
        template_name=template_name,
        next_filing_id=following.id if following else 0,
        next_filing_url=routes.filing(following.id) if following else "",
        next_filing_title=display.filing_title(following.kind, following.period)
        if following
        else "",
        previous_filing_id=previous.id if previous else 0,
        previous_filing_url=routes.filing(previous.id) if previous else "",
        previous_filing_title=display.filing_title(previous.kind, previous.period)
        if previous
        else "",
        plan=plan,
    )


def set_recurrence(
    *,
    session: Session,
    actor: Actor,
    filing_id: int,
    recurrence: object,
    seen: object,
) -> str:
    """Change how a filing repeats, over what the page showed (`seen`)."""
    scope.require_staff(actor)
    filing = filings.load(session, actor, filing_id)
    live.changed(session, filing_id=filing.id, client_id=filing.client_id)
    wanted = parse(recurrence)
    check(filing.period, filing.due_date, wanted)
    changed = versioned.save_changes(
        session,
        Filing,
        filing.id,
        actor=actor,
        seen={"recurrence": parse(seen)},
        wanted={"recurrence": wanted},
        labels={"recurrence": "Repeats"},
        what="this filing",
        show=lambda _name, value: RECURRENCE_LABELS.get(value, str(value)),
        picked=True,
    )
    if changed:
        audit.record(
            session=session,
            actor=actor,
            action="filing_updated",
            target_type="filing",
            target_id=filing.id,
            client_id=filing.client_id,
            detail=f"Repeats: {RECURRENCE_LABELS[wanted]}",
        )
    return wanted


# --- the firm's choice ------------------------------------------------------------------------


@dataclass(frozen=True)
class FirmSetting:
    recurring_on: str = ON_FILED
    days_before: int = 30


@reads_only
def firm_setting(*, session: Session, actor: Actor) -> FirmSetting:
    scope.require_admin(actor)
    firm = session.get(Firm, actor.firm_id)
    return FirmSetting(recurring_on=firm.recurring_on, days_before=firm.recurring_days_before)


def set_firm_setting(
    *, session: Session, actor: Actor, recurring_on: object, days_before: object
) -> FirmSetting:
    """Admins only: when every recurring filing of the firm gets its next one."""
    scope.require_admin(actor)
    mode = str(recurring_on or "").strip()
    if mode not in MODES:
        raise Invalid("Choose when the next filing is made: when filed, or on a schedule.")
    raw = str(days_before if days_before is not None else "").strip()
    if not raw.isascii() or not raw.isdigit() or not 0 <= int(raw) <= MAX_DAYS_BEFORE:
        raise Invalid(
            f"Days before the due date: enter a whole number from 0 to {MAX_DAYS_BEFORE}."
        )
    days = int(raw)
    firm = session.get(Firm, actor.firm_id)
    if (firm.recurring_on, firm.recurring_days_before) != (mode, days):
        firm.recurring_on = mode
        firm.recurring_days_before = days
        session.add(firm)
        audit.record(
            session=session,
            actor=actor,
            action="firm_recurring_changed",
            target_type="firm",
            target_id=firm.id,
            detail="when filed" if mode == ON_FILED else f"{days} days before the due date",
        )
    return FirmSetting(recurring_on=mode, days_before=days)


# --- making the next filing -------------------------------------------------------------------


def after_filed(*, session: Session, actor: Actor, filing: Filing) -> int | None:
    """Called by `filings.change_status` once a filing is filed: the next period's filing,
    when the filing repeats and the firm makes next filings when one is filed."""
    if not filing.recurrence:
        return None
    firm = session.get(Firm, filing.firm_id)
    if firm.recurring_on != ON_FILED:
        return None
    return create_next(session, actor=actor, filing=filing)


def _insert(session: Session):
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert


def create_next(session: Session, *, actor: Actor, filing: Filing) -> int | None:
    """The filing that follows `filing`, with its template's steps; None when it already
    exists (or the period names no next one, which is audited and leaves the filing be)."""
    from portal.services import templates

    if session.exec(select(Filing.id).where(Filing.previous_filing_id == filing.id)).first():
        return None
    try:
        period = next_period(filing.period, filing.recurrence)
    except Invalid as exc:
        audit.record(
            session=session,
            actor=actor,
            action="recurring_skipped",
            target_type="filing",
            target_id=filing.id,
            client_id=filing.client_id,
            detail=exc.message,
        )
        return None
    due = next_due(filing.due_date, filing.recurrence) if filing.due_date else None
    now = utcnow()
    inserted = session.execute(
        _insert(session)(Filing)
        .values(
            firm_id=filing.firm_id,
            client_id=filing.client_id,
            kind=filing.kind,
            period=period,
            due_date=due,
            status=FilingStatus.OPEN.value,
            reviewer_id=filing.reviewer_id,
            approver_id=filing.approver_id,
            created_at=now,
            updated_at=now,
            updated_by_id=actor.user_id,
            version=1,
            recurrence=filing.recurrence,
            template_id=filing.template_id,
            previous_filing_id=filing.id,
        )
        .on_conflict_do_nothing(index_elements=["previous_filing_id"])
        .returning(Filing.id)
    )
    created_id = inserted.scalar()
    if created_id is None:
        return None  # another transaction made it first
    created = session.get(Filing, created_id)
    live.changed(session, client_id=created.client_id)
    audit.record(
        session=session,
        actor=actor,
        action="filing_created",
        target_type="filing",
        target_id=created.id,
        client_id=created.client_id,
        detail=(
            f"{display.filing_title(created.kind, created.period)}: recurring from "
            f"{display.filing_title(filing.kind, filing.period)} (filing {filing.id})"
        ),
    )
    if created.template_id:
        templates.apply_steps(session, actor=actor, filing=created)
    return created.id


# --- the schedule -----------------------------------------------------------------------------

_Next = aliased(Filing)


def _acting_for(session: Session, filing: Filing, firm: Firm) -> Actor | None:
    """Whom a scheduled next filing is made as: the last person who changed the filing, while
    they are active staff, else the firm's first active admin."""
    candidates = [filing.updated_by_id] if filing.updated_by_id else []
    for user_id in candidates:
        user = session.get(User, user_id)
        if user and user.firm_id == firm.id and user.is_active and user.role in scope.STAFF_ROLES:
            break
    else:
        user = session.exec(
            select(User)
            .where(
                User.firm_id == firm.id,
                User.is_active.is_(True),
                User.role == UserRole.ADMIN.value,
            )
            .order_by(User.id)
        ).first()
    if user is None:
        return None
    return Actor(
        user_id=user.id,
        firm_id=firm.id,
        role=user.role,
        name=user.name,
        email=user.email,
        session_id=0,
        must_change_password=False,
        firm_name=firm.name,
        ip="schedule",
    )


def schedule_query(firm_id: int, bound: date):
    """A firm's recurring filings due by `bound` that have no next filing yet, from the
    (firm, recurrence, due date) index and the unique index on the filing followed."""
    return select(Filing.id, Filing.due_date, Filing.recurrence).where(
        Filing.firm_id == firm_id,
        Filing.recurrence.in_(RECURRENCES),
        Filing.due_date <= bound,
        Filing.status != FilingStatus.CANCELLED.value,
        ~exists(select(_Next.id).where(_Next.previous_filing_id == Filing.id)),
    )


def due_on_schedule(session: Session, firm: Firm, today: date) -> list[int]:
    """The firm's recurring filings whose next filing is due to be made by `today`."""
    bound = today + timedelta(days=firm.recurring_days_before)
    rows = session.exec(schedule_query(firm.id, bound)).all()
    return [
        filing_id
        for filing_id, due, recurrence in rows
        if next_due(due, recurrence) - timedelta(days=firm.recurring_days_before) <= today
    ]


def run_schedule(*, now: datetime | None = None) -> int:
    """Make the next filings that have come due in every firm that makes them on a schedule,
    each in its own transaction. Run by every worker's background pass: the unique index
    makes two workers at once make one filing. Returns the number made."""
    now = now or utcnow()
    made = 0
    with unit_of_work() as session:
        firms = session.exec(select(Firm).where(Firm.recurring_on == ON_SCHEDULE)).all()
        work = [
            (firm.id, filing_id)
            for firm in firms
            for filing_id in due_on_schedule(
                session, firm, firm_time.local_date(firm.time_zone, now)
            )
        ]
    for firm_id, filing_id in work:
        try:
            with unit_of_work() as session:
                firm = session.get(Firm, firm_id)
                filing = session.get(Filing, filing_id)
                actor = _acting_for(session, filing, firm)
                if actor is None:
                    log.warning("no active admin to make the next filing of %s", filing_id)
                    continue
                if create_next(session, actor=actor, filing=filing):
                    made += 1
        except Exception:
            log.exception("the next filing of %s failed; the next pass tries again", filing_id)
    return made
