"""Everything one screen needs, in one call, so a page event makes exactly one service call.

Each loader goes through the same scoped loaders as the individual services; it composes
them, it never widens them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam
from sqlmodel import Session, select

from models import Client, Filing, Step
from portal import routes
from portal.auth import Actor
from portal.db import reads_only
from portal.services import (
    clients,
    discussion,
    display,
    documents,
    emails,
    filings,
    people,
    review,
    scope,
    steps,
)
from portal.services.errors import NotFound
from portal.services.statements import built


@dataclass(frozen=True)
class FilingPage:
    header: filings.FilingHeader
    steps: list[steps.StepView] = field(default_factory=list)
    assignees: list[people.PersonOption] = field(default_factory=list)
    reviewers: list[people.PersonOption] = field(default_factory=list)
    posts: list[discussion.PostView] = field(default_factory=list)
    can_post: bool = False
    documents: list[documents.DocumentRow] = field(default_factory=list)
    review: review.ReviewView = field(default_factory=review.ReviewView)


@reads_only
def filing_page(*, session: Session, actor: Actor, filing_id: int) -> FilingPage:
    """The staff filing page: steps, pickers, documents and discussion."""
    scope.require_staff(actor)
    # Loaded once through the rule, then handed to each part: on PostgreSQL every load is a
    # round trip, and the page made three.
    filing = filings.load(session, actor, filing_id)
    header = filings.header(session, filing, actor)
    picked = people.pickers(session=session, actor=actor)
    return FilingPage(
        header=header,
        steps=steps.steps_on(session, actor, filing),
        assignees=picked.assignees,
        reviewers=picked.reviewers,
        posts=discussion.posts_on(session, actor, filing),
        can_post=discussion.can_post(session=session, actor=actor, filing_id=filing_id),
        documents=documents.list_documents(
            session=session, actor=actor, client_id=header.client_id, filing_id=filing_id
        ),
        review=review.view(session, actor, filing),
    )


@dataclass(frozen=True)
class Thread:
    """One filing's discussion as it appears on a client's page."""

    filing_id: int = 0
    title: str = ""
    status_label: str = ""
    posts: list[discussion.PostView] = field(default_factory=list)
    can_post: bool = False


@dataclass(frozen=True)
class AccessPath:
    """A bookkeeper who can open the client, and the step that lets them."""

    name: str = ""
    step_title: str = ""
    filing_title: str = ""
    filing_url: str = ""


@dataclass(frozen=True)
class ClientPage:
    info: clients.ClientInfo
    can_manage: bool = False
    filings: list[clients.FilingRow] = field(default_factory=list)
    documents: list[documents.DocumentRow] = field(default_factory=list)
    emails: list[emails.EmailRow] = field(default_factory=list)
    threads: list[Thread] = field(default_factory=list)
    access: list[AccessPath] = field(default_factory=list)


@reads_only
def client_page(*, session: Session, actor: Actor, client_id: int) -> ClientPage:
    """A client's page. Staff get everything plus who can see the client and why; a
    bookkeeper in scope reads it, with each filing's discussion, which staff read on the
    filing page instead."""
    info = clients.get_client(session=session, actor=actor, client_id=client_id)
    filing_rows = clients.client_filings(session=session, actor=actor, client_id=client_id)
    staff = scope.is_staff(actor)
    threads = []
    if not staff:
        found = discussion.threads(
            session=session, actor=actor, filing_ids=[f.id for f in filing_rows]
        )
        threads = [
            Thread(
                filing_id=f.id,
                title=f.title,
                status_label=f.status_label,
                posts=found[f.id][0],
                can_post=found[f.id][1],
            )
            for f in filing_rows
            if f.id in found
        ]
    access = []
    if staff:
        access = [
            AccessPath(
                name=user.name,
                step_title=step.title,
                filing_title=display.filing_title(filing.kind, filing.period),
                filing_url=routes.filing(filing.id),
            )
            for user, step, filing in scope.access_paths(session, actor, client_id)
        ]
    return ClientPage(
        info=info,
        can_manage=staff,
        filings=filing_rows,
        documents=documents.list_documents(session=session, actor=actor, client_id=client_id),
        emails=emails.list_emails(session=session, actor=actor, client_id=client_id),
        threads=threads,
        access=access,
    )


@dataclass(frozen=True)
class TaskPage:
    step: steps.StepView
    filing: filings.FilingHeader
    client: clients.ClientInfo
    posts: list[discussion.PostView] = field(default_factory=list)
    can_post: bool = False


_TASK = built(
    lambda rule: (
        select(Step, Filing, Client)
        .join(Filing, Filing.id == Step.filing_id)
        .join(Client, Client.id == Filing.client_id)
        .where(Step.id == bindparam("step_id"), rule)
    )
)


@reads_only
def task_page(*, session: Session, actor: Actor, step_id: int) -> TaskPage:
    """One of the person's own steps with its filing and client beside it, read-only.

    The step, its filing and its client come in one query that joins the rule for steps: a
    step in scope is a step of the person's on an active filing, which is exactly what puts
    that filing's client in their scope, so nothing is checked twice.
    """
    row = session.exec(_TASK(scope.step_visible(actor)), params={"step_id": step_id}).first()
    if row is None:
        raise NotFound
    step, filing, client = row
    return TaskPage(
        step=steps.views(session, actor, [step])[0],
        filing=filings.header(session, filing, actor),
        client=clients.info(client),
        posts=discussion.posts_on(session, actor, filing),
        can_post=discussion.can_post(session=session, actor=actor, filing_id=filing.id),
    )
