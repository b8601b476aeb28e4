"""The access review is answered from indexes: a client's or a person's ledger rows are read
through their index range, never by scanning the ledger, and "now" is the rule's own plan."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import insert, text
from sqlmodel import Session

from models import AccessChange, utcnow
from portal.db import engine_for
from portal.services import access_review
from portal.services.access_review import Review, View
from tests.factories import make_client, make_filing, make_firm, make_user
from tests.test_query_plans import plan

REVIEWS = {
    "a client's history": (Review(View.HISTORY, client_id=3), "ix_access_change_firm_client_at"),
    "a person's history": (Review(View.HISTORY, person_id=5), "ix_access_change_firm_user_at"),
    "who could open a client between two days": (
        Review(View.BETWEEN, client_id=3, start=date(2026, 3, 1), end=date(2026, 4, 30)),
        "ix_access_change_firm_client_at",
    ),
}


def _ledger_statistics(db_url: str) -> None:
    """PostgreSQL picks between the ledger's two indexes (both lead with firm_id) by its
    statistics: an empty test table says nothing. A firm of 40 clients and 50 bookkeepers
    with a ledger of 4,000 rows, analysed, gives it the numbers a real firm would."""
    engine = engine_for(db_url)
    if engine.dialect.name != "postgresql":
        return
    with Session(engine) as session:
        firm = make_firm(session, "Ledger statistics")
        people = [make_user(session, firm, "bookkeeper") for _ in range(50)]
        clients = [make_client(session, firm) for _ in range(40)]
        filings = [make_filing(session, c) for c in clients]
        now = utcnow()
        session.execute(
            insert(AccessChange),
            [
                {
                    "firm_id": firm.id,
                    "user_id": people[n % 50].id,
                    "client_id": clients[n % 40].id,
                    "step_id": n,
                    "filing_id": filings[n % 40].id,
                    "change": "granted",
                    "cause": "step.assigned",
                    "at": now,
                }
                for n in range(4000)
            ],
        )
        session.commit()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE access_change"))


def _page_of(review: Review):
    periods = access_review._periods(1, review)
    columns = periods.selected_columns
    return access_review._named(
        periods.order_by(columns.at.desc(), columns.id.desc()).limit(50).subquery("paged")
    )


@pytest.mark.parametrize("name", sorted(REVIEWS))
def test_periods_are_read_from_the_ledgers_index(db_url, name):
    review, index = REVIEWS[name]
    _ledger_statistics(db_url)
    steps = plan(db_url, _page_of(review))
    assert not [s for s in steps if re.match(r"SCAN (access_change|user_account|client)\b", s)]
    assert any("access_change" in s and index in s for s in steps), steps


@pytest.mark.parametrize(
    "review", [Review(), Review(person_id=5), Review(client_id=3)], ids=["firm", "person", "client"]
)
def test_now_is_read_from_indexes(db_url, review):
    statement = access_review._now(1, review)
    steps = plan(db_url, statement.order_by(*access_review._now_key(statement)).limit(50))
    scans = [s for s in steps if re.match(r"SCAN (step|filing|client|user_account)\b", s)]
    assert scans == [], steps
