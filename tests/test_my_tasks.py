"""My Tasks: the bookkeeper's own steps on active filings, counted from the same query."""

from __future__ import annotations

from datetime import date

import pytest

from portal.services import tasks
from portal.services.errors import Invalid, NotFound
from tests.factories import make_client, make_filing, make_step


@pytest.fixture
def busy(session, world):
    """Bea's work: overdue, due soon, later, undated, waiting, done; plus other people's."""
    dental = world.other_client
    payroll = make_filing(session, dental, kind="Payroll")
    make_step(session, world.filing, world.bk1, title="Overdue one", due_in=-2)
    make_step(session, payroll, world.bk1, title="Soon one", due_in=3)
    make_step(session, payroll, world.bk1, title="Later one", due_in=30)
    make_step(session, payroll, world.bk1, title="Undated one", due_in=None)
    make_step(
        session,
        payroll,
        world.bk1,
        title="Waiting one",
        due_in=-1,
        status="waiting_on_client",
        waiting_reason="Receipts",
    )
    make_step(session, payroll, world.bk1, title="Done one", due_in=-5, status="done")
    make_step(session, payroll, world.bk2, title="Dev's", due_in=1)
    filed = make_filing(session, make_client(session, world.firm, "Old Co"), status="filed")
    make_step(session, filed, world.bk1, title="On a filed filing", due_in=-9)
    session.commit()
    return world


def titles(result):
    return [r.title for r in result.rows]


def test_counters_come_from_the_persons_own_open_steps(session, busy):
    bk = busy.actor(session, busy.bk1)
    result = tasks.my_tasks(session=session, actor=bk, today=date.today())
    assert result.assigned == 7  # every step of hers on an active filing, done included
    assert result.due_soon == 2  # the demo step (5 days) and "Soon one"
    assert result.overdue == 2  # "Overdue one" and "Waiting one" (not done, past due)
    assert "Dev's" not in titles(result) and "On a filed filing" not in titles(result)
    assert [c.name for c in result.clients] == ["Maple Leaf Cafe Inc.", "River Valley Dental"]


def test_sorted_by_due_date_with_undated_last(session, busy):
    bk = busy.actor(session, busy.bk1)
    assert titles(tasks.my_tasks(session=session, actor=bk)) == [
        "Done one",
        "Overdue one",
        "Waiting one",
        "Soon one",
        "Enter Q1 bank transactions",
        "Later one",
        "Undated one",
    ]
    latest_first = titles(tasks.my_tasks(session=session, actor=bk, sort="due_desc"))
    assert latest_first[0] == "Later one" and latest_first[-1] == "Undated one"
    by_client = tasks.my_tasks(session=session, actor=bk, sort="client").rows
    assert by_client[0].client_name == "Maple Leaf Cafe Inc."


def test_filters_by_status_and_client(session, busy):
    bk = busy.actor(session, busy.bk1)
    waiting = tasks.my_tasks(session=session, actor=bk, status="waiting_on_client")
    assert titles(waiting) == ["Waiting one"] and waiting.rows[0].due_label == "Waiting on client"
    dental = tasks.my_tasks(session=session, actor=bk, client_id=busy.other_client.id)
    assert set(titles(dental)) == {
        "Soon one",
        "Later one",
        "Undated one",
        "Waiting one",
        "Done one",
    }
    assert dental.assigned == 7  # the counters stay the person's whole workload
    for foreign in (busy.outsider_client.id, 987654):
        with pytest.raises(NotFound):
            tasks.my_tasks(session=session, actor=bk, client_id=foreign)


def test_the_line_reads_like_the_product_sheet(session, busy):
    bk = busy.actor(session, busy.bk1)
    row = next(
        r for r in tasks.my_tasks(session=session, actor=bk).rows if r.title == "Overdue one"
    )
    assert (row.client_name, row.filing_kind) == ("Maple Leaf Cafe Inc.", "GST/HST")
    assert row.due_label.startswith("Overdue since") and row.url == f"/tasks/{row.step_id}"


def test_paging(session, world):
    for i in range(25):
        make_step(session, world.filing, world.bk1, title=f"Bulk {i:02d}", due_in=i)
    session.commit()
    bk = world.actor(session, world.bk1)
    first = tasks.my_tasks(session=session, actor=bk, page=1)
    second = tasks.my_tasks(session=session, actor=bk, page=2)
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (26, 2, 20, 6)


@pytest.mark.parametrize(("field", "value"), [("status", "archived"), ("sort", "random")])
def test_bad_filters_get_a_message(session, world, field, value):
    with pytest.raises(Invalid):
        tasks.my_tasks(session=session, actor=world.actor(session, world.bk1), **{field: value})


def test_a_sort_a_page_or_a_status_reads_only_the_rows_and_their_total(session, busy):
    """Refresh only what changed: the counters and client choices stay as loaded, the rows
    and the filtered total are read afresh (two statements instead of three)."""
    from sqlalchemy import event

    bea = busy.actor(session, busy.bk1)
    statements = []
    engine = session.get_bind()
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        full = tasks.my_tasks(session=session, actor=bea, sort="client")
        whole = len(statements)
        statements.clear()
        part = tasks.my_tasks(
            session=session, actor=bea, sort="client", status="waiting_on_client", counted=False
        )
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert (whole, len(statements)) == (3, 2)
    assert full.counted and not part.counted
    assert titles(part) == ["Waiting one"] and part.total == 1
    # Nothing is counted that was not read.
    assert (part.assigned, part.due_soon, part.overdue, part.clients) == (0, 0, 0, [])


def test_a_client_filter_is_checked_even_when_only_rows_are_read(session, busy):
    bea = busy.actor(session, busy.bk1)
    with pytest.raises(NotFound):
        tasks.my_tasks(session=session, actor=bea, client_id=busy.outsider_client.id, counted=False)
