"""Repeated refusals fold into one audit row per actor (or address), what and minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from models import AuditEvent
from portal.services import audit, refusal_log, runner, steps
from portal.services.errors import NotFound
from tests.support.burst import refusal_burst

T0 = datetime(2026, 5, 4, 9, 30, 5, tzinfo=UTC)


def refusals(session: Session) -> list[AuditEvent]:
    refusal_log.flush()  # repeats reach the log within seconds
    session.expire_all()
    return list(
        session.exec(
            select(AuditEvent).where(AuditEvent.outcome == "refused").order_by(AuditEvent.id)
        ).all()
    )


def refuse(session, actor=None, *, at=T0, commit=True, **kwargs):
    kwargs.setdefault("detail", "state.home.HomeState.load")
    kwargs.setdefault("target_type", "event")
    kwargs.setdefault("ip", "203.0.113.5")
    audit.record_refusal(session=session, actor=actor, at=at, **kwargs)
    if commit:
        session.commit()


def test_the_same_refusal_within_a_minute_is_one_row_with_a_count(session, world):
    bea = world.actor(session, world.bk1)
    for second in range(0, 55, 5):
        refuse(session, bea, at=T0 + timedelta(seconds=second))
    [row] = refusals(session)
    assert row.count == 11
    assert (row.actor_id, row.firm_id, row.action, row.detail) == (
        world.bk1.id,
        world.firm.id,
        "refused",
        "state.home.HomeState.load",
    )
    # It keeps the first time it happened.
    assert row.at == T0


def test_a_new_minute_a_new_actor_a_new_what_or_a_new_action_is_a_new_row(session, world):
    bea, dev = world.actor(session, world.bk1), world.actor(session, world.bk2)
    refuse(session, bea)
    refuse(session, bea)
    refuse(session, bea, at=T0 + timedelta(seconds=60))  # 09:31
    refuse(session, dev)
    refuse(session, bea, detail="state.filing.FilingState.file_filing")
    refuse(session, bea, action="rate_limited")
    refuse(session, bea, target_type="route")
    rows = [(r.actor_id, r.action, r.target_type, r.detail, r.count) for r in refusals(session)]
    assert rows == [
        (world.bk1.id, "refused", "event", "state.home.HomeState.load", 2),
        (world.bk1.id, "refused", "event", "state.home.HomeState.load", 1),
        (world.bk2.id, "refused", "event", "state.home.HomeState.load", 1),
        (world.bk1.id, "refused", "event", "state.filing.FilingState.file_filing", 1),
        (world.bk1.id, "rate_limited", "event", "state.home.HomeState.load", 1),
        (world.bk1.id, "refused", "route", "state.home.HomeState.load", 1),
    ]


def test_signed_out_refusals_fold_by_address(session):
    for ip in ("203.0.113.5", "203.0.113.5", "203.0.113.6", "203.0.113.5"):
        refuse(session, None, ip=ip)
    rows = [(r.actor_id, r.firm_id, r.actor_label, r.ip, r.count) for r in refusals(session)]
    assert rows == [
        (None, None, "signed out", "203.0.113.5", 3),
        (None, None, "signed out", "203.0.113.6", 1),
    ]


def test_fold_on_gathers_different_details_and_keeps_the_first(session, world):
    bea = world.actor(session, world.bk1)
    for name in ("no.such.event", "another\u202e.forgery", "a third"):
        refuse(session, bea, detail=name, fold_on="unknown event")
    [row] = refusals(session)
    assert (row.detail, row.count) == ("no.such.event", 3)


def test_a_folded_refusal_is_written_even_with_hostile_text(session):
    refuse(session, None, detail="state.x\ud800\u202e.delete\x00", ip="::1\ud800")
    refuse(session, None, detail="state.x\ud800\u202e.delete\x00", ip="::1\ud800")
    [row] = refusals(session)
    assert row.detail == "state.x<U+D800><U+202E>.delete<U+0000>"
    assert row.count == 2


def test_the_rest_of_the_log_never_folds(session, world):
    staff = world.actor(session, world.staff)
    for _ in range(3):
        audit.record(session=session, actor=staff, action="client_created", at=T0)
    session.commit()
    rows = session.exec(select(AuditEvent).where(AuditEvent.action == "client_created")).all()
    assert [(r.count, r.fold_key) for r in rows] == [(1, None)] * 3


def test_scope_refusals_of_many_ids_are_one_row(db_url, session, world):
    """Probing ids one by one: one row, its count, and the first id probed."""
    bea = world.actor(session, world.bk1)
    session.commit()
    probed = [world.outsider_step.id, 999_001, 999_002, world.outsider_step.id]
    for step_id in probed:
        with pytest.raises(NotFound):
            runner.perform(steps.get_step, actor=bea, step_id=step_id)
    [row] = refusals(session)
    assert (row.detail, row.target_type, row.target_id, row.count) == (
        "steps.get_step: not found",
        "step",
        world.outsider_step.id,
        len(probed),
    )


def test_the_audit_page_shows_the_count(session, world):
    bea = world.actor(session, world.bk1)
    for _ in range(37):
        refuse(session, bea, commit=False)
    audit.record(session=session, actor=bea, action="signed_in", at=T0)
    session.commit()
    page = audit.list_events(session=session, actor=world.actor(session, world.admin))
    shown = {(r.action, r.outcome_label, r.count) for r in page.rows}
    assert shown == {("refused", "Refused \u00d737", 37), ("signed in", "OK", 1)}
    assert page.total == 2


def test_concurrent_refusals_all_count_and_make_one_row(db_url, session, world):
    """Eight threads on their own connections fold into one row without losing a count (the
    upsert is one statement; SQLite serialises writers). PostgreSQL: tests/test_postgres.py."""
    bea = world.actor(session, world.bk1)
    session.commit()
    refusal_burst(db_url, bea, threads=8, each=25)
    [row] = refusals(session)
    assert row.count == 200


def _scope_refusal(actor, step_id):
    with pytest.raises(NotFound):
        runner.perform(steps.get_step, actor=actor, step_id=step_id)


def test_the_first_refusal_is_on_record_at_once_and_repeats_cost_no_write(db_url, session, world):
    bea = world.actor(session, world.bk1)
    session.commit()
    _scope_refusal(bea, world.outsider_step.id)
    session.expire_all()
    [row] = session.exec(select(AuditEvent).where(AuditEvent.outcome == "refused")).all()
    assert row.count == 1  # written before the person saw the refusal
    writes = []
    engine = session.get_bind()
    listen = lambda *args: writes.append(args[2])  # noqa: E731
    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", listen)
    try:
        for _ in range(20):
            _scope_refusal(bea, world.outsider_step.id)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert not [w for w in writes if w.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert refusal_log.flush() == 20
    [row] = refusals(session)
    assert row.count == 21
    assert refusal_log.flush() == 0  # nothing counted twice


def test_a_failed_flush_keeps_the_counts_for_the_next(db_url, session, world, monkeypatch):
    bea = world.actor(session, world.bk1)
    session.commit()
    for _ in range(4):
        _scope_refusal(bea, world.outsider_step.id)

    def broken(*_args, **_kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(audit, "add_repeats", broken)
    with pytest.raises(RuntimeError):
        refusal_log.flush()
    monkeypatch.undo()
    assert refusal_log.flush() == 3
    [row] = refusals(session)
    assert row.count == 4


def test_a_new_minute_starts_a_new_row_after_the_old_one_is_complete(db_url, session, world):
    bea = world.actor(session, world.bk1)
    session.commit()
    for _ in range(3):
        refusal_log.record(actor=bea, detail="x", at=T0)
    refusal_log.flush(T0 + timedelta(minutes=1))  # 09:30's repeats added, its key forgotten
    for _ in range(2):
        refusal_log.record(actor=bea, detail="x", at=T0 + timedelta(minutes=1))
    refusal_log.flush()
    assert [(r.at, r.count) for r in refusals(session)] == [
        (T0, 3),
        (T0 + timedelta(minutes=1), 2),
    ]
