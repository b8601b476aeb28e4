"""The discussion thread on a filing."""

from __future__ import annotations

import pytest

from portal.services import discussion
from portal.services.errors import Invalid, NotFound


def test_post_and_read_newest_last(session, world):
    staff = world.actor(session, world.staff)
    admin = world.actor(session, world.admin)
    discussion.add_post(session=session, actor=staff, filing_id=world.filing.id, body="First")
    discussion.add_post(session=session, actor=admin, filing_id=world.filing.id, body="Second")
    posts = discussion.list_posts(session=session, actor=staff, filing_id=world.filing.id)
    assert [(p.author, p.body, p.mine) for p in posts] == [
        ("Sam Staff", "First", True),
        ("Ada Admin", "Second", False),
    ]


def test_empty_message_is_refused(session, world):
    with pytest.raises(Invalid, match="Message cannot be empty"):
        discussion.add_post(
            session=session,
            actor=world.actor(session, world.staff),
            filing_id=world.filing.id,
            body="\n ",
        )


def test_another_firms_thread_is_not_found(session, world):
    staff = world.actor(session, world.staff)
    with pytest.raises(NotFound):
        discussion.list_posts(session=session, actor=staff, filing_id=world.outsider_filing.id)
    with pytest.raises(NotFound):
        discussion.add_post(
            session=session, actor=staff, filing_id=world.outsider_filing.id, body="hi"
        )
