"""The discussion thread on each filing: post, read, newest last."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from models import DiscussionPost, Filing, User
from portal.auth import Actor
from portal.services import audit, display, filings, inputs, live, scope
from portal.services.errors import NotFound


@dataclass(frozen=True)
class PostView:
    id: int = 0
    author: str = ""
    author_role: str = ""
    body: str = ""
    at_label: str = ""
    mine: bool = False


def _view(actor: Actor, post: DiscussionPost, author: str, role: str) -> PostView:
    return PostView(
        id=post.id,
        author=author,
        author_role=display.ROLE_LABELS.get(role, ""),
        body=post.body,
        at_label=display.moment(post.created_at),
        mine=post.author_id == actor.user_id,
    )


def _posts(filing_ids):
    return (
        select(DiscussionPost, User.name, User.role)
        .join(User, User.id == DiscussionPost.author_id)
        .where(DiscussionPost.filing_id.in_(filing_ids))
        .order_by(DiscussionPost.created_at, DiscussionPost.id)
    )


def list_posts(*, session: Session, actor: Actor, filing_id: int) -> list[PostView]:
    """Readable by anyone who can see the filing's client."""
    return posts_on(session, actor, filings.load(session, actor, filing_id))


def posts_on(session: Session, actor: Actor, filing: Filing) -> list[PostView]:
    """The thread of a filing the caller has already loaded through the scope rule."""
    return [_view(actor, *row) for row in session.exec(_posts([filing.id]))]


def threads(
    *, session: Session, actor: Actor, filing_ids: list[int]
) -> dict[int, tuple[list[PostView], bool]]:
    """Several filings' threads in two queries: (posts, may post) by filing id. The filings
    are only those the caller loaded through the scope rule; the scope is applied again here,
    so an id that is not in scope comes back with nothing."""
    visible = set(
        session.exec(select(Filing.id).where(Filing.id.in_(filing_ids), filings.visible(actor)))
    )
    if not visible:
        return {}
    posts: dict[int, list[PostView]] = {filing_id: [] for filing_id in visible}
    for row in session.exec(_posts(sorted(visible))):
        posts[row[0].filing_id].append(_view(actor, *row))
    postable = set(
        session.exec(
            select(Filing.id).where(
                Filing.id.in_(sorted(visible)), scope.may_post_on_filing(actor, Filing.id)
            )
        )
    )
    return {filing_id: (posts[filing_id], filing_id in postable) for filing_id in visible}


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
    live.changed(session, filing_id=filing.id)
    audit.record(
        session=session,
        actor=actor,
        action="discussion_post",
        target_type="filing",
        target_id=filing.id,
        client_id=filing.client_id,
    )
