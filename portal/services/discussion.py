"""The discussion thread on each filing: post, read, newest last."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from models import DiscussionPost, Filing, User
from portal.auth import Actor
from portal.services import audit, display, filings, inputs, scope
from portal.services.errors import NotFound


@dataclass(frozen=True)
class PostView:
    id: int = 0
    author: str = ""
    author_role: str = ""
    body: str = ""
    at_label: str = ""
    mine: bool = False


def list_posts(*, session: Session, actor: Actor, filing_id: int) -> list[PostView]:
    """Readable by anyone who can see the filing's client."""
    filing = filings.load(session, actor, filing_id)
    rows = session.exec(
        select(DiscussionPost, User)
        .join(User, User.id == DiscussionPost.author_id)
        .where(DiscussionPost.filing_id == filing.id, DiscussionPost.firm_id == filing.firm_id)
        .order_by(DiscussionPost.created_at, DiscussionPost.id)
    ).all()
    return [
        PostView(
            id=post.id,
            author=user.name,
            author_role=display.ROLE_LABELS.get(user.role, ""),
            body=post.body,
            at_label=display.moment(post.created_at),
            mine=user.id == actor.user_id,
        )
        for post, user in rows
    ]


def can_post(*, session: Session, actor: Actor, filing_id: int) -> bool:
    return (
        session.exec(
            select(Filing.id).where(
                Filing.id == filing_id,
                filings.visible(actor),
                scope.may_post_on_filing(actor, Filing.id),
            )
        ).first()
        is not None
    )


def add_post(*, session: Session, actor: Actor, filing_id: int, body: object) -> None:
    text = inputs.long_text(body, label="Message", max_length=5000, required=True)
    filing = session.exec(
        select(Filing).where(
            Filing.id == filing_id,
            filings.visible(actor),
            scope.may_post_on_filing(actor, Filing.id),
        )
    ).first()
    if filing is None:
        raise NotFound
    post = DiscussionPost(
        firm_id=filing.firm_id, filing_id=filing.id, author_id=actor.user_id, body=text
    )
    session.add(post)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="discussion_post",
        target_type="filing",
        target_id=filing.id,
        client_id=filing.client_id,
    )
