"""The access rule and the task lists are answered from indexes, never by scanning a table."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, text, tuple_
from sqlmodel import Session, select

from models import Client, Document, Filing, Firm, Step
from portal.auth import Actor
from portal.db import engine_for
from portal.services import clients, dashboard, recurrence, scope, tasks, templates, workload

STAFF = Actor(
    user_id=2,
    firm_id=1,
    role="staff",
    name="s",
    email="s@x.example",
    session_id=1,
    must_change_password=False,
)
BOOKKEEPER = Actor(
    user_id=5,
    firm_id=1,
    role="bookkeeper",
    name="b",
    email="b@x.example",
    session_id=1,
    must_change_password=False,
)


TODAY = date(2026, 11, 25)
WEEKS = workload.week_starts(TODAY)
MONTHS = workload.month_starts(TODAY)


def plan(db_url: str, statement) -> list[str]:
    """The plan's lines, each naming a table as SQLite does: "SCAN step" for a full scan,
    "SEARCH step USING INDEX ix_..." for an index."""
    engine = engine_for(db_url)
    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            _postgres_statistics(engine)
            return _postgres_plan(conn, str(compiled))
        return [row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]


_PG_NODE = re.compile(
    r"(?P<kind>Seq Scan|(?:Bitmap )?Index(?: Only)? Scan|Bitmap Heap Scan)"
    r"(?: using (?P<index>\S+))? on (?P<table>\S+)"
)


def _postgres_statistics(engine) -> None:
    """Without statistics PostgreSQL picks among indexes that share a leading column by
    chance: it may walk the firm's clients through (firm_id, bn_key) to find a name. A firm
    of a thousand clients, analysed, gives the planner the numbers a real firm would."""
    with Session(engine) as session:
        if session.exec(select(func.count()).select_from(Client)).one():
            return
        firm = Firm(name="Statistics firm")
        session.add(firm)
        session.flush()
        session.add_all(
            Client(
                firm_id=firm.id,
                name=f"Client {n}",
                business_number=f"{n:09d}RT0001" if n % 2 else "",
            )
            for n in range(1000)
        )
        session.commit()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def _postgres_plan(conn, sql: str) -> list[str]:
    """PostgreSQL's plan in SQLite's words. The tables of a test database are tiny, so the
    planner would rightly read them whole; with sequential scans priced out, a "Seq Scan"
    left in the plan means that no index can answer the query."""
    conn.execute(text("SET enable_seqscan = off"))
    lines = [row[0] for row in conn.execute(text(f"EXPLAIN {sql}"))]
    steps, heap = [], ""
    for line in lines:
        found = _PG_NODE.search(line)
        if found is None:
            continue
        kind, table = found["kind"], found["table"]
        if kind == "Seq Scan":
            steps.append(f"SCAN {table}")
        elif kind == "Bitmap Heap Scan":
            heap = table  # the Bitmap Index Scan below it names the index
        elif kind == "Bitmap Index Scan":
            steps.append(f"SEARCH {heap} USING INDEX {table}")
        else:
            steps.append(f"SEARCH {table} USING INDEX {found['index']}")
    return steps or lines


QUERIES = {
    "open a client": lambda: select(Client).where(Client.id == 3, clients.visible(BOOKKEEPER)),
    "open a step": lambda: select(Step).where(Step.id == 3, scope.step_visible(BOOKKEEPER)),
    "open a document": lambda: select(Document).where(
        Document.id == 3,
        scope.client_id_visible(BOOKKEEPER, Document.client_id, Document.firm_id),
    ),
    "likely duplicate clients": lambda: clients.duplicates_query(
        BOOKKEEPER,
        clients.parse_client({"name": "Maple Leaf", "business_number": "123456789RT0001"}),
    ),
    "a deep page of the client list": lambda: (
        select(Client.id)
        .where(
            clients.visible(STAFF),
            tuple_(Client.name_key, Client.id) > tuple_("m", 5),
        )
        .order_by(Client.name_key, Client.id)
        .limit(25)
    ),
    "a client search": lambda: (
        select(Client.id)
        .where(clients.visible(STAFF), clients.search_matches("dental"))
        .order_by(Client.name_key, Client.id)
        .limit(25)
    ),
    "my tasks": lambda: (
        select(Step, Filing, Client)
        .join(Filing, Filing.id == Step.filing_id)
        .join(Client, Client.id == Filing.client_id)
        .where(*tasks._mine(BOOKKEEPER))
        .params(me=BOOKKEEPER.user_id)
        .limit(20)
    ),
    "who can open a client": lambda: scope.grants(firm_id=1, client_ids=[3]),
    "a firm's templates": lambda: templates._LIST.params(firm_id=1),
    "a template's steps": lambda: templates._STEPS.params(ids=[1, 2]),
    "filings made from templates": lambda: templates._USED.params(ids=[1, 2]),
    "the filing that follows a filing": lambda: select(Filing.id).where(
        Filing.previous_filing_id == 3
    ),
    "recurring filings due on schedule": lambda: recurrence.schedule_query(1, date(2026, 5, 1)),
    "what a person can open": lambda: scope.grants(firm_id=1, user_ids=[5, 6]),
    "what everyone in a firm can open": lambda: scope.grants(firm_id=1),
    "who can open clients, by person": lambda: scope.grants(
        firm_id=1, user_ids=[5], client_ids=[3, 4]
    ),
    # The Workload page (and the firm home): every chart is one GROUP BY over an index.
    "open steps per person": lambda: dashboard.assignee_counts(STAFF, TODAY),
    "time per person and week": lambda: workload.time_by_person_query(STAFF, WEEKS),
    "time per week of the clients with most": lambda: workload.time_by_client_query(
        STAFF, WEEKS, 8
    ),
    "time per client and week, every client": lambda: workload.time_by_client_query(STAFF, WEEKS),
    "filings due per month by status": lambda: workload.filings_by_month_query(STAFF, MONTHS),
}


def test_likely_duplicates_are_found_from_the_key_indexes(db_url):
    steps = plan(db_url, QUERIES["likely duplicate clients"]())
    used = " ".join(steps)
    assert "ix_client_firm_name_key" in used and "ix_client_firm_bn_key" in used, steps


def test_a_client_search_is_counted_from_the_list_index_alone(db_url):
    """20k clients in a firm: the count of matches reads index entries, never the rows."""
    count = (
        select(func.count())
        .select_from(Client)
        .where(clients.visible(STAFF), clients.search_matches("dental"))
    )
    steps = plan(db_url, count)
    if engine_for(db_url).dialect.name == "postgresql":
        # PostgreSQL picks among the firm's client indexes by its statistics (a test
        # database has few rows); that it reads one, never the whole table, is what holds.
        assert len(steps) == 1 and steps[0].startswith("SEARCH client USING INDEX"), steps
    else:
        assert steps == ["SEARCH client USING COVERING INDEX ix_client_firm_name_key (firm_id=?)"]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_no_table_is_scanned(db_url, name):
    steps = plan(db_url, QUERIES[name]())
    scans = [
        s
        for s in steps
        if re.match(r"SCAN (step|filing|client|document|user_account|template_step|time_entry)", s)
    ]
    assert scans == [], steps
    assert any("USING" in s for s in steps)


def test_a_filings_timeline_is_read_from_its_index(db_url):
    """The review timeline: the filing's own events, from ix_filing_event_filing (the audit
    log has no index on its target, so the timeline has a table of its own)."""
    from portal.services import review

    steps = plan(db_url, review._TIMELINE.params(filing_id=3))
    assert any("filing_event USING INDEX ix_filing_event_filing" in s for s in steps), steps
    assert not [s for s in steps if re.match(r"SCAN (filing_event|user_account)", s)], steps


def test_waiting_for_your_review_reads_the_reviewer_and_approver_indexes(db_url):
    from portal.services import review

    steps = plan(db_url, review._WAITING.params(me=5))
    assert not [s for s in steps if re.match(r"SCAN (filing|client)\b", s)], steps
    if engine_for(db_url).dialect.name == "sqlite":
        # PostgreSQL picks among the filing's indexes by its statistics (a test database
        # has no filings); that it reads an index, never the table, is what holds there.
        used = " ".join(steps)
        assert "ix_filing_reviewer_stage" in used and "ix_filing_approver_stage" in used, steps
