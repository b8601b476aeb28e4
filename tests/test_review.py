"""Review and sign-off: each transition, who may take it, the guard on filing, returns that
reopen steps, what clears an approval, races, and the timeline."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session, select

from models import AuditEvent, Filing, Firm, Step
from portal.services import filings, notifications, review, scope, steps, workspace
from portal.services.errors import Conflict, Invalid, NotFound, Refused
from tests.factories import make_step, make_user


@dataclass
class Cast:
    world: object
    sam: object  # staff who sends
    ana: object  # reviewer
    otto: object  # approver
    nell: object  # other staff
    admin: object
    bea: object  # bookkeeper on the first step
    filing_id: int
    step_ids: tuple[int, int]


def people(session: Session, world) -> dict:
    ana = make_user(session, world.firm, "staff", name="Ana Lee", email="ana@alpha.example")
    otto = make_user(session, world.firm, "staff", name="Otto Marsh", email="otto@alpha.example")
    nell = make_user(session, world.firm, "staff", name="Nell Park", email="nell@alpha.example")
    return {"ana": ana, "otto": otto, "nell": nell}


@pytest.fixture
def cast(session, world) -> Cast:
    """The world's filing with two steps, both done, naming Ana to review and Otto to
    approve; its first step is Bea's."""
    named = people(session, world)
    second = make_step(session, world.filing, world.staff, title="Prepare the return")
    for step in (world.step, second):
        step.status = "done"
        session.add(step)
    world.filing.reviewer_id = named["ana"].id
    world.filing.approver_id = named["otto"].id
    session.add(world.filing)
    session.commit()
    a = lambda user: world.actor(session, user)  # noqa: E731
    return Cast(
        world=world,
        sam=a(world.staff),
        ana=a(named["ana"]),
        otto=a(named["otto"]),
        nell=a(named["nell"]),
        admin=a(world.admin),
        bea=a(world.bk1),
        filing_id=world.filing.id,
        step_ids=(world.step.id, second.id),
    )


def filing(session, cast) -> Filing:
    row = session.get(Filing, cast.filing_id)
    session.refresh(row)
    return row


def act(fn, session, actor, cast, **kwargs):
    return fn(session=session, actor=actor, filing_id=cast.filing_id, **kwargs)


def file(session, actor, cast):
    return filings.change_status(
        session=session, actor=actor, filing_id=cast.filing_id, action="file"
    )


def timeline_texts(session, cast) -> list[str]:
    return [e.text for e in review.timeline(session, filing(session, cast))]


def test_the_whole_way_sent_approved_signed_off_filed_each_on_the_timeline(session, cast):
    act(review.send_to_review, session, cast.sam, cast)
    row = filing(session, cast)
    assert (row.status, row.review_stage) == ("in_review", "awaiting_review")
    act(review.approve, session, cast.ana, cast)
    row = filing(session, cast)
    assert (row.status, row.review_stage, row.approved_by_id) == (
        "in_review",
        "approved",
        cast.ana.user_id,
    )
    with pytest.raises(Invalid, match="waiting for Otto Marsh's sign-off"):
        file(session, cast.sam, cast)
    act(review.sign_off, session, cast.otto, cast)
    assert filing(session, cast).review_stage == "signed_off"
    assert file(session, cast.sam, cast).status == "filed"

    assert timeline_texts(session, cast) == [
        "Sent to review by Sam Staff",
        "Approved by Ana Lee",
        "Signed off by Otto Marsh",
        "Filed by Sam Staff",
    ]
    audited = session.exec(
        select(AuditEvent.action)
        .where(AuditEvent.target_type == "filing", AuditEvent.target_id == cast.filing_id)
        .order_by(AuditEvent.id)
    ).all()
    assert audited[-4:] == [
        "filing_sent_to_review",
        "filing_approved",
        "filing_signed_off",
        "filing_filed",
    ]


def test_the_timeline_reads_in_the_firms_time_zone(session, cast):
    firm = session.get(Firm, cast.world.firm.id)
    firm.time_zone = "America/Vancouver"
    session.add(firm)
    session.commit()
    act(review.send_to_review, session, cast.sam, cast)
    (entry,) = review.timeline(session, filing(session, cast))
    assert entry.at_label.endswith(("PST", "PDT"))


def test_sending_is_refused_while_a_step_is_not_done_naming_it(session, cast):
    step = session.get(Step, cast.step_ids[0])
    step.status = "in_progress"
    session.add(step)
    session.commit()
    with pytest.raises(Invalid, match="Not done yet: “Enter Q1 bank transactions”"):
        act(review.send_to_review, session, cast.sam, cast)
    assert (filing(session, cast).status, filing(session, cast).review_stage) == ("open", "")


def test_sending_is_refused_when_nobody_is_named_and_such_a_filing_files_directly(session, cast):
    row = filing(session, cast)
    row.reviewer_id = row.approver_id = None
    session.add(row)
    session.commit()
    with pytest.raises(Invalid, match="Name a reviewer or an approver"):
        act(review.send_to_review, session, cast.sam, cast)
    assert file(session, cast.sam, cast).status == "filed"


def test_a_filing_naming_a_reviewer_cannot_be_filed_before_review(session, cast):
    with pytest.raises(Invalid, match="must go through review"):
        file(session, cast.sam, cast)
    act(review.send_to_review, session, cast.sam, cast)
    with pytest.raises(Invalid, match="Waiting for Ana Lee's review"):
        file(session, cast.sam, cast)
    assert filing(session, cast).status == "in_review"


def test_reviewer_only_approval_is_enough_to_file(session, cast):
    row = filing(session, cast)
    row.approver_id = None
    session.add(row)
    session.commit()
    act(review.send_to_review, session, cast.sam, cast)
    act(review.approve, session, cast.ana, cast)
    assert "ready to file" in review.stage_label(session, filing(session, cast))
    assert file(session, cast.sam, cast).status == "filed"


def test_approver_only_sending_goes_straight_to_the_sign_off(session, cast):
    row = filing(session, cast)
    row.reviewer_id = None
    session.add(row)
    session.commit()
    act(review.send_to_review, session, cast.sam, cast)
    assert filing(session, cast).review_stage == "approved"
    assert review.stage_label(session, filing(session, cast)) == (
        "Waiting for Otto Marsh's sign-off."
    )
    with pytest.raises(Invalid):
        file(session, cast.sam, cast)
    act(review.sign_off, session, cast.otto, cast)
    assert file(session, cast.sam, cast).status == "filed"


def test_other_staff_cannot_take_the_reviewers_or_approvers_transition(session, cast):
    act(review.send_to_review, session, cast.sam, cast)
    for who in (cast.nell, cast.otto):
        with pytest.raises(Refused, match="Only Ana Lee, the reviewer, or an admin"):
            act(review.approve, session, who, cast)
        with pytest.raises(Refused, match="Only Ana Lee"):
            act(review.return_filing, session, who, cast, note="Fix it", step_ids=[1])
    act(review.approve, session, cast.ana, cast)
    for who in (cast.nell, cast.ana):
        with pytest.raises(Refused, match="Only Otto Marsh, the approver, or an admin"):
            act(review.sign_off, session, who, cast)
    row = filing(session, cast)
    assert (row.status, row.review_stage, row.signed_off_by_id) == ("in_review", "approved", None)


def test_an_admin_may_take_every_transition(session, cast):
    act(review.send_to_review, session, cast.admin, cast)
    act(review.approve, session, cast.admin, cast)
    act(review.sign_off, session, cast.admin, cast)
    assert timeline_texts(session, cast) == [
        "Sent to review by Ada Admin",
        "Approved by Ada Admin",
        "Signed off by Ada Admin",
    ]


def test_bookkeepers_are_refused_and_another_firms_filing_is_not_found(session, cast):
    for fn in (review.send_to_review, review.approve, review.sign_off):
        with pytest.raises(Refused):
            act(fn, session, cast.bea, cast)
    with pytest.raises(Refused):
        act(review.return_filing, session, cast.bea, cast, note="x", step_ids=[cast.step_ids[0]])
    outsider = cast.world.actor(session, cast.world.outsider)
    for fn in (review.send_to_review, review.approve, review.sign_off):
        with pytest.raises(NotFound):
            act(fn, session, outsider, cast)
    assert filing(session, cast).review_stage == ""


def test_in_review_keeps_the_bookkeepers_access(session, cast):
    act(review.send_to_review, session, cast.sam, cast)
    act(review.approve, session, cast.ana, cast)
    assert steps.get_step(session=session, actor=cast.bea, step_id=cast.step_ids[0]).id


def test_a_return_needs_a_note_and_a_step_and_keeps_everything_when_refused(session, cast):
    act(review.send_to_review, session, cast.sam, cast)
    with pytest.raises(Invalid, match="note for the return"):
        act(review.return_filing, session, cast.ana, cast, note="  ", step_ids=[cast.step_ids[0]])
    with pytest.raises(Invalid, match="at least one step"):
        act(review.return_filing, session, cast.ana, cast, note="Fix the deposits", step_ids=[])
    with pytest.raises(Invalid, match="no longer on this filing"):
        act(
            review.return_filing,
            session,
            cast.ana,
            cast,
            note="Fix",
            step_ids=[cast.world.outsider_step.id],
        )
    assert filing(session, cast).review_stage == "awaiting_review"


def test_a_return_reopens_the_named_steps_and_the_filing(session, cast):
    act(review.send_to_review, session, cast.sam, cast)
    act(
        review.return_filing,
        session,
        cast.ana,
        cast,
        note="The deposits do not match the statement",
        step_ids=[str(cast.step_ids[0])],
    )
    row = filing(session, cast)
    assert (row.status, row.review_stage) == ("open", "")
    first, second = (session.get(Step, i) for i in cast.step_ids)
    session.refresh(first)
    session.refresh(second)
    assert (first.status, second.status) == ("in_progress", "done")
    # Bea sees her step again among her open work, and is told why.
    view = steps.get_step(session=session, actor=cast.bea, step_id=first.id)
    assert view.status == "in_progress"
    (told,) = notifications.latest(session=session, actor=cast.bea)
    assert told.text == "Reopened in review: Enter Q1 bank transactions"
    assert told.unread
    (_sent, returned) = review.timeline(session, row)
    assert returned.text == "Returned by Ana Lee"
    assert returned.note == "The deposits do not match the statement"
    assert returned.detail == "Steps reopened: “Enter Q1 bank transactions”"
    detail = session.exec(
        select(AuditEvent.detail).where(AuditEvent.action == "filing_returned")
    ).one()
    assert "note: The deposits do not match the statement" in detail
    # Done again, it is sent again and reviewed afresh.
    steps.set_status(session=session, actor=cast.bea, step_id=first.id, status="done")
    act(review.send_to_review, session, cast.sam, cast)
    act(review.approve, session, cast.ana, cast)


def test_two_approvals_from_the_same_round_one_wins_and_the_other_is_told_who(session, cast):
    act(review.send_to_review, session, cast.sam, cast)
    seen = filing(session, cast).review_version
    act(review.approve, session, cast.ana, cast, expected_version=seen)
    with pytest.raises(Conflict, match="Ana Lee approved this filing at"):
        act(review.approve, session, cast.admin, cast, expected_version=seen)
    with pytest.raises(Conflict, match="Ana Lee approved this filing"):
        act(
            review.return_filing,
            session,
            cast.admin,
            cast,
            note="No",
            step_ids=[cast.step_ids[0]],
            expected_version=seen,
        )
    assert timeline_texts(session, cast).count("Approved by Ana Lee") == 1
    assert filing(session, cast).approved_by_id == cast.ana.user_id


def test_a_stale_page_cannot_approve_a_filing_returned_and_sent_again(session, cast):
    act(review.send_to_review, session, cast.sam, cast)
    seen = filing(session, cast).review_version
    act(review.return_filing, session, cast.ana, cast, note="Redo", step_ids=[cast.step_ids[1]])
    steps.set_status(session=session, actor=cast.sam, step_id=cast.step_ids[1], status="done")
    act(review.send_to_review, session, cast.sam, cast)
    with pytest.raises(Conflict, match="Sam Staff sent this filing to review"):
        act(review.approve, session, cast.ana, cast, expected_version=seen)


def test_changing_the_approver_clears_the_approval_and_says_so(session, cast):
    act(review.send_to_review, session, cast.sam, cast)
    act(review.approve, session, cast.ana, cast)
    said = filings.set_reviewer(
        session=session,
        actor=cast.sam,
        filing_id=cast.filing_id,
        user_id=cast.nell.user_id,
        role="approver",
    )
    assert said.startswith("The approval was cleared. Waiting for Ana Lee's review.")
    row = filing(session, cast)
    assert (row.status, row.review_stage, row.approved_by_id) == (
        "in_review",
        "awaiting_review",
        None,
    )
    assert timeline_texts(session, cast)[-1] == "Review cleared by Sam Staff"


def test_changing_the_reviewer_while_awaiting_review_hands_it_over(session, cast):
    act(review.send_to_review, session, cast.sam, cast)
    said = filings.set_reviewer(
        session=session,
        actor=cast.sam,
        filing_id=cast.filing_id,
        user_id=cast.nell.user_id,
        role="reviewer",
    )
    assert said == ""
    with pytest.raises(Refused):
        act(review.approve, session, cast.ana, cast)
    act(review.approve, session, cast.nell, cast)


def test_removing_both_people_takes_the_filing_out_of_review(session, cast):
    act(review.send_to_review, session, cast.sam, cast)
    for role in ("reviewer", "approver"):
        filings.set_reviewer(
            session=session, actor=cast.sam, filing_id=cast.filing_id, user_id=None, role=role
        )
    row = filing(session, cast)
    assert (row.status, row.review_stage) == ("open", "")
    assert file(session, cast.sam, cast).status == "filed"


def test_a_step_reopened_on_a_signed_off_filing_clears_the_sign_off(session, cast):
    act(review.send_to_review, session, cast.sam, cast)
    act(review.approve, session, cast.ana, cast)
    act(review.sign_off, session, cast.otto, cast)
    steps.set_status(
        session=session, actor=cast.bea, step_id=cast.step_ids[0], status="in_progress"
    )
    row = filing(session, cast)
    assert (row.status, row.review_stage, row.signed_off_by_id) == ("open", "", None)
    cleared = review.timeline(session, row)[-1]
    assert cleared.text == "Review cleared by Bea Books"
    assert "The approval was cleared" in cleared.detail
    with pytest.raises(Invalid, match="must go through review"):
        file(session, cast.sam, cast)


def test_a_step_added_during_review_takes_the_filing_back_to_open(session, cast):
    act(review.send_to_review, session, cast.sam, cast)
    steps.add_step(
        session=session, actor=cast.sam, filing_id=cast.filing_id, title="One more check"
    )
    assert filing(session, cast).status == "open"


def test_reopening_a_filed_filing_starts_its_review_again(session, cast):
    act(review.send_to_review, session, cast.sam, cast)
    act(review.approve, session, cast.ana, cast)
    act(review.sign_off, session, cast.otto, cast)
    file(session, cast.sam, cast)
    filings.change_status(
        session=session, actor=cast.sam, filing_id=cast.filing_id, action="reopen"
    )
    row = filing(session, cast)
    assert (row.status, row.review_stage, row.signed_off_by_id) == ("open", "", None)
    with pytest.raises(Invalid, match="must go through review"):
        file(session, cast.sam, cast)
    assert timeline_texts(session, cast)[-2:] == ["Filed by Sam Staff", "Reopened by Sam Staff"]


def test_the_panel_offers_each_person_only_what_they_may_do(session, cast):
    def panel(actor):
        return workspace.filing_page(session=session, actor=actor, filing_id=cast.filing_id).review

    assert panel(cast.sam).can_send and not panel(cast.sam).can_review
    act(review.send_to_review, session, cast.sam, cast)
    assert panel(cast.ana).can_review and panel(cast.admin).can_review
    assert not panel(cast.nell).can_review and not panel(cast.otto).can_review
    assert panel(cast.nell).stage_label == "Waiting for Ana Lee's review."
    act(review.approve, session, cast.ana, cast)
    assert panel(cast.otto).can_sign_off and not panel(cast.ana).can_sign_off
    assert panel(cast.nell).stage_label == (
        "Approved by Ana Lee; waiting for Otto Marsh's sign-off."
    )
    assert [c.title for c in panel(cast.ana).steps] == [
        "Enter Q1 bank transactions",
        "Prepare the return",
    ]
    assert scope.is_staff(cast.nell)


def test_the_firm_home_lists_what_waits_for_each_persons_review_or_sign_off(session, cast):
    def waiting(actor):
        return [(w.heading, w.asked) for w in workspace_home(session, actor).waiting_for_me]

    heading = "Maple Leaf Cafe Inc. · GST/HST Q1 2026"
    assert waiting(cast.ana) == []
    act(review.send_to_review, session, cast.sam, cast)
    assert waiting(cast.ana) == [(heading, "Review")]
    assert waiting(cast.otto) == [] and waiting(cast.admin) == []
    act(review.approve, session, cast.ana, cast)
    assert waiting(cast.ana) == []
    assert waiting(cast.otto) == [(heading, "Sign-off")]
    act(review.sign_off, session, cast.otto, cast)
    assert waiting(cast.otto) == []


def workspace_home(session, actor):
    from portal.services import dashboard

    return dashboard.firm_home(session=session, actor=actor)


def test_with_no_reviewer_named_there_is_nothing_to_approve(session, cast):
    row = filing(session, cast)
    row.reviewer_id = None
    session.add(row)
    session.commit()
    act(review.send_to_review, session, cast.sam, cast)
    with pytest.raises(Invalid, match="names no reviewer"):
        act(review.approve, session, cast.nell, cast)
    assert filing(session, cast).approved_by_id is None
