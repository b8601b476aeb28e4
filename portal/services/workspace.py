"""Everything one screen needs, in one call, so a page event makes exactly one service call.

Each loader goes through the same scoped loaders as the individual services; it composes
them, it never widens them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from portal.auth import Actor
from portal.services import (
    clients,
    discussion,
    documents,
    emails,
    filings,
    people,
    scope,
    steps,
)


@dataclass(frozen=True)
class FilingPage:
    header: filings.FilingHeader
    steps: list[steps.StepView] = field(default_factory=list)
    assignees: list[people.PersonOption] = field(default_factory=list)
    reviewers: list[people.PersonOption] = field(default_factory=list)
    posts: list[discussion.PostView] = field(default_factory=list)
    can_post: bool = False
    documents: list[documents.DocumentRow] = field(default_factory=list)


def filing_page(*, session: Session, actor: Actor, filing_id: int) -> FilingPage:
    """The staff filing page: steps, pickers, documents and discussion."""
    scope.require_staff(actor)
    header = filings.get_filing(session=session, actor=actor, filing_id=filing_id)
    return FilingPage(
        header=header,
        steps=steps.steps_for_filing(session=session, actor=actor, filing_id=filing_id),
        assignees=people.assignee_options(session=session, actor=actor),
        reviewers=people.reviewer_options(session=session, actor=actor),
        posts=discussion.list_posts(session=session, actor=actor, filing_id=filing_id),
        can_post=discussion.can_post(session=session, actor=actor, filing_id=filing_id),
        documents=documents.list_documents(
            session=session, actor=actor, client_id=header.client_id, filing_id=filing_id
        ),
    )


@dataclass(frozen=True)
class ClientPage:
    info: clients.ClientInfo
    filings: list[clients.FilingRow] = field(default_factory=list)
    documents: list[documents.DocumentRow] = field(default_factory=list)
    emails: list[emails.EmailRow] = field(default_factory=list)


def client_page(*, session: Session, actor: Actor, client_id: int) -> ClientPage:
    """A client's page: staff see it all with controls; a bookkeeper in scope reads it."""
    return ClientPage(
        info=clients.get_client(session=session, actor=actor, client_id=client_id),
        filings=clients.client_filings(session=session, actor=actor, client_id=client_id),
        documents=documents.list_documents(session=session, actor=actor, client_id=client_id),
        emails=emails.list_emails(session=session, actor=actor, client_id=client_id),
    )
