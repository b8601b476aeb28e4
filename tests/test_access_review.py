"""The access review: what an admin is told about who can open which client now, and who
could, when and why; and what anyone else is told (nothing, in the usual words)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from models import AuditEvent
from portal.services import access_review, runner, steps
from portal.services.access_review import Review, View
from portal.services.errors import Invalid, NotFound, Refused
from tests.factories import make_client, make_user
from tests.support.access_history import build_history


@pytest.fixture
def history(session: Session, world, monkeypatch):
    return build_history(session, world, monkeypatch)


def page(session, world, **asked) -> access_review.ReviewPage:
    admin = world.actor(session, world.admin)
    return access_review.review_page(session=session, actor=admin, review=Review(**asked))


def asked(**typed) -> Review:
    return access_review.review(**typed)


# --- now --------------------------------------------------------------------------------------


def test_now_lists_every_way_in_with_how_it_began(session, world, history):
    shown = page(session, world)
    assert [(r.person, r.client, r.step) for r in shown.rows] == [
        ("Bea Books", "Maple Leaf Cafe Inc.", "Enter Q1 bank transactions"),
        ("Dev Books", "Maple Leaf Cafe Inc.", "Enter Q2 bank transactions"),
    ]
    dev = shown.rows[1]
    assert dev.filing == "GST/HST Q2 2026"
    assert dev.start_label == "May 10, 2026, 09:00 UTC"
    assert dev.began == "filing GST/HST Q2 2026 reopened by Sam Staff"
    assert dev.end_label == "still open"
    # Bea's step predates the ledger (a factory wrote it): shown, with no start made up.
    assert shown.rows[0].start_label == "" and shown.rows[0].began == ""
    assert [p.label for p in shown.people] == ["Bea Books", "Dev Books"]


def test_now_filters_by_person_and_by_client(session, world, history):
    assert [r.person for r in page(session, world, person_id=world.bk2.id).rows] == ["Dev Books"]
    assert page(session, world, client_id=world.other_client.id).rows == []
    both = page(session, world, person_id=world.bk1.id, client_id=world.client.id)
    assert [r.step for r in both.rows] == ["Enter Q1 bank transactions"]


def test_staff_never_appear_in_now_they_see_the_firm_by_role(session, world, history):
    sam = world.actor(session, world.staff)
    steps.assign_step(session=session, actor=sam, step_id=world.step.id, assignee_id=world.staff.id)
    assert [r.person for r in page(session, world).rows] == ["Dev Books"]


# --- history ----------------------------------------------------------------------------------


def test_a_persons_history_pairs_each_grant_with_its_end(session, world, history):
    shown = page(session, world, view=View.HISTORY, person_id=world.bk2.id)
    assert [(r.step, r.start_label, r.end_label) for r in shown.rows] == [
        ("Temporary", "Jun 2, 2026, 08:00 UTC", "Jun 3, 2026, 08:00 UTC"),
        ("Enter Q2 bank transactions", "May 10, 2026, 09:00 UTC", "still open"),
        ("Enter Q2 bank transactions", "Mar 3, 2026, 10:02 UTC", "Apr 30, 2026, 16:40 UTC"),
    ]
    first = shown.rows[2]
    assert first.summary == (
        "Dev Books could open Maple Leaf Cafe Inc. from Mar 3, 2026, 10:02 UTC to "
        "Apr 30, 2026, 16:40 UTC: assigned “Enter Q2 bank transactions” by Sam Staff; "
        "ended: filing GST/HST Q2 2026 filed by Sam Staff"
    )
    # The removed step's title was kept by the ledger, though the step is gone.
    assert shown.rows[0].ended == "step “Temporary” removed by Sam Staff"
    assert shown.rows[0].began == "given the new step “Temporary” by Sam Staff"


def test_a_clients_history_and_an_unknown_cause_shown_as_recorded(session, world, history):
    shown = page(session, world, view=View.HISTORY, client_id=world.client.id)
    assert shown.total == 3 and {r.person for r in shown.rows} == {"Dev Books"}
    assert page(session, world, view=View.HISTORY, client_id=world.other_client.id).total == 0
    assert (
        access_review.cause_text(
            "billing.frozen", granted=False, step="x", filing="y", actor="Ada Admin"
        )
        == "billing.frozen by Ada Admin"
    )
    assert (
        access_review.cause_text("login.deactivated", granted=False, step="", filing="", actor="")
        == "login deactivated"
    )


def test_history_is_shown_a_page_at_a_time(session, world, history, monkeypatch):
    monkeypatch.setattr(access_review, "PAGE_SIZE", 2)
    admin = world.actor(session, world.admin)
    mine = Review(View.HISTORY, person_id=world.bk2.id)
    first = access_review.review_page(session=session, actor=admin, review=mine, page=1)
    second = access_review.review_page(session=session, actor=admin, review=mine, page=2)
    beyond = access_review.review_page(session=session, actor=admin, review=mine, page=99)
    assert (first.total, first.pages, len(first.rows)) == (3, 2, 2)
    assert [r.key for r in second.rows] == [r.key for r in beyond.rows] and beyond.page == 2
    assert {r.key for r in first.rows}.isdisjoint(r.key for r in second.rows)


# --- between two days --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-03-01", "2026-03-02", []),
        ("2026-03-01", "2026-03-03", ["Mar 3, 2026, 10:02 UTC"]),  # the last day counts whole
        ("2026-04-30", "2026-04-30", ["Mar 3, 2026, 10:02 UTC"]),  # ended that afternoon
        ("2026-05-01", "2026-05-09", []),  # filed, not yet reopened
        ("2026-05-09", "2026-05-10", ["May 10, 2026, 09:00 UTC"]),
        ("2027-01-01", "2027-12-31", ["May 10, 2026, 09:00 UTC"]),  # still open
    ],
)
def test_who_could_open_a_client_between_two_days(session, world, history, start, end, expected):
    wanted = asked(view="between", client=str(world.client.id), start=start, end=end)
    shown = access_review.review_page(
        session=session, actor=world.actor(session, world.admin), review=wanted
    )
    assert [r.start_label for r in shown.rows if r.step.startswith("Enter Q2")] == expected


def test_between_narrows_to_a_person(session, world, history):
    wanted = asked(
        view="between",
        client=str(world.client.id),
        person=str(world.bk1.id),
        start="2026-01-01",
        end="2026-12-31",
    )
    admin = world.actor(session, world.admin)
    assert access_review.review_page(session=session, actor=admin, review=wanted).rows == []


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"start": "2026-04-30", "end": "2026-03-01"}, "From (Apr 30, 2026) is after To"),
        ({"start": "2026-02-30", "end": "2026-03-01"}, "From (2026-02-30) is not a real date"),
        ({"start": "30/04/2026", "end": "2026-05-01"}, "From must be a date written as YYYY-MM-DD"),
        ({"start": "", "end": "2026-05-01"}, "Enter both days"),
        ({"start": "2026-01-01", "end": "2026-05-01", "client": ""}, "Choose the client"),
    ],
)
def test_bad_days_are_refused_with_what_to_fix(typed, message):
    with pytest.raises(Invalid) as refused:
        access_review.review(**{"view": "between", "client": "7", **typed})
    assert message in refused.value.message


def test_history_needs_a_person_or_a_client_and_views_are_named():
    with pytest.raises(Invalid, match="Choose a person or a client"):
        access_review.review(view="history")
    with pytest.raises(Invalid, match="Choose one of the views"):
        access_review.review(view="everything")
    with pytest.raises(Invalid, match="That client does not exist"):
        access_review.review(view="now", client="1 OR 1=1")


# --- who may ask --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "bk1"])
def test_only_admins_get_an_answer_and_the_refusal_is_audited(session, world, history, who):
    actor = world.actor(session, getattr(world, who))
    with pytest.raises(Refused):
        access_review.review_page(session=session, actor=actor, review=Review())
    with pytest.raises(Refused):
        access_review.start_export(session=session, actor=actor, review=Review())
    session.commit()
    with pytest.raises(Refused):
        runner.perform(access_review.review_page, actor=actor, review=Review())
    refused = session.exec(
        select(AuditEvent).where(
            AuditEvent.actor_id == actor.user_id, AuditEvent.outcome == "refused"
        )
    ).all()
    assert refused


def test_another_firms_client_or_person_reads_as_not_found(session, world, history):
    admin = world.actor(session, world.admin)
    ghosts = [
        Review(client_id=world.outsider_client.id),
        Review(client_id=987654),
        Review(View.HISTORY, person_id=world.outsider.id),
        Review(View.HISTORY, person_id=987654),
    ]
    for ghost in ghosts:
        with pytest.raises(NotFound) as refused:
            access_review.review_page(session=session, actor=admin, review=ghost)
        assert refused.value.message == NotFound.message
    # The other firm's own admin sees none of this firm's access.
    theirs = make_user(session, world.other_firm, "admin", email="boss@beta.example")
    session.commit()
    other = world.actor(session, theirs)
    assert access_review.review_page(session=session, actor=other, review=Review()).rows == []


def test_the_client_picker_searches_and_keeps_the_chosen_client(session, world, history):
    for n in range(3):
        make_client(session, world.firm, f"Zed Holdings {n}")
    session.commit()
    admin = world.actor(session, world.admin)
    found = access_review.review_page(
        session=session,
        actor=admin,
        review=Review(client_id=world.client.id),
        client_search="zed",
    )
    assert [c.label for c in found.clients] == [
        "Maple Leaf Cafe Inc.",
        "Zed Holdings 0",
        "Zed Holdings 1",
        "Zed Holdings 2",
    ]


# --- the export ---------------------------------------------------------------------------------


def test_an_export_is_named_by_its_filters_and_recorded(session, world, history):
    admin = world.actor(session, world.admin)
    wanted = asked(
        view="between", client=str(world.client.id), start="2026-03-01", end="2026-04-30"
    )
    export = access_review.start_export(session=session, actor=admin, review=wanted)
    assert export.filename == "access-between-maple-leaf-cafe-inc-2026-03-01-2026-04-30.csv"
    session.commit()
    recorded = session.exec(
        select(AuditEvent).where(AuditEvent.action == "access_review_exported")
    ).one()
    assert recorded.actor_id == world.admin.id and recorded.detail == export.filename


@pytest.mark.parametrize(
    "wanted",
    [Review(), Review(View.HISTORY, person_id=0), Review(View.HISTORY, client_id=0)],
    ids=["now", "person", "client"],
)
def test_export_batches_follow_on_without_gaps_or_repeats(
    session, world, history, monkeypatch, wanted
):
    """Batches of one row: every batch starts where the last ended, in the page's order."""
    for n in range(3):  # more ways in, for a longer "now"
        steps.add_step(
            session=session,
            actor=world.actor(session, world.staff),
            filing_id=history.id,
            title=f"Extra {n}",
            assignee_id=world.bk1.id,
        )
    session.commit()
    if wanted.view is View.HISTORY:
        wanted = Review(
            View.HISTORY,
            person_id=world.bk2.id if wanted.person_id is not None else None,
            client_id=world.client.id if wanted.client_id is not None else None,
        )
    admin = world.actor(session, world.admin)
    whole = access_review.review_page(session=session, actor=admin, review=wanted)
    monkeypatch.setattr(access_review, "EXPORT_BATCH", 1)
    streamed, after = [], None
    while True:
        batch = access_review.export_batch(session=session, actor=admin, review=wanted, after=after)
        streamed += batch.rows
        if batch.after is None:
            break
        after = batch.after
    assert [row[:3] for row in streamed] == [[r.person, r.client, r.step] for r in whole.rows]
    assert len(streamed) == whole.total >= 3


def test_dates_are_read_as_typed_calendar_days():
    wanted = asked(view="between", client="3", start="2026-03-01", end="2026-04-30")
    assert (wanted.start, wanted.end) == (date(2026, 3, 1), date(2026, 4, 30))


def test_each_view_says_which_question_it_answers(session, world, history):
    dev, maple = world.bk2.id, world.client.id
    days = {"start": date(2026, 3, 1), "end": date(2026, 4, 30)}
    captions = {
        Review(): "Who can open which client right now, and through which step",
        Review(client_id=maple): "Who can open Maple Leaf Cafe Inc. right now, and through "
        "which step",
        Review(person_id=dev): "What Dev Books can open right now, and through which step",
        Review(person_id=dev, client_id=maple): "Whether Dev Books can open Maple Leaf Cafe "
        "Inc. right now, and through which step",
        Review(View.HISTORY, person_id=dev): "Every period of access for Dev Books, newest first",
        Review(View.BETWEEN, client_id=maple, **days): "Who could open Maple Leaf Cafe Inc. "
        "between Mar 1, 2026 and Apr 30, 2026",
        Review(View.BETWEEN, person_id=dev, client_id=maple, **days): "Whether Dev Books could "
        "open Maple Leaf Cafe Inc. between Mar 1, 2026 and Apr 30, 2026",
    }
    for asked_for, caption in captions.items():
        assert page(session, world, **vars(asked_for)).caption == caption
