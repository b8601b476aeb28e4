"""The access review page's state, run in process against a real database: what an admin
sees as they switch views and filters, and that a bad day changes nothing but the message."""

from __future__ import annotations

import pytest

from portal import auth, routes
from state.access_review import AccessReviewState
from tests.support.access_history import build_history
from tests.support.handlers import page_state, run_handler


@pytest.fixture
def review(session, world, monkeypatch):
    build_history(session, world, monkeypatch)
    auth.set_acting(world.actor(session, world.admin))
    session.commit()
    state = page_state(AccessReviewState)
    run_handler(state, "load")
    return state


def test_the_page_opens_on_who_can_open_what_now(review):
    assert [(r.person, r.client) for r in review.rows] == [
        ("Bea Books", "Maple Leaf Cafe Inc."),
        ("Dev Books", "Maple Leaf Cafe Inc."),
    ]
    assert review.caption == "Who can open which client right now, and through which step"
    assert review.csv_url == routes.ACCESS_REVIEW_EXPORT + "?view=now"
    assert review.error == ""


def test_switching_to_history_asks_for_a_person_then_shows_their_periods(review, world):
    run_handler(review, "choose_view", value="history")
    assert review.error == "Choose a person or a client to see their history of access."
    assert review.rows == [] and review.csv_url == ""  # nothing of "now" stays under this tab
    run_handler(review, "filter_person", value=str(world.bk2.id))
    assert review.error == "" and review.total == 3
    assert review.csv_url == routes.access_review_export(view="history", person=world.bk2.id)


def test_between_two_days_and_a_bad_day(review, world):
    run_handler(review, "choose_view", value="between")
    run_handler(review, "filter_client", value=str(world.client.id))
    run_handler(review, "set_dates", form={"day_from": "2026-03-01", "day_to": "2026-04-30"})
    assert [r.start_label for r in review.rows] == ["Mar 3, 2026, 10:02 UTC"]
    assert review.csv_url.endswith(
        f"view=between&client={world.client.id}&start=2026-03-01&end=2026-04-30"
    )
    run_handler(review, "set_dates", form={"day_from": "2026-02-30", "day_to": "2026-04-30"})
    assert review.error == "From (2026-02-30) is not a real date: check the day and the month."
    assert review.rows == [] and review.csv_url == ""


def test_the_client_search_narrows_the_picker(review):
    run_handler(review, "search_clients", form={"client_search": "river"})
    assert [c.label for c in review.clients] == ["River Valley Dental"]


def test_another_firms_client_reads_as_not_found(review, world):
    run_handler(review, "filter_client", value=str(world.outsider_client.id))
    assert review.page_status == "not_found" and review.rows == []
