"""Review and sign-off: a filing whose steps are all done goes to its reviewer, who approves
it or returns it with a note (reopening the steps they name); the approver then signs it off,
and only then can it be filed.

The stage is kept on the filing (`review_stage`), beside its status, which stays "in_review"
all through review: the access rule reads the status, so bookkeepers keep their access while
their work is reviewed. Who must act depends on who the filing names:

- reviewer and approver: sent -> awaiting_review -> approved -> signed_off -> filed;
- reviewer only: approval is enough to file;
- approver only: sending goes straight to the approver's sign-off (stage "approved");
- neither: no review; the filing is filed directly, as before review existed.

Every transition is one conditional UPDATE from the round the person saw (`review_version`,
bumped by each transition), so two people acting at once cannot both succeed, and the one
who loses is told who got there first. Each is audited and added to the filing's timeline
(`filing_event`, read by its index on the filing: the audit log has no index on its target).

A filing is in review only while all its steps are done: a step set back to open, or a step
added, sends it back to open and clears any approval; so does changing the reviewer or
approver of an approved or signed-off filing (the review starts again with them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, bindparam, case, exists, literal, or_, union_all, update
from sqlmodel import Session, select

from models import (
    Client,
    Filing,
    FilingEvent,
    FilingStatus,
    Firm,
    ReviewStage,
    Step,
    StepStatus,
    User,
    UserRole,
    utcnow,
)
from portal import routes
from portal.auth import Actor
from portal.services import (
    audit,
    display,
    filings,
    firm_time,
    inputs,
    live,
    notifications,
    scope,
    versioned,
)
from portal.services.errors import Conflict, Invalid, Refused

NOTE_MAX = 1000
STEP_GONE = "A step you chose is no longer on this filing. Reload the page."
# What reopening a filed or cancelled filing does to its review: it starts again.
RESTART = {
    "review_stage": ReviewStage.NONE.value,
    "review_version": Filing.review_version + 1,
    "approved_by_id": None,
    "approved_at": None,
    "signed_off_by_id": None,
    "signed_off_at": None,
}
REOPENED_STATUS = StepStatus.IN_PROGRESS.value

# What each timeline entry says, before "by <name>".
EVENT_LABELS = {
    "sent": "Sent to review",
    "approved": "Approved",
    "returned": "Returned",
    "signed_off": "Signed off",
    "cleared": "Review cleared",
    "filed": "Filed",
    "cancelled": "Cancelled",
    "reopened": "Reopened",
}
# What the loser of a race is told the winner did.
_DID = {
    "sent": "sent this filing to review",
    "approved": "approved this filing",
    "returned": "returned this filing",
    "signed_off": "signed off this filing",
    "cleared": "cleared this filing's review",
    "filed": "marked this filing as filed",
    "cancelled": "cancelled this filing",
    "reopened": "reopened this filing",
}
_AUDIT = {
    "sent": "filing_sent_to_review",
    "approved": "filing_approved",
    "returned": "filing_returned",
    "signed_off": "filing_signed_off",
    "cleared": "filing_review_cleared",
}


@dataclass(frozen=True)
class TimelineEntry:
    id: int = 0
    kind: str = ""
    text: str = ""
    at_label: str = ""
    at_iso: str = ""
    note: str = ""
    detail: str = ""


@dataclass(frozen=True)
class StepChoice:
    id: int = 0
    title: str = ""


@dataclass(frozen=True)
class ReviewView:
    stage: str = ""
    # The stage in words, for everyone: "Waiting for Ana Lee's review".
    stage_label: str = ""
    version: int = 0
    names_people: bool = False
    # What this person may do now (the service checks again on every request).
    can_send: bool = False
    can_review: bool = False
    can_sign_off: bool = False
    # Open steps that stand in the way of sending, by title.
    not_done: list[str] = field(default_factory=list)
    # The steps a return may reopen.
    steps: list[StepChoice] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)


def _is_admin(actor: Actor) -> bool:
    return actor.role == UserRole.ADMIN.value


def names_people(filing: Filing) -> bool:
    return bool(filing.reviewer_id or filing.approver_id)


def fileable(filing: Filing) -> bool:
    """Whether review lets the filing be filed (its status is checked by change_status)."""
    if not names_people(filing):
        return True
    if filing.review_stage == ReviewStage.SIGNED_OFF:
        return True
    return filing.review_stage == ReviewStage.APPROVED and not filing.approver_id


def fileable_condition():
    """`fileable` as SQL, for the UPDATE that files: checked in the same statement."""
    return or_(
        and_(Filing.reviewer_id.is_(None), Filing.approver_id.is_(None)),
        Filing.review_stage == ReviewStage.SIGNED_OFF.value,
        and_(Filing.review_stage == ReviewStage.APPROVED.value, Filing.approver_id.is_(None)),
    )


def _names(session: Session, *user_ids: int | None) -> dict[int, str]:
    ids = [u for u in user_ids if u]
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def stage_label(session: Session, filing: Filing) -> str:
    names = _names(
        session,
        filing.reviewer_id,
        filing.approver_id,
        filing.approved_by_id,
        filing.signed_off_by_id,
    )
    reviewer = names.get(filing.reviewer_id, "the reviewer")
    approver = names.get(filing.approver_id, "the approver")
    if filing.status == FilingStatus.FILED:
        return "Filed."
    if filing.status == FilingStatus.CANCELLED:
        return "Cancelled."
    stage = filing.review_stage
    if stage == ReviewStage.AWAITING_REVIEW:
        return f"Waiting for {reviewer}'s review."
    if stage == ReviewStage.APPROVED:
        approved = (
            f"Approved by {names.get(filing.approved_by_id, 'someone')}"
            if filing.approved_by_id
            else ""
        )
        if filing.approver_id:
            waiting = f"waiting for {approver}'s sign-off."
            return f"{approved}; {waiting}" if approved else waiting[0].upper() + waiting[1:]
        return f"{approved}; ready to file."
    if stage == ReviewStage.SIGNED_OFF:
        return f"Signed off by {names.get(filing.signed_off_by_id, 'someone')}; ready to file."
    if not names_people(filing):
        return "No reviewer or approver is named, so this filing can be filed directly."
    return "Not sent to review yet. Once every step is done, send it to review."


_OPEN_STEPS = (
    select(Step.id, Step.title)
    .where(Step.filing_id == bindparam("filing_id"), Step.status != StepStatus.DONE.value)
    .order_by(Step.position, Step.id)
)
_ALL_STEPS = (
    select(Step.id, Step.title, Step.status)
    .where(Step.filing_id == bindparam("filing_id"))
    .order_by(Step.position, Step.id)
)
_TIMELINE = (
    select(FilingEvent, User.name)
    .outerjoin(User, User.id == FilingEvent.actor_id)
    .where(FilingEvent.filing_id == bindparam("filing_id"))
    .order_by(FilingEvent.id)
)
_LAST_EVENT = (
    select(FilingEvent.kind)
    .where(FilingEvent.filing_id == bindparam("filing_id"))
    .order_by(FilingEvent.id.desc())
    .limit(1)
)


def _firm_zone(session: Session, firm_id: int) -> str:
    return session.execute(select(Firm.time_zone).where(Firm.id == firm_id)).scalar_one()


def local_moment(at: datetime, zone_name: str) -> str:
    """ "Apr 22, 2026, 07:05 PDT": a moment in the firm's time zone."""
    local = at.astimezone(firm_time.zone(zone_name))
    return f"{display.day(local)}, {local:%H:%M} {local.tzname()}"


def timeline(session: Session, filing: Filing) -> list[TimelineEntry]:
    zone = _firm_zone(session, filing.firm_id)
    entries = []
    for event, name in session.execute(_TIMELINE, {"filing_id": filing.id}).all():
        label = EVENT_LABELS.get(event.kind, event.kind)
        entries.append(
            TimelineEntry(
                id=event.id,
                kind=event.kind,
                text=f"{label} by {name}" if name else label,
                at_label=local_moment(event.at, zone),
                at_iso=event.at.isoformat(),
                note=event.note,
                detail=event.detail,
            )
        )
    return entries


def view(session: Session, actor: Actor, filing: Filing) -> ReviewView:
    """The review panel of a filing the caller has loaded through the rule (staff only)."""
    scope.require_staff(actor)
    rows = session.execute(_ALL_STEPS, {"filing_id": filing.id}).all()
    stage = filing.review_stage
    in_review = filing.status == FilingStatus.IN_REVIEW
    admin = _is_admin(actor)
    return ReviewView(
        stage=stage,
        stage_label=stage_label(session, filing),
        version=filing.review_version,
        names_people=names_people(filing),
        can_send=_sendable(filing) and names_people(filing),
        can_review=in_review
        and stage == ReviewStage.AWAITING_REVIEW
        and (admin or filing.reviewer_id == actor.user_id),
        can_sign_off=in_review
        and stage == ReviewStage.APPROVED
        and bool(filing.approver_id)
        and (admin or filing.approver_id == actor.user_id),
        not_done=[r.title for r in rows if r.status != StepStatus.DONE],
        steps=[StepChoice(id=r.id, title=r.title) for r in rows],
        timeline=timeline(session, filing),
    )


def _event(
    session: Session,
    actor: Actor,
    filing: Filing,
    kind: str,
    *,
    note: str = "",
    detail: str = "",
    at: datetime | None = None,
) -> None:
    session.add(
        FilingEvent(
            firm_id=filing.firm_id,
            filing_id=filing.id,
            at=at or utcnow(),
            actor_id=actor.user_id,
            kind=kind,
            note=note,
            detail=detail,
        )
    )
    if kind in _AUDIT:
        title = display.filing_title(filing.kind, filing.period)
        parts = [title, detail, f"note: {note}" if note else ""]
        audit.record(
            session=session,
            actor=actor,
            action=_AUDIT[kind],
            target_type="filing",
            target_id=filing.id,
            client_id=filing.client_id,
            detail="; ".join(p for p in parts if p),
        )


def lifecycle_event(session: Session, actor: Actor, filing: Filing, action: str) -> None:
    """File, cancel or reopen, on the timeline (change_status audits them itself)."""
    kind = {"file": "filed", "cancel": "cancelled", "reopen": "reopened"}[action]
    _event(session, actor, filing, kind)


def _lost_race(session: Session, filing: Filing) -> Conflict:
    """The filing moved on since the page showed it: who did what, and when."""
    session.refresh(filing)
    last = session.execute(_LAST_EVENT, {"filing_id": filing.id}).scalar_one_or_none()
    who = _names(session, filing.review_by_id).get(filing.review_by_id) or "Someone"
    when = f"at {local_moment(filing.review_at, _firm_zone(session, filing.firm_id))}"
    if last in ("filed", "cancelled", "reopened") or filing.review_at is None:
        who, when = versioned.changed_by(session, filing), versioned.changed_when(filing)
    return Conflict(
        f"{who} {_DID.get(last or '', 'changed this filing')} {when}, so nothing was "
        "changed. The page now shows it as it is.",
        fields=("review_stage",),
    )


def _transition(
    session: Session,
    actor: Actor,
    filing: Filing,
    *,
    expected_version: int | None,
    conditions: list,
    values: dict,
) -> bool:
    """One conditional UPDATE; whether it took."""
    now = utcnow()
    where = [Filing.id == filing.id, *conditions]
    if expected_version is not None:
        where.append(Filing.review_version == expected_version)
    result = session.execute(
        update(Filing)
        .where(*where)
        .values(
            **values,
            review_version=Filing.review_version + 1,
            review_by_id=actor.user_id,
            review_at=now,
            updated_at=now,
            updated_by_id=actor.user_id,
            version=Filing.version + 1,
        )
    )
    if result.rowcount == 1:
        session.refresh(filing)
        return True
    return False


def _seen(value: object) -> int | None:
    """The review round a page showed; anything else reads as "not known"."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < 2**31 else None


def _sendable(filing: Filing) -> bool:
    """Open; or "in review" from before review and sign-off existed (generated data, or a
    status set by hand), which has no stage yet."""
    return filing.status == FilingStatus.OPEN or (
        filing.status == FilingStatus.IN_REVIEW and not filing.review_stage
    )


def _changing(session: Session, actor: Actor, filing_id: int) -> Filing:
    scope.require_staff(actor)
    return filings._changing(session, actor, filing_id)


def send_to_review(
    *, session: Session, actor: Actor, filing_id: int, expected_version: object = None
) -> None:
    """Open -> in review, when every step is done and someone is named to review or approve."""
    filing = _changing(session, actor, filing_id)
    seen = _seen(expected_version)
    if not _sendable(filing):
        if seen is not None and seen != filing.review_version:
            raise _lost_race(session, filing)
        label = display.FILING_STATUS_LABELS.get(filing.status, filing.status).lower()
        raise Invalid(f"Only an open filing can be sent to review; this one is {label}.")
    if not names_people(filing):
        raise Invalid(
            "Name a reviewer or an approver before sending this filing to review (or file it "
            "directly)."
        )
    open_steps = [r.title for r in session.execute(_OPEN_STEPS, {"filing_id": filing.id})]
    if open_steps:
        listed = ", ".join(f"“{t}”" for t in open_steps[:10])
        more = f" and {len(open_steps) - 10} more" if len(open_steps) > 10 else ""
        raise Invalid(
            f"Every step must be done before review. Not done yet: {listed}{more}.",
        )
    open_step = exists().where(Step.filing_id == Filing.id, Step.status != StepStatus.DONE.value)
    took = _transition(
        session,
        actor,
        filing,
        expected_version=seen,
        conditions=[
            or_(
                Filing.status == FilingStatus.OPEN.value,
                and_(
                    Filing.status == FilingStatus.IN_REVIEW.value,
                    Filing.review_stage == ReviewStage.NONE.value,
                ),
            ),
            or_(Filing.reviewer_id.is_not(None), Filing.approver_id.is_not(None)),
            ~open_step,
        ],
        values={
            "status": FilingStatus.IN_REVIEW.value,
            "review_stage": case(
                (Filing.reviewer_id.is_not(None), ReviewStage.AWAITING_REVIEW.value),
                else_=ReviewStage.APPROVED.value,
            ),
            "approved_by_id": None,
            "approved_at": None,
            "signed_off_by_id": None,
            "signed_off_at": None,
        },
    )
    if not took:
        raise _lost_race(session, filing)
    _event(session, actor, filing, "sent")


def _refuse_unless(actor: Actor, person_id: int | None, session: Session, what: str) -> None:
    if _is_admin(actor) or (person_id and person_id == actor.user_id):
        return
    role = "reviewer" if what != "sign off" else "approver"
    if not person_id:
        raise Invalid(f"This filing names no {role}, so there is nothing to {what}.")
    name = _names(session, person_id).get(person_id, "the person named")
    raise Refused(f"Only {name}, the {role}, or an admin can {what} this filing.")


def _in_stage(session: Session, filing: Filing, seen: int | None, stage: str, what: str) -> None:
    if filing.status == FilingStatus.IN_REVIEW and filing.review_stage == stage:
        return
    if seen is not None and seen != filing.review_version:
        raise _lost_race(session, filing)
    raise Invalid(f"This filing is not waiting to be {what}: {stage_label(session, filing)}")


def _advance(
    session: Session,
    actor: Actor,
    filing_id: int,
    expected_version: object,
    *,
    person: str,
    may: str,
    stage: tuple[ReviewStage, ReviewStage],
    to_be: str,
    by: str,
    event: str,
) -> None:
    """Approval and sign-off: the named `person` (reviewer or approver) or an admin moves
    the filing from the first stage to the second, from the round the page showed, in one
    conditional UPDATE; `by` names the columns that record who did it and when."""
    filing = _changing(session, actor, filing_id)
    seen = _seen(expected_version)
    _refuse_unless(actor, getattr(filing, f"{person}_id"), session, may)
    start, end = stage
    _in_stage(session, filing, seen, start, to_be)
    now = utcnow()
    if not _transition(
        session,
        actor,
        filing,
        expected_version=seen,
        conditions=_stage_is(start, actor, getattr(Filing, f"{person}_id")),
        values={"review_stage": end.value, f"{by}_by_id": actor.user_id, f"{by}_at": now},
    ):
        raise _lost_race(session, filing)
    _event(session, actor, filing, event, at=now)


def approve(
    *, session: Session, actor: Actor, filing_id: int, expected_version: object = None
) -> None:
    _advance(
        session,
        actor,
        filing_id,
        expected_version,
        person="reviewer",
        may="approve or return",
        stage=(ReviewStage.AWAITING_REVIEW, ReviewStage.APPROVED),
        to_be="reviewed",
        by="approved",
        event="approved",
    )


def _stage_is(stage: str, actor: Actor, person) -> list:
    conditions = [
        Filing.status == FilingStatus.IN_REVIEW.value,
        Filing.review_stage == stage,
        person.is_not(None),
    ]
    if not _is_admin(actor):
        conditions.append(person == actor.user_id)
    return conditions


def return_filing(
    *,
    session: Session,
    actor: Actor,
    filing_id: int,
    note: object,
    step_ids: object,
    expected_version: object = None,
) -> None:
    """Back to open with a note, reopening the steps the reviewer names (through the steps
    service, so their assignees' pages and the filing's update as for any status change)."""
    from portal.services import steps as step_service

    filing = _changing(session, actor, filing_id)
    seen = _seen(expected_version)
    _refuse_unless(actor, filing.reviewer_id, session, "approve or return")
    _in_stage(session, filing, seen, ReviewStage.AWAITING_REVIEW, "reviewed")
    text = inputs.long_text(
        note, label="The note for the return", max_length=NOTE_MAX, required=True
    )
    chosen = _step_ids(step_ids)
    if not chosen:
        raise Invalid("Choose at least one step to reopen.")
    on_filing = {r.id: r.title for r in session.execute(_ALL_STEPS, {"filing_id": filing.id})}
    if any(step_id not in on_filing for step_id in chosen):
        raise Invalid(STEP_GONE)
    if not _transition(
        session,
        actor,
        filing,
        expected_version=seen,
        conditions=_stage_is(ReviewStage.AWAITING_REVIEW, actor, Filing.reviewer_id),
        values={
            "status": FilingStatus.OPEN.value,
            "review_stage": ReviewStage.NONE.value,
            "approved_by_id": None,
            "approved_at": None,
        },
    ):
        raise _lost_race(session, filing)
    ordered = [step_id for step_id in on_filing if step_id in chosen]
    for step_id in ordered:
        step_service.set_status(
            session=session, actor=actor, step_id=step_id, status=REOPENED_STATUS
        )
        assignee_id = session.execute(
            select(Step.assignee_id).where(Step.id == step_id)
        ).scalar_one()
        if assignee_id:
            notifications.step_returned(
                session, actor=actor, step_id=step_id, assignee_id=assignee_id
            )
    titles = ", ".join(f"“{on_filing[s]}”" for s in ordered)
    _event(session, actor, filing, "returned", note=text, detail=f"Steps reopened: {titles}")


def _step_ids(value: object) -> list[int]:
    if not isinstance(value, list | tuple) or len(value) > 500:
        return []
    ids = []
    for item in value:
        try:
            ids.append(inputs.record_id(item))
        except Invalid:
            raise Invalid(STEP_GONE) from None
    return list(dict.fromkeys(ids))


def sign_off(
    *, session: Session, actor: Actor, filing_id: int, expected_version: object = None
) -> None:
    _advance(
        session,
        actor,
        filing_id,
        expected_version,
        person="approver",
        may="sign off",
        stage=(ReviewStage.APPROVED, ReviewStage.SIGNED_OFF),
        to_be="signed off",
        by="signed_off",
        event="signed_off",
    )


def why_not_fileable(session: Session, filing: Filing) -> str:
    if filing.review_stage in ("", ReviewStage.NONE):
        return (
            "This filing names a reviewer or approver, so it must go through review before it "
            "is filed. Send it to review once every step is done."
        )
    return f"This filing can be filed once review is complete. {stage_label(session, filing)}"


# Keeping "in review" true to the work: what clears a review.


def people_changed(session: Session, actor: Actor, filing_id: int, role: str) -> str:
    """After the reviewer or approver of a filing changed: a filing in review starts its
    review again with the people named now (an approval or sign-off is cleared), or goes
    back to open if nobody is named any more. What happened, in words, or ""."""
    filing = session.get(Filing, filing_id)
    session.refresh(filing)
    if filing.status != FilingStatus.IN_REVIEW or not filing.review_stage:
        return ""
    had_approval = bool(filing.approved_by_id) or filing.review_stage == ReviewStage.SIGNED_OFF
    start = (
        ReviewStage.AWAITING_REVIEW
        if filing.reviewer_id
        else ReviewStage.APPROVED
        if filing.approver_id
        else ReviewStage.NONE
    )
    if not had_approval and start == filing.review_stage:
        return ""  # the people named now take it from here; nothing was approved yet
    values: dict = {
        "approved_by_id": None,
        "approved_at": None,
        "signed_off_by_id": None,
        "signed_off_at": None,
    }
    values["review_stage"] = start.value
    if start == ReviewStage.NONE:
        values["status"] = FilingStatus.OPEN.value
    _transition(session, actor, filing, expected_version=None, conditions=[], values=values)
    what = f"{role.title()} changed"
    if not names_people(filing):
        said = "Nobody is named to review or approve it now, so the filing is open again."
    elif had_approval:
        said = f"The approval was cleared. {stage_label(session, filing)}"
    else:
        said = stage_label(session, filing)
    _event(session, actor, filing, "cleared", detail=f"{what}. {said}")
    return said


def work_reopened(session: Session, actor: Actor, filing_id: int, why: str) -> str:
    """A step of the filing is open again (set back from done, or added): a filing in
    review goes back to open and any approval is cleared. What happened, in words, or ""."""
    filing = session.get(Filing, filing_id)
    session.refresh(filing)
    if filing.status != FilingStatus.IN_REVIEW or not filing.review_stage:
        return ""
    had_approval = filing.review_stage in (ReviewStage.APPROVED, ReviewStage.SIGNED_OFF)
    took = _transition(
        session,
        actor,
        filing,
        expected_version=None,
        conditions=[Filing.status == FilingStatus.IN_REVIEW.value],
        values={
            "status": FilingStatus.OPEN.value,
            "review_stage": ReviewStage.NONE.value,
            "approved_by_id": None,
            "approved_at": None,
            "signed_off_by_id": None,
            "signed_off_at": None,
        },
    )
    if not took:
        return ""
    live.changed(session, filing_id=filing.id, client_id=filing.client_id)
    cleared = "The approval was cleared and the" if had_approval else "The"
    said = f"{why}, so the filing left review. {cleared} filing is open again."
    _event(session, actor, filing, "cleared", detail=said)
    return said


# The firm home's "Waiting for your review".


@dataclass(frozen=True)
class WaitingFiling:
    filing_id: int = 0
    heading: str = ""
    url: str = ""
    # "Review" or "Sign-off": what the person is asked for.
    asked: str = ""
    since_label: str = ""


WAITING_LIMIT = 50
_WAITING_COLUMNS = (
    Filing.id,
    Filing.kind,
    Filing.period,
    Filing.review_at,
    Client.name,
)
# Two ranges, one per index: the filings this person reviews, and those they sign off.
_WAITING = union_all(
    select(*_WAITING_COLUMNS, literal("Review").label("asked"))
    .join(Client, Client.id == Filing.client_id)
    .where(
        Filing.reviewer_id == bindparam("me"),
        Filing.review_stage == ReviewStage.AWAITING_REVIEW.value,
        Filing.status == FilingStatus.IN_REVIEW.value,
    ),
    select(*_WAITING_COLUMNS, literal("Sign-off").label("asked"))
    .join(Client, Client.id == Filing.client_id)
    .where(
        Filing.approver_id == bindparam("me"),
        Filing.review_stage == ReviewStage.APPROVED.value,
        Filing.status == FilingStatus.IN_REVIEW.value,
    ),
)


def waiting_for(session: Session, actor: Actor) -> list[WaitingFiling]:
    """The filings waiting for this person's review or sign-off, oldest first."""
    if not scope.is_staff(actor):
        return []
    rows = session.execute(_WAITING, {"me": actor.user_id}).all()
    zone = _firm_zone(session, actor.firm_id)
    rows = sorted(rows, key=lambda r: (r.review_at is None, r.review_at or utcnow(), r.id))
    return [
        WaitingFiling(
            filing_id=r.id,
            heading=f"{r.name} · {display.filing_title(r.kind, r.period)}",
            url=routes.filing(r.id),
            asked=r.asked,
            since_label=local_moment(r.review_at, zone) if r.review_at else "",
        )
        for r in rows[:WAITING_LIMIT]
    ]
