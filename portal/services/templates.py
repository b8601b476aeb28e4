"""Filing templates: a filing kind with an ordered set of steps, and filings made from them.

Staff and admins of a firm manage its templates; anyone else is refused, and another firm's
template is not found. A template is saved whole over the version the editor saw, so two
people editing one template at once never silently lose each other's work.

Creating a filing from a template creates its steps through the steps service (add_step and
add_checklist_item), so every grant, access-ledger row, live update, notification and email
follows exactly as for a step added and assigned by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, update
from sqlmodel import Session, select

from models import Filing, FilingTemplate, Firm, TemplateStep, User, utcnow
from portal.auth import Actor
from portal.db import reads_only
from portal.services import audit, filings, inputs, people, recurrence, scope, steps, versioned
from portal.services.errors import Conflict, Invalid, NotFound

MAX_STEPS = 40
MAX_CHECKLIST_ITEMS = 40
MAX_OFFSET_DAYS = 366


@dataclass(frozen=True)
class TemplateStepView:
    title: str = ""
    description: str = ""
    checklist: str = ""
    checklist_count: int = 0
    assignee_id: int = 0
    assignee_name: str = ""
    # A default assignee who was deactivated since: the step is left unassigned.
    assignee_inactive: bool = False
    due_offset_days: int = 0
    offset_label: str = ""


@dataclass(frozen=True)
class TemplateView:
    id: int = 0
    name: str = ""
    kind: str = ""
    version: int = 0
    steps: list[TemplateStepView] = field(default_factory=list)
    step_count: int = 0
    # Filings made from it: deleting it archives it instead.
    used: bool = False


@dataclass(frozen=True)
class TemplateOption:
    id: int = 0
    label: str = ""
    kind: str = ""


def offset_label(days: int) -> str:
    if days == 0:
        return "on the due date"
    unit = "day" if abs(days) == 1 else "days"
    return f"{abs(days)} {unit} {'before' if days < 0 else 'after'} the due date"


_LOAD = select(FilingTemplate).where(
    FilingTemplate.id == bindparam("template_id"),
    FilingTemplate.firm_id == bindparam("firm_id"),
    FilingTemplate.archived.is_(False),
)
_STEPS = (
    select(TemplateStep)
    .where(TemplateStep.template_id.in_(bindparam("ids", expanding=True)))
    .order_by(TemplateStep.template_id, TemplateStep.position, TemplateStep.id)
)
_LIST = (
    select(FilingTemplate)
    .where(FilingTemplate.firm_id == bindparam("firm_id"), FilingTemplate.archived.is_(False))
    .order_by(FilingTemplate.name, FilingTemplate.id)
)
_PEOPLE = select(User.id, User.name, User.is_active).where(
    User.id.in_(bindparam("ids", expanding=True)), User.firm_id == bindparam("firm_id")
)
_USED = (
    select(Filing.template_id)
    .where(Filing.template_id.in_(bindparam("ids", expanding=True)))
    .group_by(Filing.template_id)
)


def load(session: Session, actor: Actor, template_id: int) -> FilingTemplate:
    """A template of the actor's firm (never another's: that reads as not found)."""
    scope.require_staff(actor)
    template = session.exec(
        _LOAD, params={"template_id": template_id, "firm_id": actor.firm_id}
    ).first()
    if template is None:
        raise NotFound
    return template


def _views(session: Session, actor: Actor, templates: Sequence[FilingTemplate]):
    ids = [t.id for t in templates]
    if not ids:
        return []
    by_template: dict[int, list[TemplateStep]] = {i: [] for i in ids}
    for row in session.exec(_STEPS, params={"ids": ids}):
        by_template[row.template_id].append(row)
    assignee_ids = {s.assignee_id for rows in by_template.values() for s in rows if s.assignee_id}
    people_by_id = {
        p.id: p
        for p in session.execute(
            _PEOPLE, {"ids": list(assignee_ids or {0}), "firm_id": actor.firm_id}
        )
    }
    used = set(session.exec(_USED, params={"ids": ids}).all())
    result = []
    for template in templates:
        rows = by_template[template.id]
        step_views = []
        for s in rows:
            person = people_by_id.get(s.assignee_id)
            lines = _lines(s.checklist)
            step_views.append(
                TemplateStepView(
                    title=s.title,
                    description=s.description,
                    checklist=s.checklist,
                    checklist_count=len(lines),
                    assignee_id=s.assignee_id or 0,
                    assignee_name=person.name if person else "",
                    assignee_inactive=bool(person and not person.is_active),
                    due_offset_days=s.due_offset_days,
                    offset_label=offset_label(s.due_offset_days),
                )
            )
        result.append(
            TemplateView(
                id=template.id,
                name=template.name,
                kind=template.kind,
                version=template.version,
                steps=step_views,
                step_count=len(step_views),
                used=template.id in used,
            )
        )
    return result


@reads_only
def list_templates(*, session: Session, actor: Actor) -> list[TemplateView]:
    """The firm's templates (archived ones left out), by name."""
    scope.require_staff(actor)
    return _views(session, actor, session.exec(_LIST, params={"firm_id": actor.firm_id}).all())


@reads_only
def get_template(*, session: Session, actor: Actor, template_id: int) -> TemplateView:
    return _views(session, actor, [load(session, actor, template_id)])[0]


@reads_only
def template_options(*, session: Session, actor: Actor) -> list[TemplateOption]:
    """The firm's templates as the "Template" picker of a new filing offers them."""
    scope.require_staff(actor)
    rows = session.exec(_LIST, params={"firm_id": actor.firm_id}).all()
    return [TemplateOption(id=t.id, label=f"{t.name} ({t.kind})", kind=t.kind) for t in rows]


# --- saving -----------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _offset(value: object, label: str) -> int:
    raw = str(value if value is not None else "").strip() or "0"
    sign = -1 if raw[:1] in ("-", "\u2212") else 1
    digits = raw[1:] if raw[:1] in ("+", "-", "\u2212") else raw
    if not digits.isascii() or not digits.isdigit() or int(digits) > MAX_OFFSET_DAYS:
        raise Invalid(
            f"{label}: enter a whole number of days from -{MAX_OFFSET_DAYS} to "
            f"{MAX_OFFSET_DAYS} (-14 is two weeks before the filing is due)."
        )
    return sign * int(digits)


@dataclass(frozen=True)
class _Step:
    title: str
    description: str
    checklist: str
    assignee_id: int | None
    due_offset_days: int


def _parse_steps(session: Session, actor: Actor, rows: Sequence[Mapping[str, object]]):
    parsed = []
    for number, row in enumerate(rows, start=1):
        label = f"Step {number}"
        title = inputs.line(row.get("title"), label=f"{label} title", max_length=200)
        description = inputs.long_text(
            row.get("description"), label=f"{label} description", max_length=5000
        )
        checklist_text = inputs.long_text(
            row.get("checklist"), label=f"{label} checklist", max_length=10000
        )
        if not title:
            raise Invalid(f"{label} needs a title.")
        items = _lines(checklist_text)
        if len(items) > MAX_CHECKLIST_ITEMS:
            raise Invalid(f"{label} checklist can have at most {MAX_CHECKLIST_ITEMS} items.")
        for item in items:
            inputs.line(item, label=f"{label} checklist item", max_length=300)
        assignee = row.get("assignee_id")
        assignee_id = None
        if str(assignee or "").strip():
            try:
                ident = inputs.record_id(str(assignee).strip(), label="person")
            except Invalid:
                raise Invalid(f"{label} default assignee is not a person of your firm.") from None
            try:
                assignee_id = people.assignable(session, actor, ident).id
            except Invalid as exc:
                raise Invalid(f"{label} default assignee: {exc.message}") from None
        parsed.append(
            _Step(
                title=title,
                description=description,
                checklist="\n".join(items),
                assignee_id=assignee_id,
                due_offset_days=_offset(row.get("due_offset_days"), f"{label} due"),
            )
        )
    if not parsed:
        raise Invalid("A template needs at least one step.")
    if len(parsed) > MAX_STEPS:
        raise Invalid(f"A template can have at most {MAX_STEPS} steps.")
    return parsed


def _write_steps(session: Session, template: FilingTemplate, rows: list[_Step]) -> None:
    session.execute(delete(TemplateStep).where(TemplateStep.template_id == template.id))
    for position, row in enumerate(rows):
        session.add(
            TemplateStep(
                firm_id=template.firm_id,
                template_id=template.id,
                position=position,
                title=row.title,
                description=row.description,
                checklist=row.checklist,
                assignee_id=row.assignee_id,
                due_offset_days=row.due_offset_days,
            )
        )
    session.flush()


def save_template(
    *,
    session: Session,
    actor: Actor,
    template_id: int | None,
    name: object,
    kind: object,
    steps: Sequence[Mapping[str, object]],
    seen_version: int | None = None,
) -> int:
    """Create a template (`template_id` None) or save one over the version the editor saw.
    `steps` in order, each with title, description, checklist (one item a line),
    assignee_id (or empty) and due_offset_days. Nothing is written on a refusal."""
    scope.require_staff(actor)
    clean_name = inputs.line(name, label="Template name", max_length=120, required=True)
    clean_kind = filings.parse_kind(kind)
    rows = _parse_steps(session, actor, steps)
    if template_id is None:
        template = FilingTemplate(
            firm_id=actor.firm_id,
            name=clean_name,
            kind=clean_kind,
            updated_by_id=actor.user_id,
        )
        session.add(template)
        session.flush()
        action = "template_created"
    else:
        template = load(session, actor, template_id)
        result = session.execute(
            update(FilingTemplate)
            .where(
                FilingTemplate.id == template.id,
                FilingTemplate.version == int(seen_version or 0),
                FilingTemplate.archived.is_(False),
            )
            .values(
                name=clean_name,
                kind=clean_kind,
                updated_at=utcnow(),
                updated_by_id=actor.user_id,
                version=FilingTemplate.version + 1,
            )
        )
        if result.rowcount != 1:
            session.refresh(template)
            raise Conflict(
                f"{versioned.changed_by(session, template)} changed this template "
                f"{versioned.changed_when(template)} while you were editing. Nothing of yours "
                "was saved; your entries are kept. Reload the template to see theirs.",
                fields=("template",),
            )
        action = "template_updated"
    _write_steps(session, template, rows)
    audit.record(
        session=session,
        actor=actor,
        action=action,
        target_type="template",
        target_id=template.id,
        detail=f"{clean_name} ({clean_kind}), {len(rows)} step{'s' if len(rows) != 1 else ''}",
    )
    return template.id


def delete_template(
    *, session: Session, actor: Actor, template_id: int, seen_version: int | None = None
) -> str:
    """Delete a template; one that filings came from is archived instead (they still name
    it, and their recurring next filings still take its steps). Returns what was done."""
    template = load(session, actor, template_id)
    if seen_version is not None and template.version != seen_version:
        raise Conflict(
            f"{versioned.changed_by(session, template)} changed this template "
            f"{versioned.changed_when(template)}; nothing was deleted. Look at it again first."
        )
    used = session.exec(
        select(func.count()).select_from(Filing).where(Filing.template_id == template.id)
    ).one()
    if used:
        template.archived = True
        template.updated_at = utcnow()
        template.updated_by_id = actor.user_id
        template.version += 1
        session.add(template)
        done = "archived"
    else:
        session.execute(delete(TemplateStep).where(TemplateStep.template_id == template.id))
        session.delete(template)
        done = "deleted"
    audit.record(
        session=session,
        actor=actor,
        action=f"template_{done}",
        target_type="template",
        target_id=template.id,
        detail=f"{template.name} ({template.kind})",
    )
    return done


# --- filings from templates -------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    filing_id: int = 0
    # What could not be done as the template says: "“Enter transactions” was left unassigned:
    # Bea Books is deactivated and cannot be assigned work."
    notes: list[str] = field(default_factory=list)


def create_filing(
    *,
    session: Session,
    actor: Actor,
    client_id: int,
    kind: object,
    period: object,
    due_date: object,
    template_id: object = None,
    recurrence_value: object = "",
) -> Created:
    """A new filing, in one transaction: from a template (its kind, then its steps in order,
    due on the filing's due date plus each offset, with their checklists, each assigned to
    its default assignee), and repeating when asked."""
    scope.require_staff(actor)
    template = None
    if str(template_id or "").strip():
        template = load(session, actor, inputs.record_id(str(template_id), label="template"))
        kind = template.kind
    repeats = recurrence.parse(recurrence_value)
    clean_period = inputs.line(period, label="Period", max_length=60, required=True)
    recurrence.check(clean_period, inputs.optional_date(due_date), repeats)
    filing_id = filings.create_filing(
        session=session,
        actor=actor,
        client_id=client_id,
        kind=kind,
        period=clean_period,
        due_date=due_date,
    )
    filing = session.get(Filing, filing_id)
    filing.recurrence = repeats
    filing.template_id = template.id if template else None
    session.add(filing)
    session.flush()
    notes = apply_steps(session, actor=actor, filing=filing) if template else []
    return Created(filing_id=filing_id, notes=notes)


def apply_steps(session: Session, *, actor: Actor, filing: Filing) -> list[str]:
    """Add the filing's template's steps through the steps service. A default assignee who
    can no longer take work (deactivated, or a bookkeeper while the portal is off) leaves
    the step unassigned; the notes say so."""
    if not session.get(Firm, filing.firm_id).filing_steps_enabled:
        return ["Filing Steps is turned off for your firm, so the template's steps were not added."]
    rows = session.exec(
        select(TemplateStep)
        .where(
            TemplateStep.template_id == filing.template_id,
            TemplateStep.firm_id == filing.firm_id,
        )
        .order_by(TemplateStep.position, TemplateStep.id)
    ).all()
    notes = []
    for row in rows:
        assignee_id = row.assignee_id
        if assignee_id:
            try:
                people.assignable(session, actor, assignee_id)
            except Invalid as exc:
                notes.append(f"“{row.title}” was left unassigned: {exc.message}")
                assignee_id = None
        due = filing.due_date + timedelta(days=row.due_offset_days) if filing.due_date else None
        step_id = steps.add_step(
            session=session,
            actor=actor,
            filing_id=filing.id,
            title=row.title,
            description=row.description,
            due_date=due.isoformat() if due else "",
            assignee_id=assignee_id,
        )
        for item in _lines(row.checklist):
            steps.add_checklist_item(session=session, actor=actor, step_id=step_id, label=item)
    return notes
