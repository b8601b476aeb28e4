"""Layer 2: access follows the work. Every rule and every refusal, at the service layer."""

from __future__ import annotations

import io

import pytest
from sqlmodel import select

from models import AuditEvent
from portal.services import (
    clients,
    discussion,
    documents,
    emails,
    filings,
    runner,
    scope,
    steps,
    team,
    workspace,
)
from portal.services.errors import NotFound, Refused
from tests.factories import make_client, make_filing, make_step


def can_open(session, actor, client_id) -> bool:
    try:
        clients.get_client(session=session, actor=actor, client_id=client_id)
    except NotFound:
        return False
    return True


def test_a_step_on_an_active_filing_opens_the_client_and_nothing_else(session, world):
    bk = world.actor(session, world.bk1)
    assert can_open(session, bk, world.client.id)
    assert not can_open(session, bk, world.other_client.id)
    assert not can_open(session, world.actor(session, world.bk2), world.client.id)


def test_reassigning_moves_access(session, world):
    staff = world.actor(session, world.staff)
    bk1, bk2 = world.actor(session, world.bk1), world.actor(session, world.bk2)
    steps.assign_step(session=session, actor=staff, step_id=world.step.id, assignee_id=world.bk2.id)
    assert not can_open(session, bk1, world.client.id) and can_open(session, bk2, world.client.id)
    steps.assign_step(session=session, actor=staff, step_id=world.step.id, assignee_id=None)
    assert not can_open(session, bk2, world.client.id)


@pytest.mark.parametrize("closing", ["file", "cancel"])
def test_filing_or_cancelling_ends_access_and_reopening_brings_it_back(session, world, closing):
    staff = world.actor(session, world.staff)
    bk = world.actor(session, world.bk1)
    filings.change_status(session=session, actor=staff, filing_id=world.filing.id, action=closing)
    assert not can_open(session, bk, world.client.id)
    with pytest.raises(NotFound):
        steps.get_step(session=session, actor=bk, step_id=world.step.id)
    filings.change_status(session=session, actor=staff, filing_id=world.filing.id, action="reopen")
    assert can_open(session, bk, world.client.id)
    assert steps.get_step(session=session, actor=bk, step_id=world.step.id).id == world.step.id


def test_several_steps_keep_access_until_the_last_one_goes(session, world):
    staff = world.actor(session, world.staff)
    bk = world.actor(session, world.bk1)
    second_filing = make_filing(session, world.client, kind="Payroll")
    second = make_step(session, second_filing, world.bk1, title="Payroll journal")
    session.commit()
    filings.change_status(session=session, actor=staff, filing_id=world.filing.id, action="file")
    assert can_open(session, bk, world.client.id)
    steps.assign_step(session=session, actor=staff, step_id=second.id, assignee_id=world.bk2.id)
    assert not can_open(session, bk, world.client.id)


def test_two_bookkeepers_cannot_see_each_others_steps(session, world):
    theirs = make_step(session, world.filing, world.bk2, title="Dev's step")
    session.commit()
    bk1 = world.actor(session, world.bk1)
    with pytest.raises(NotFound):
        steps.get_step(session=session, actor=bk1, step_id=theirs.id)
    with pytest.raises(NotFound):
        steps.add_comment(session=session, actor=bk1, step_id=theirs.id, body="peek")
    with pytest.raises(NotFound):
        steps.log_time(
            session=session, actor=bk1, step_id=theirs.id, minutes="5", work_date="2026-01-02"
        )
    item = session.exec(select(steps.ChecklistItem)).first()  # bk1's own step's item
    assert item.step_id == world.step.id
    page = workspace.task_page(session=session, actor=bk1, step_id=world.step.id)
    assert page.step.title == "Enter Q1 bank transactions"
    # The client page shows only the bookkeeper's own open steps in its counts.
    rows = clients.client_filings(session=session, actor=bk1, client_id=world.client.id)
    assert [r.open_steps for r in rows] == [1]


def test_a_bookkeeper_reads_every_filing_of_a_client_in_scope_but_no_staff_details(session, world):
    staff = world.actor(session, world.staff)
    filings.set_reviewer(
        session=session,
        actor=staff,
        filing_id=world.filing.id,
        user_id=world.staff.id,
        role="reviewer",
    )
    closed = make_filing(session, world.client, status="filed", period="Q4 2025")
    session.commit()
    bk = world.actor(session, world.bk1)
    titles = [
        f.title
        for f in clients.client_filings(session=session, actor=bk, client_id=world.client.id)
    ]
    assert sorted(titles) == ["GST/HST Q1 2026", "GST/HST Q4 2025"]
    header = filings.get_filing(session=session, actor=bk, filing_id=closed.id)
    assert header.status == "filed"
    mine = filings.get_filing(session=session, actor=bk, filing_id=world.filing.id)
    assert (mine.reviewer_id, mine.reviewer_name) == (0, "")


def test_cross_firm_ids_are_not_found(session, world):
    bk = world.actor(session, world.bk1)
    for call in (
        lambda: clients.get_client(session=session, actor=bk, client_id=world.outsider_client.id),
        lambda: filings.get_filing(session=session, actor=bk, filing_id=world.outsider_filing.id),
        lambda: steps.get_step(session=session, actor=bk, step_id=world.outsider_step.id),
        lambda: discussion.list_posts(
            session=session, actor=bk, filing_id=world.outsider_filing.id
        ),
        lambda: workspace.client_page(
            session=session, actor=bk, client_id=world.outsider_client.id
        ),
        lambda: workspace.task_page(session=session, actor=bk, step_id=world.outsider_step.id),
    ):
        with pytest.raises(NotFound):
            call()


def test_out_of_scope_reads_exactly_like_missing(session, world):
    bk = world.actor(session, world.bk1)
    messages = []
    for client_id in (world.other_client.id, world.outsider_client.id, 987654):
        with pytest.raises(NotFound) as refused:
            clients.get_client(session=session, actor=bk, client_id=client_id)
        messages.append(refused.value.message)
    assert len(set(messages)) == 1


def test_the_rule_holds_in_the_query_even_for_a_stale_actor(session, world):
    """Deactivation and the add-on switch are part of the rule itself, not only the session."""
    bk = world.actor(session, world.bk1)
    world.bk1.is_active = False
    session.add(world.bk1)
    session.commit()
    assert not can_open(session, bk, world.client.id)
    world.bk1.is_active = True
    world.firm.portal_enabled = False
    session.add_all([world.bk1, world.firm])
    session.commit()
    assert not can_open(session, bk, world.client.id)
    world.firm.portal_enabled = True
    world.firm.filing_steps_enabled = False
    session.add(world.firm)
    session.commit()
    assert not can_open(session, bk, world.client.id)


def test_documents_and_emails_follow_the_client(session, world):
    staff = world.actor(session, world.staff)
    bk = world.actor(session, world.bk1)
    [doc] = documents.upload_documents(
        session=session,
        actor=staff,
        client_id=world.client.id,
        filing_id=None,
        files=[documents.IncomingFile("a.csv", io.BytesIO(b"x,y\n1,2\n"))],
    )
    [other] = documents.upload_documents(
        session=session,
        actor=staff,
        client_id=world.other_client.id,
        filing_id=None,
        files=[documents.IncomingFile("b.csv", io.BytesIO(b"x,y\n3,4\n"))],
    )
    session.commit()
    assert (
        documents.open_document(session=session, actor=bk, document_id=doc.id).filename == "a.csv"
    )
    with pytest.raises(NotFound):
        documents.open_document(session=session, actor=bk, document_id=other.id)
    assert emails.list_emails(session=session, actor=bk, client_id=world.client.id) == []
    filings.change_status(session=session, actor=staff, filing_id=world.filing.id, action="file")
    with pytest.raises(NotFound):
        documents.open_document(session=session, actor=bk, document_id=doc.id)
    with pytest.raises(Refused):
        documents.delete_document(session=session, actor=bk, document_id=doc.id)


def test_discussion_is_readable_on_every_filing_but_postable_only_where_the_step_is(session, world):
    staff = world.actor(session, world.staff)
    bk = world.actor(session, world.bk1)
    other = make_filing(session, world.client, kind="Payroll")
    session.commit()
    discussion.add_post(session=session, actor=staff, filing_id=other.id, body="Payroll note")
    assert [
        p.body for p in discussion.list_posts(session=session, actor=bk, filing_id=other.id)
    ] == ["Payroll note"]
    assert not discussion.can_post(session=session, actor=bk, filing_id=other.id)
    with pytest.raises(NotFound):
        discussion.add_post(session=session, actor=bk, filing_id=other.id, body="Can I?")
    assert discussion.can_post(session=session, actor=bk, filing_id=world.filing.id)
    discussion.add_post(session=session, actor=bk, filing_id=world.filing.id, body="Done soon")
    page = workspace.client_page(session=session, actor=bk, client_id=world.client.id)
    assert not page.can_manage and page.access == []
    assert {t.title: t.can_post for t in page.threads} == {
        "GST/HST Q1 2026": True,
        "Payroll Q1 2026": False,
    }


def test_why_can_they_see_it(session, world):
    staff = world.actor(session, world.staff)
    page = workspace.client_page(session=session, actor=staff, client_id=world.client.id)
    assert page.can_manage and page.threads == []
    assert [(a.name, a.step_title, a.filing_title) for a in page.access] == [
        ("Bea Books", "Enter Q1 bank transactions", "GST/HST Q1 2026")
    ]
    steps.assign_step(
        session=session, actor=staff, step_id=world.step.id, assignee_id=world.staff.id
    )
    assert (
        workspace.client_page(session=session, actor=staff, client_id=world.client.id).access == []
    )
    with pytest.raises(Refused):
        scope.access_paths(session, world.actor(session, world.bk1), world.client.id)


def test_bookkeepers_are_never_offered_or_accepted_as_reviewers(session, world):
    staff = world.actor(session, world.staff)
    from portal.services import people
    from portal.services.errors import Invalid

    assert world.bk1.id not in {o.id for o in people.reviewer_options(session=session, actor=staff)}
    with pytest.raises(Invalid):
        filings.set_reviewer(
            session=session,
            actor=staff,
            filing_id=world.filing.id,
            user_id=world.bk1.id,
            role="approver",
        )


def test_every_layer_two_refusal_is_audited_with_its_record(session, world):
    bk = world.actor(session, world.bk1)
    session.commit()
    with pytest.raises(NotFound):
        runner.perform(steps.get_step, actor=bk, step_id=world.outsider_step.id)
    with pytest.raises(Refused):
        runner.perform(filings.change_status, actor=bk, filing_id=world.filing.id, action="file")
    refusals = session.exec(
        select(AuditEvent).where(AuditEvent.outcome == "refused").order_by(AuditEvent.id)
    ).all()
    assert [(r.actor_id, r.target_type, r.target_id, r.detail) for r in refusals] == [
        (world.bk1.id, "step", world.outsider_step.id, "steps.get_step: not found"),
        (world.bk1.id, "filing", world.filing.id, "filings.change_status: role"),
    ]


def test_a_client_with_no_bookkeeper_is_out_of_everyones_portal(session, world):
    lonely = make_client(session, world.firm, "Nobody's Client")
    make_step(session, make_filing(session, lonely), world.staff)
    session.commit()
    for user in (world.bk1, world.bk2):
        assert not can_open(session, world.actor(session, user), lonely.id)


def test_deactivating_a_bookkeeper_ends_access_for_good(session, world):
    admin = world.actor(session, world.admin)
    team.set_active(session=session, actor=admin, user_id=world.bk1.id, active=False)
    session.commit()
    assert not can_open(session, world.actor(session, world.bk1), world.client.id)
