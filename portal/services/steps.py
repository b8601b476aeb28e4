"""Filing Steps: the tasks a filing is split into, and the work recorded on each.

Every function loads its step through `scope.step_visible`, so staff reach any step of their
firm and a bookkeeper only their own steps on active filings, and anything else is NotFound.
Ticks, time entries and comments are separate rows changed one at a time, and step edits
carry a version, so two people working on one step never wipe each other's work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import bindparam, delete, func, update
from sqlmodel import Session, select

from models import (
    ACTIVE_FILING_STATUSES,
    ChecklistItem,
    Filing,
    Firm,
    Step,
    StepComment,
    StepStatus,
    TimeEntry,
    User,
    UserRole,
    utcnow,
)
from portal.auth import Actor
from portal.services import (
    access_changes,
    audit,
    display,
    filings,
    inputs,
    live,
    notifications,
    people,
    scope,
    versioned,
)
from portal.services.errors import Conflict, Invalid, NotFound
from portal.services.statements import built

EARLIEST_WORK_DATE = date(2000, 1, 1)


@dataclass(frozen=True)
class ChecklistView:
    id: int = 0
    label: str = ""
    is_done: bool = False
    done_by: str = ""


@dataclass(frozen=True)
class TimeView:
    id: int = 0
    minutes: int = 0
    minutes_label: str = ""
    work_date_iso: str = ""
    work_date_label: str = ""
    note: str = ""
    person: str = ""
    mine: bool = False


@dataclass(frozen=True)
class CommentView:
    id: int = 0
    author: str = ""
    author_role: str = ""
    body: str = ""
    at_label: str = ""


@dataclass(frozen=True)
class StepView:
    id: int = 0
    filing_id: int = 0
    title: str = ""
    description: str = ""
    assignee_id: int = 0
    assignee_name: str = ""
    assignee_is_bookkeeper: bool = False
    due_iso: str = ""
    due_label: str = ""
    deadline_label: str = ""
    due_state: str = ""
    status: str = ""
    status_label: str = ""
    waiting_reason: str = ""
    position: int = 0
    version: int = 0
    checklist: list[ChecklistView] = field(default_factory=list)
    checklist_done: int = 0
    time: list[TimeView] = field(default_factory=list)
    total_time_label: str = "0:00"
    comments: list[CommentView] = field(default_factory=list)


_LOAD = built(lambda rule: select(Step).where(Step.id == bindparam("step_id"), rule))
_LOAD_ITEM = built(
    lambda rule: (
        select(ChecklistItem, Step.filing_id)
        .join(Step, Step.id == ChecklistItem.step_id)
        .where(ChecklistItem.id == bindparam("item_id"), rule)
    )
)


def load(session: Session, actor: Actor, step_id: int) -> Step:
    step = session.exec(_LOAD(scope.step_visible(actor)), params={"step_id": step_id}).first()
    if step is None:
        raise NotFound
    return step


def _changing(session: Session, actor: Actor, step_id: int, *, listed: bool = False) -> Step:
    """A step loaded to change it: the pages that show it (its filing's, its task page and,
    for what My Tasks lists, `listed`: status, title, due date, the assignee, the assignee's
    task list) load again once the change has committed."""
    step = load(session, actor, step_id)
    assignee = [step.assignee_id] if listed else []
    live.changed(session, users=assignee, filing_id=step.filing_id, step_id=step.id)
    return step


# What a step's view shows of its checklist, time and comments, and of the people named:
# columns only (no ORM objects to build), for any number of steps in one bound list.
_IDS = bindparam("ids", expanding=True)
_CHECKLIST = (
    select(
        ChecklistItem.step_id,
        ChecklistItem.id,
        ChecklistItem.label,
        ChecklistItem.is_done,
        ChecklistItem.done_by_id,
    )
    .where(ChecklistItem.step_id.in_(_IDS))
    .order_by(ChecklistItem.position, ChecklistItem.id)
)
_TIME = (
    select(
        TimeEntry.step_id,
        TimeEntry.id,
        TimeEntry.minutes,
        TimeEntry.work_date,
        TimeEntry.note,
        TimeEntry.user_id,
    )
    .where(TimeEntry.step_id.in_(_IDS))
    .order_by(TimeEntry.work_date, TimeEntry.id)
)
_COMMENTS = (
    select(
        StepComment.step_id,
        StepComment.id,
        StepComment.author_id,
        StepComment.body,
        StepComment.created_at,
    )
    .where(StepComment.step_id.in_(_IDS))
    .order_by(StepComment.created_at, StepComment.id)
)
_PEOPLE = select(User.id, User.name, User.role).where(User.id.in_(_IDS))


# A filing's steps as the views read them: the columns, not ORM rows.
_FILING_STEPS = built(
    lambda visible: (
        select(
            Step.id,
            Step.filing_id,
            Step.title,
            Step.description,
            Step.assignee_id,
            Step.due_date,
            Step.status,
            Step.waiting_reason,
            Step.position,
            Step.version,
        )
        .where(Step.filing_id == bindparam("filing_id"), visible)
        .order_by(Step.position, Step.id)
    )
)


def views(
    session: Session, actor: Actor, steps: list[Step], today: date | None = None
) -> list[StepView]:
    """Display shapes for steps, in four queries however many steps there are."""
    today = today or date.today()
    ids = [s.id for s in steps]
    if not ids:
        return []
    user_ids = {s.assignee_id for s in steps if s.assignee_id}
    checklist: dict[int, list] = defaultdict(list)
    for item in session.execute(_CHECKLIST, {"ids": ids}):
        checklist[item.step_id].append(item)
        if item.done_by_id:
            user_ids.add(item.done_by_id)
    entries: dict[int, list] = defaultdict(list)
    for entry in session.execute(_TIME, {"ids": ids}):
        entries[entry.step_id].append(entry)
        user_ids.add(entry.user_id)
    comments: dict[int, list] = defaultdict(list)
    for comment in session.execute(_COMMENTS, {"ids": ids}):
        comments[comment.step_id].append(comment)
        user_ids.add(comment.author_id)
    users = {u.id: u for u in session.execute(_PEOPLE, {"ids": list(user_ids or {0})})}

    def name(user_id: int | None) -> str:
        return users[user_id].name if user_id in users else ""

    result = []
    for s in steps:
        assignee = users.get(s.assignee_id)
        items = checklist[s.id]
        spent = entries[s.id]
        result.append(
            StepView(
                id=s.id,
                filing_id=s.filing_id,
                title=s.title,
                description=s.description,
                assignee_id=s.assignee_id or 0,
                assignee_name=assignee.name if assignee else "",
                assignee_is_bookkeeper=bool(assignee and assignee.role == UserRole.BOOKKEEPER),
                due_iso=s.due_date.isoformat() if s.due_date else "",
                due_label=display.due_label(s.due_date, s.status, today),
                deadline_label=display.deadline_label(s.due_date, s.status, today),
                due_state=display.due_state(s.due_date, s.status, today),
                status=s.status,
                status_label=display.STEP_STATUS_LABELS.get(s.status, s.status),
                waiting_reason=s.waiting_reason,
                position=s.position,
                version=s.version,
                checklist=[
                    ChecklistView(
                        id=i.id, label=i.label, is_done=i.is_done, done_by=name(i.done_by_id)
                    )
                    for i in items
                ],
                checklist_done=sum(1 for i in items if i.is_done),
                time=[
                    TimeView(
                        id=e.id,
                        minutes=e.minutes,
                        minutes_label=inputs.format_minutes(e.minutes),
                        work_date_iso=e.work_date.isoformat(),
                        work_date_label=display.day(e.work_date),
                        note=e.note,
                        person=name(e.user_id),
                        mine=e.user_id == actor.user_id,
                    )
                    for e in spent
                ],
                total_time_label=inputs.format_minutes(sum(e.minutes for e in spent)),
                comments=[
                    CommentView(
                        id=c.id,
                        author=name(c.author_id),
                        author_role=display.ROLE_LABELS.get(
                            users[c.author_id].role if c.author_id in users else "", ""
                        ),
                        body=c.body,
                        at_label=display.moment(c.created_at),
                    )
                    for c in comments[s.id]
                ],
            )
        )
    return result


def steps_for_filing(*, session: Session, actor: Actor, filing_id: int) -> list[StepView]:
    """All steps of a filing: the staff view of the Filing Steps module."""
    scope.require_staff(actor)
    return steps_on(session, actor, filings.load(session, actor, filing_id))


def steps_on(session: Session, actor: Actor, filing: Filing) -> list[StepView]:
    """The steps of a filing the caller has already loaded through the scope rule (a page
    that shows the filing loads it once, not once per part)."""
    rows = session.execute(_FILING_STEPS(scope.step_visible(actor)), {"filing_id": filing.id})
    return views(session, actor, list(rows))


def get_step(*, session: Session, actor: Actor, step_id: int) -> StepView:
    return views(session, actor, [load(session, actor, step_id)])[0]


def _title(value: object) -> str:
    return inputs.line(value, label="Step title", max_length=200, required=True)


def _description(value: object) -> str:
    return inputs.long_text(value, label="Description", max_length=5000)


def _client_of(session: Session, step: Step) -> int:
    return session.exec(select(Filing.client_id).where(Filing.id == step.filing_id)).one()


def _audit(session: Session, actor: Actor, action: str, step: Step, detail: str = "") -> None:
    client_id = _client_of(session, step)
    audit.record(
        session=session,
        actor=actor,
        action=action,
        target_type="step",
        target_id=step.id,
        client_id=client_id,
        detail=detail or step.title,
    )


def add_step(
    *,
    session: Session,
    actor: Actor,
    filing_id: int,
    title: object,
    due_date: object = "",
    assignee_id: int | None = None,
    description: object = "",
) -> int:
    scope.require_staff(actor)
    filing = filings.load(session, actor, filing_id)
    if not session.get(Firm, actor.firm_id).filing_steps_enabled:
        raise Invalid(
            "Filing Steps is turned off for your firm. An admin can turn it on in Settings."
        )
    if filing.status not in ACTIVE_FILING_STATUSES:
        raise Invalid("This filing is closed. Reopen it to add steps.")
    step = Step(
        firm_id=filing.firm_id,
        filing_id=filing.id,
        title=_title(title),
        description=_description(description),
        due_date=inputs.optional_date(due_date),
        status=StepStatus.TODO,
        assignee_id=people.assignable(session, actor, assignee_id).id if assignee_id else None,
        updated_by_id=actor.user_id,
    )
    last = session.exec(select(func.max(Step.position)).where(Step.filing_id == filing.id)).one()
    step.position = 0 if last is None else last + 1
    live.changed(session, users=[step.assignee_id], filing_id=filing.id)
    with access_changes.tracking(
        session,
        actor=actor,
        cause="step.added",
        firm_id=filing.firm_id,
        client_ids=[filing.client_id],
    ):
        session.add(step)
    _audit(session, actor, "step_created", step)
    # A filing is in review only while all its steps are done.
    from portal.services import review

    review.work_reopened(session, actor, filing.id, f"“{step.title}” was added by {actor.name}")
    if step.assignee_id:
        _audit(session, actor, "step_assigned", step, f"{step.title}: to user {step.assignee_id}")
        notifications.step_assigned(
            session, actor=actor, step_id=step.id, assignee_id=step.assignee_id
        )
    return step.id


FIELD_LABELS = {"title": "Title", "description": "Description", "due_date": "Due date"}


def edit_values(step: StepView) -> dict[str, str]:
    """What a step editor shows: the "seen" side of a later save."""
    return {"title": step.title, "description": step.description, "due_date": step.due_iso}


def edit_step(
    *,
    session: Session,
    actor: Actor,
    step_id: int,
    title: object,
    description: object,
    due_date: object,
    seen: Mapping[str, object],
) -> None:
    """Title, description and due date: each saved only over what the editor saw, so an
    assignment or a status change in the meantime never conflicts with it (see versioned)."""
    scope.require_staff(actor)
    step = _changing(session, actor, step_id, listed=True)
    changed = versioned.save_changes(
        session,
        Step,
        step.id,
        actor=actor,
        seen={
            "title": str(seen.get("title") or ""),
            "description": str(seen.get("description") or ""),
            "due_date": versioned.seen_date(seen.get("due_date")),
        },
        wanted={
            "title": _title(title),
            "description": _description(description),
            "due_date": inputs.optional_date(due_date),
        },
        labels=FIELD_LABELS,
        what="this step",
    )
    session.refresh(step)
    if changed:
        _audit(session, actor, "step_updated", step, f"{step.title}: due {step.due_date or 'none'}")


def move_step(*, session: Session, actor: Actor, step_id: int, direction: str) -> None:
    scope.require_staff(actor)
    step = _changing(session, actor, step_id)
    ordered = list(
        session.exec(
            select(Step).where(Step.filing_id == step.filing_id).order_by(Step.position, Step.id)
        )
    )
    index = next(i for i, s in enumerate(ordered) if s.id == step.id)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered):
        if item.position != position:
            item.position = position
            session.add(item)


def remove_step(*, session: Session, actor: Actor, step_id: int) -> None:
    """Remove a step that holds no recorded time; its checklist and comments go with it."""
    scope.require_staff(actor)
    step = _changing(session, actor, step_id, listed=True)
    logged = session.exec(select(func.count()).where(TimeEntry.step_id == step.id)).one()
    if logged:
        raise Invalid(
            "This step has time logged against it, so removing it would lose that time. "
            "Mark it done instead."
        )
    _audit(session, actor, "step_removed", step)
    with access_changes.tracking(
        session,
        actor=actor,
        cause="step.removed",
        firm_id=step.firm_id,
        client_ids=[_client_of(session, step)],
    ):
        session.execute(delete(ChecklistItem).where(ChecklistItem.step_id == step.id))
        session.execute(delete(StepComment).where(StepComment.step_id == step.id))
        session.delete(step)


_UNCHECKED = object()


def assign_step(
    *,
    session: Session,
    actor: Actor,
    step_id: int,
    assignee_id: int | None,
    expected_assignee_id: int | object | None = _UNCHECKED,
) -> None:
    """Assign, reassign or unassign, over the assignee the page showed. For a bookkeeper
    this is what grants or ends access, so two people assigning at once must not both be
    told they won: the second is refused and told who holds the step now."""
    scope.require_staff(actor)
    step = _changing(session, actor, step_id, listed=True)
    before = step.assignee_id if expected_assignee_id is _UNCHECKED else expected_assignee_id
    person = people.assignable(session, actor, assignee_id) if assignee_id else None
    after = person.id if person else None
    live.changed(session, users=[after])
    how = "assigned" if before is None else "unassigned" if after is None else "reassigned"
    with access_changes.tracking(
        session,
        actor=actor,
        cause=f"step.{how}",
        firm_id=step.firm_id,
        client_ids=[_client_of(session, step)],
    ):
        changed = versioned.save_changes(
            session,
            Step,
            step.id,
            actor=actor,
            seen={"assignee_id": before},
            wanted={"assignee_id": after},
            labels={"assignee_id": "It"},
            what="this step's assignee",
            show=lambda _name, value: "assigned to " + people.name_of(session, actor, value),
            picked=True,
        )
    if not changed:
        return
    action = f"step_{how}"
    _audit(session, actor, action, step, f"{step.title}: from user {before} to user {after}")
    if after is not None:
        notifications.step_assigned(session, actor=actor, step_id=step.id, assignee_id=after)


def set_status(
    *,
    session: Session,
    actor: Actor,
    step_id: int,
    status: str,
    reason: object = "",
    expected: str | None = None,
) -> None:
    """Status, from the one the person saw (`expected`): two people moving one step at once
    cannot both believe theirs holds."""
    step = _changing(session, actor, step_id, listed=True)
    try:
        new = StepStatus(status)
    except ValueError:
        raise Invalid("Choose a status from the list.") from None
    waiting_reason = ""
    if new == StepStatus.WAITING_ON_CLIENT:
        waiting_reason = inputs.long_text(
            reason, label="What you are waiting for", max_length=1000, required=True
        )
    conditions = [Step.id == step.id]
    if expected is not None and expected != new.value:
        conditions.append(Step.status == str(expected))
    result = session.execute(
        update(Step)
        .where(*conditions)
        .values(
            status=new.value,
            waiting_reason=waiting_reason,
            updated_at=utcnow(),
            updated_by_id=actor.user_id,
        )
    )
    if result.rowcount != 1:
        session.refresh(step)
        label = display.STEP_STATUS_LABELS.get(step.status, step.status)
        raise Conflict(
            f"{versioned.changed_by(session, step)} set this step to “{label}” "
            f"{versioned.changed_when(step)}, so your change was not made. The page now shows "
            "it as it is.",
            fields=("status",),
        )
    _audit(session, actor, "step_status", step, f"{step.title}: {new.value}")
    if new != StepStatus.DONE:
        # A filing is in review only while all its steps are done.
        from portal.services import review

        label = display.STEP_STATUS_LABELS.get(new, new.value)
        review.work_reopened(
            session, actor, step.filing_id, f"“{step.title}” was set to “{label}” by {actor.name}"
        )


def add_checklist_item(*, session: Session, actor: Actor, step_id: int, label: object) -> None:
    scope.require_staff(actor)
    step = _changing(session, actor, step_id)
    last = session.exec(
        select(func.max(ChecklistItem.position)).where(ChecklistItem.step_id == step.id)
    ).one()
    session.add(
        ChecklistItem(
            firm_id=step.firm_id,
            step_id=step.id,
            label=inputs.line(label, label="Checklist item", max_length=300, required=True),
            position=0 if last is None else last + 1,
        )
    )


def _load_item(session: Session, actor: Actor, item_id: int) -> ChecklistItem:
    row = session.exec(_LOAD_ITEM(scope.step_visible(actor)), params={"item_id": item_id}).first()
    if row is None:
        raise NotFound
    item, filing_id = row
    live.changed(session, filing_id=filing_id, step_id=item.step_id)
    return item


@dataclass(frozen=True)
class Tick:
    """A checklist item as it is after a tick: enough for a page to update that one line."""

    step_id: int
    item: ChecklistView


def set_checklist_item(*, session: Session, actor: Actor, item_id: int, done: bool) -> Tick:
    """Tick or untick one item. The value is explicit, never a toggle, so two people ticking
    the same item at once agree instead of flipping it back."""
    item = _load_item(session, actor, item_id)
    session.execute(
        update(ChecklistItem)
        .where(ChecklistItem.id == item.id)
        .values(
            is_done=bool(done),
            done_by_id=actor.user_id if done else None,
            done_at=utcnow() if done else None,
        )
    )
    return Tick(
        step_id=item.step_id,
        item=ChecklistView(
            id=item.id, label=item.label, is_done=bool(done), done_by=actor.name if done else ""
        ),
    )


def with_tick(step: StepView, tick: Tick) -> StepView:
    """The step as shown, with one item replaced by its ticked state."""
    checklist = [tick.item if entry.id == tick.item.id else entry for entry in step.checklist]
    return replace(
        step, checklist=checklist, checklist_done=sum(1 for entry in checklist if entry.is_done)
    )


def remove_checklist_item(*, session: Session, actor: Actor, item_id: int) -> None:
    scope.require_staff(actor)
    session.delete(_load_item(session, actor, item_id))


def _work_date(value: object) -> date:
    worked = inputs.required_date(value, label="Date")
    if worked > date.today():
        raise Invalid("The date cannot be in the future.")
    if worked < EARLIEST_WORK_DATE:
        raise Invalid("That date is too far in the past.")
    return worked


def log_time(
    *,
    session: Session,
    actor: Actor,
    step_id: int,
    minutes: object,
    work_date: object,
    note: object = "",
) -> None:
    step = _changing(session, actor, step_id)
    session.add(
        TimeEntry(
            firm_id=step.firm_id,
            step_id=step.id,
            user_id=actor.user_id,
            minutes=inputs.minutes(minutes),
            work_date=_work_date(work_date),
            note=inputs.line(note, label="Note", max_length=500),
        )
    )


def _own_entry(session: Session, actor: Actor, entry_id: int) -> TimeEntry:
    """A person's own time entry on a step they can see: nobody edits anyone else's time."""
    entry = session.exec(
        select(TimeEntry, Step.filing_id)
        .join(Step, Step.id == TimeEntry.step_id)
        .where(
            TimeEntry.id == entry_id,
            TimeEntry.user_id == actor.user_id,
            scope.step_visible(actor),
        )
    ).first()
    if entry is None:
        raise NotFound
    entry, filing_id = entry
    live.changed(session, filing_id=filing_id, step_id=entry.step_id)
    return entry


def update_time_entry(
    *,
    session: Session,
    actor: Actor,
    entry_id: int,
    minutes: object,
    work_date: object,
    note: object = "",
) -> None:
    entry = _own_entry(session, actor, entry_id)
    entry.minutes = inputs.minutes(minutes)
    entry.work_date = _work_date(work_date)
    entry.note = inputs.line(note, label="Note", max_length=500)
    entry.updated_at = utcnow()
    session.add(entry)


def delete_time_entry(*, session: Session, actor: Actor, entry_id: int) -> None:
    session.delete(_own_entry(session, actor, entry_id))


def add_comment(*, session: Session, actor: Actor, step_id: int, body: object) -> None:
    step = _changing(session, actor, step_id)
    session.add(
        StepComment(
            firm_id=step.firm_id,
            step_id=step.id,
            author_id=actor.user_id,
            body=inputs.long_text(body, label="Comment", max_length=5000, required=True),
        )
    )
