"""Clients: the firm-wide list for staff, and one client's details for anyone in scope."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, func, tuple_
from sqlmodel import Session, select

from models import ACTIVE_FILING_STATUSES, Client, Filing, Step, StepStatus
from models.clients import bn_key, folded, keep_keys, name_key
from portal import routes
from portal.auth import Actor
from portal.db import reads_only
from portal.services import audit, display, inputs, live, scope, versioned
from portal.services.errors import Duplicate, NotFound
from portal.services.statements import built

PAGE_SIZE = 25


@dataclass(frozen=True)
class ClientRow:
    id: int = 0
    name: str = ""
    business_number: str = ""
    contact_name: str = ""
    active_filings: int = 0
    url: str = ""


@dataclass(frozen=True)
class ClientPage:
    rows: list[ClientRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    # The cursors of the first and last rows, to page on from here.
    first: tuple[str, int] | None = None
    last: tuple[str, int] | None = None


@dataclass(frozen=True)
class ClientInfo:
    id: int = 0
    name: str = ""
    business_number: str = ""
    contact_name: str = ""
    contact_email: str = ""
    phone: str = ""
    address: str = ""
    notes: str = ""
    version: int = 0


@dataclass(frozen=True)
class FilingRow:
    id: int = 0
    kind: str = ""
    period: str = ""
    title: str = ""
    due_label: str = ""
    status: str = ""
    status_label: str = ""
    is_active: bool = False
    open_steps: int = 0
    url: str = ""


# The fields a person edits, with the words a conflict message uses for them.
FIELD_LABELS = {
    "name": "Client name",
    "business_number": "Business number",
    "contact_name": "Contact name",
    "contact_email": "Contact email",
    "phone": "Phone",
    "address": "Address",
    "notes": "Notes",
}


@dataclass(frozen=True)
class ClientInput:
    name: str
    business_number: str
    contact_name: str
    contact_email: str
    phone: str
    address: str
    notes: str


def parse_client(form: Mapping[str, object]) -> ClientInput:
    contact_email = inputs.line(form.get("contact_email"), label="Contact email", max_length=254)
    return ClientInput(
        name=inputs.line(form.get("name"), label="Client name", max_length=200, required=True),
        business_number=inputs.line(
            form.get("business_number"), label="Business number", max_length=40
        ),
        contact_name=inputs.line(form.get("contact_name"), label="Contact name", max_length=200),
        contact_email=inputs.email(contact_email, label="Contact email") if contact_email else "",
        phone=inputs.line(form.get("phone"), label="Phone", max_length=40),
        address=inputs.line(form.get("address"), label="Address", max_length=500),
        notes=inputs.long_text(form.get("notes"), label="Notes", max_length=5000),
    )


def visible(actor: Actor):
    """The scope condition on the client table itself."""
    return scope.client_id_visible(actor, Client.id, Client.firm_id)


_LOAD = built(lambda rule: select(Client).where(Client.id == bindparam("client_id"), rule))


def load(session: Session, actor: Actor, client_id: int) -> Client:
    """The one way a client row is loaded: through the scope rule, or not at all."""
    client = session.exec(_LOAD(visible(actor)), params={"client_id": client_id}).first()
    if client is None:
        raise NotFound
    return client


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_matches(term: str):
    """One LIKE over one folded column that sits in the list's index, so a search reads the
    index, not the rows (a case-sensitive LIKE is right: both sides are folded)."""
    return Client.search_key.like(_like(folded(term)), escape="\\")


# Where a page of the client list starts or ends: (name key, id), the list's sort order.
Cursor = tuple[str, int]


@reads_only
def list_clients(
    *,
    session: Session,
    actor: Actor,
    search: str = "",
    page: int = 1,
    after: Cursor | None = None,
    before: Cursor | None = None,
) -> ClientPage:
    """The full client list, for staff only: bookkeepers have no client list at all.

    Sorted by name (case and spacing aside) from the firm's name-key index, and paged by
    keyset: the page after `after`, or the page before `before`, is read straight from the
    index however deep it is. Without a cursor, `page` counts from the start."""
    scope.require_staff(actor)
    term = inputs.line(search, label="Search", max_length=100)
    conditions = [visible(actor)]
    if folded(term):
        conditions.append(search_matches(term))
    total = session.exec(select(func.count()).select_from(Client).where(*conditions)).one()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    # Counted per listed client, from the filings' (client, status) index.
    active = (
        select(func.count())
        .select_from(Filing)
        .where(Filing.client_id == Client.id, Filing.status.in_(ACTIVE_FILING_STATUSES))
        .correlate(Client)
        .scalar_subquery()
    )
    query = select(
        Client.id, Client.name, Client.business_number, Client.contact_name, Client.name_key, active
    ).where(*conditions)
    key = tuple_(Client.name_key, Client.id)
    if before is not None:
        query = query.where(key < tuple_(*before)).order_by(
            Client.name_key.desc(), Client.id.desc()
        )
    else:
        if after is not None:
            query = query.where(key > tuple_(*after))
        else:
            query = query.offset((page - 1) * PAGE_SIZE)
        query = query.order_by(Client.name_key, Client.id)
    rows = list(session.exec(query.limit(PAGE_SIZE)))
    if before is not None:
        rows.reverse()
    return ClientPage(
        rows=[
            ClientRow(
                id=client_id,
                name=name,
                business_number=number,
                contact_name=contact,
                active_filings=n,
                url=routes.client(client_id),
            )
            for client_id, name, number, contact, _key, n in rows
        ],
        total=total,
        page=page,
        pages=pages,
        first=(rows[0][4], rows[0][0]) if rows else None,
        last=(rows[-1][4], rows[-1][0]) if rows else None,
    )


def info(client: Client) -> ClientInfo:
    return ClientInfo(
        id=client.id,
        name=client.name,
        business_number=client.business_number,
        contact_name=client.contact_name,
        contact_email=client.contact_email,
        phone=client.phone,
        address=client.address,
        notes=client.notes,
        version=client.version,
    )


@reads_only
def get_client(*, session: Session, actor: Actor, client_id: int) -> ClientInfo:
    return info(load(session, actor, client_id))


def client_filings(
    *, session: Session, actor: Actor, client_id: int, today: date | None = None
) -> list[FilingRow]:
    """Every filing of a client in scope, newest due first (read-only for bookkeepers)."""
    today = today or date.today()
    client = load(session, actor, client_id)
    # Counted per filing of this client, from the steps' filing index; for a bookkeeper only
    # their own steps count, because the count goes through the scoped condition.
    open_steps = (
        select(func.count())
        .select_from(Step)
        .where(
            Step.filing_id == Filing.id,
            Step.status != StepStatus.DONE.value,
            scope.step_visible(actor),
        )
        .correlate(Filing)
        .scalar_subquery()
    )
    rows = session.exec(
        select(Filing, open_steps)
        .where(Filing.client_id == client.id, Filing.firm_id == client.firm_id)
        .order_by(Filing.due_date.desc(), Filing.id.desc())
    ).all()
    return [
        FilingRow(
            id=f.id,
            kind=f.kind,
            period=f.period,
            title=display.filing_title(f.kind, f.period),
            due_label=f"Due {display.short_day(f.due_date, today)}" if f.due_date else "",
            status=f.status,
            status_label=display.FILING_STATUS_LABELS.get(f.status, f.status),
            is_active=f.status in ACTIVE_FILING_STATUSES,
            open_steps=n,
            url=routes.filing(f.id),
        )
        for f, n in rows
    ]


def duplicates_query(actor: Actor, data: ClientInput, *, besides: int | None = None):
    """Clients of the firm with the same business number, or the same name ignoring case
    and spacing: what a person adding a client most likely did not mean to add twice.
    One index search per key (a UNION), never a walk through the firm's clients."""
    matches = select(Client.id).where(
        Client.firm_id == actor.firm_id, Client.name_key == name_key(data.name)
    )
    if bn_key(data.business_number):
        matches = matches.union(
            select(Client.id).where(
                Client.firm_id == actor.firm_id, Client.bn_key == bn_key(data.business_number)
            )
        )
    return select(Client).where(Client.id.in_(matches), Client.id != (besides or 0)).limit(5)


def _refuse_duplicates(session: Session, actor: Actor, data: ClientInput, **where) -> None:
    found = sorted(session.exec(duplicates_query(actor, data, **where)), key=lambda c: c.name)
    if not found:
        return
    same_bn = bn_key(data.business_number)
    names = ", ".join(
        f"{c.name} (business number {c.business_number})"
        if same_bn and c.bn_key == same_bn
        else c.name
        for c in found
    )
    # "Maple Leaf Cafe Inc." ends the sentence itself: no second full stop after it.
    stop = "" if names.endswith(".") else "."
    raise Duplicate(
        f"This looks like a client you already have: {names}{stop} Nothing was saved. If it "
        "really is a different client, tick “Save it anyway” and save again."
    )


def create_client(
    *,
    session: Session,
    actor: Actor,
    form: Mapping[str, object],
    allow_duplicate: bool = False,
) -> int:
    """A new client, unless it looks like one the firm already has and nobody confirmed."""
    scope.require_staff(actor)
    data = parse_client(form)
    if not allow_duplicate:
        _refuse_duplicates(session, actor, data)
    client = Client(firm_id=actor.firm_id, updated_by_id=actor.user_id, **data.__dict__)
    session.add(client)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="client_created",
        target_type="client",
        target_id=client.id,
        client_id=client.id,
        detail=client.name,
    )
    return client.id


def edit_values(client: ClientInfo) -> dict[str, str]:
    """What a client editor shows: the "seen" side of a later save."""
    return {name: getattr(client, name) for name in FIELD_LABELS}


def update_client(
    *,
    session: Session,
    actor: Actor,
    client_id: int,
    form: Mapping[str, object],
    seen: Mapping[str, object],
    allow_duplicate: bool = False,
) -> ClientInfo:
    """Save the fields the person changed, over what they saw; a field someone else changed
    meanwhile is never overwritten (see versioned)."""
    scope.require_staff(actor)
    data = parse_client(form)
    client = load(session, actor, client_id)
    live.changed(session, client_id=client.id)
    renamed = data.name != seen.get("name") or data.business_number != seen.get("business_number")
    if renamed and not allow_duplicate:
        _refuse_duplicates(session, actor, data, besides=client.id)
    changed = versioned.save_changes(
        session,
        Client,
        client.id,
        actor=actor,
        seen={name: str(seen.get(name) or "") for name in FIELD_LABELS},
        wanted=data.__dict__,
        labels=FIELD_LABELS,
        what="this client",
    )
    session.refresh(client)
    # The duplicate keys follow whatever name and number the row holds now.
    keep_keys(client)
    session.add(client)
    if changed:
        audit.record(
            session=session,
            actor=actor,
            action="client_updated",
            target_type="client",
            target_id=client.id,
            client_id=client.id,
            detail=", ".join(FIELD_LABELS[name] for name in changed),
        )
    return info(client)
