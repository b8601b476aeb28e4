"""What a unit of work runs after its commit: only for a change that stuck, never inside it."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from models import Firm
from portal.db import after_commit, unit_of_work


def test_runs_after_the_commit_and_sees_the_committed_change(db_url):
    seen = []

    def look():
        with unit_of_work() as other:
            seen.append(other.exec(select(Firm.name).where(Firm.name == "After")).first())

    with unit_of_work() as session:
        session.add(Firm(name="After"))
        after_commit(session, look)
        assert seen == []
    assert seen == ["After"]


def test_never_runs_for_a_change_rolled_back(db_url):
    ran = []
    with pytest.raises(RuntimeError), unit_of_work() as session:
        session.add(Firm(name="Undone"))
        after_commit(session, lambda: ran.append(1))
        raise RuntimeError("the action failed")
    assert ran == []
    with unit_of_work() as session:
        assert session.exec(select(Firm).where(Firm.name == "Undone")).first() is None


def test_a_failing_action_is_logged_and_the_change_stands(db_url, caplog):
    ran = []

    def broken():
        raise OSError("mail server gone")

    with caplog.at_level(logging.ERROR, logger="portal.db"), unit_of_work() as session:
        session.add(Firm(name="Stands"))
        after_commit(session, broken)
        after_commit(session, lambda: ran.append(1))
    assert ran == [1]
    assert "after-commit action failed" in caplog.text
    with unit_of_work() as session:
        assert session.exec(select(Firm).where(Firm.name == "Stands")).first() is not None
