"""`portal generate`: the generated firm has the promised size and spread, and the access
rule holds for its people exactly as the plain-Python oracle states it."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from models import Firm, User
from portal import generate, storage
from portal.cli import main
from portal.db import engine_for
from portal.services import access_changes, clients, runner, signin, tasks
from portal.services.errors import NotFound
from portal.settings import get_settings
from tests.factories import actor_for
from tests.support.ledger import replayed
from tests.support.oracle import Oracle

TODAY = date(2026, 4, 20)


@pytest.fixture(scope="module")
def generated(databases, tmp_path_factory):
    """The demo firm first, then the small generated firm beside it, made once per module
    (on this run's database kind: SQLite, or PostgreSQL in `make test-cluster`)."""
    from portal import demo

    data_dir = tmp_path_factory.mktemp("generated")
    url = databases.create(data_dir)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PORTAL_DATA_DIR", str(data_dir))
        patch.delenv("PORTAL_DOCUMENT_DIR", raising=False)
        get_settings.cache_clear()
        with Session(engine_for(url)) as session:
            demo.load_demo(session)
            session.commit()
        before = _rows(url, "SELECT count(*) FROM step")[0][0]
        result = generate.generate(engine_for(url), "small", seed=7, progress=False, today=TODAY)
    get_settings.cache_clear()
    yield url, data_dir, result, before
    databases.drop(url)


@pytest.fixture
def small(generated, monkeypatch):
    url, data_dir, result, _ = generated
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(data_dir))
    monkeypatch.delenv("PORTAL_DOCUMENT_DIR", raising=False)
    get_settings.cache_clear()
    yield url, result
    get_settings.cache_clear()


def _rows(db_url: str, sql: str, **params) -> list:
    with engine_for(db_url).connect() as conn:
        return list(conn.execute(text(sql), params))


def test_the_small_firm_has_the_promised_size(small, generated):
    db_url, small = small
    firm = small.firm_id
    count = {
        table: _rows(db_url, f"SELECT count(*) FROM {table} WHERE firm_id = :f", f=firm)[0][0]  # noqa: S608
        for table in ("client", "filing", "step", "user_account")
    }
    assert count == {"client": 20, "filing": 200, "step": 1000, "user_account": 9}
    assert small.counts["step"] == 1000 and small.counts["client"] == 20
    with Session(engine_for(db_url)) as session:
        row = session.get(Firm, firm)
        assert row.portal_enabled and row.filing_steps_enabled
        seats = session.exec(
            select(User).where(User.firm_id == firm, User.role.in_(("admin", "staff")))
        ).all()
        assert row.staff_seats >= len(seats) == 4
    # Beside what was there: the demo firm is untouched, and every key holds.
    assert _rows(db_url, "SELECT count(*) FROM firm")[0][0] == 2
    demo_steps = generated[3]
    assert (
        _rows(db_url, "SELECT count(*) FROM step WHERE firm_id != :f", f=firm)[0][0] == demo_steps
    )
    if db_url.startswith("sqlite"):
        assert _rows(db_url, "PRAGMA foreign_key_check") == []
        assert _rows(db_url, "SELECT count(*) FROM sqlite_stat1")[0][0] > 0  # ANALYZE ran
    else:
        assert _rows(db_url, "SELECT count(*) FROM pg_stats WHERE tablename = 'step'")[0][0] > 0
        # COPY may skip the row-by-row key checks: every foreign key must hold all the same.
        for table in SQLModel.metadata.sorted_tables:
            for fk in table.foreign_keys:
                orphans = _rows(
                    db_url,
                    f"SELECT count(*) FROM {table.name} c WHERE c.{fk.parent.name} IS NOT NULL "  # noqa: S608
                    f"AND NOT EXISTS (SELECT 1 FROM {fk.column.table.name} p "
                    f"WHERE p.{fk.column.name} = c.{fk.parent.name})",
                )
                assert orphans[0][0] == 0, (table.name, fk.parent.name)


def test_the_spread_is_realistic(small):
    db_url, small = small
    firm = small.firm_id
    statuses = Counter(
        dict(
            _rows(db_url, "SELECT status, count(*) FROM filing WHERE firm_id=:f GROUP BY 1", f=firm)
        )
    )
    active = statuses["open"] + statuses["in_review"]
    assert 0.7 <= active / 200 <= 0.9 and statuses["filed"] and statuses["cancelled"]
    steps = dict(
        _rows(db_url, "SELECT status, count(*) FROM step WHERE firm_id=:f GROUP BY 1", f=firm)
    )
    assert set(steps) == {"todo", "in_progress", "waiting_on_client", "done"}
    per_bookkeeper = _rows(
        db_url,
        "SELECT u.id, count(s.id) FROM user_account u LEFT JOIN step s ON s.assignee_id = u.id "
        "WHERE u.firm_id = :f AND u.role = 'bookkeeper' GROUP BY u.id",
        f=firm,
    )
    assert len(per_bookkeeper) == 5
    assert all(20 <= n <= 200 for _, n in per_bookkeeper)
    assert dict(per_bookkeeper) == small.bookkeeper_steps
    items = dict(
        _rows(
            db_url,
            "SELECT n, count(*) FROM (SELECT s.id, count(c.id) AS n FROM step s LEFT JOIN "
            "checklist_item c ON c.step_id = s.id WHERE s.firm_id = :f GROUP BY s.id) AS per_step "
            "GROUP BY n",
            f=firm,
        )
    )
    assert set(items) == {0, 1, 2, 3, 4, 5}
    for table in ("time_entry", "step_comment", "discussion_post", "document", "email"):
        n = _rows(db_url, f"SELECT count(*) FROM {table} WHERE firm_id = :f", f=firm)[0][0]  # noqa: S608
        assert n > 0, table
    # ISO dates as text (SQLite's dates), compared as text on either database.
    due = [str(d) for (d,) in _rows(db_url, "SELECT due_date FROM step WHERE firm_id=:f", f=firm)]
    assert min(due) < TODAY.isoformat() < max(due)
    # A filing with many steps, for the staff filing page.
    biggest = "SELECT max(n) FROM (SELECT count(*) n FROM step GROUP BY filing_id) AS per_filing"
    assert _rows(db_url, biggest)[0][0] >= 40


def test_documents_are_stored_like_uploads(small):
    db_url, small = small
    docs = _rows(
        db_url, "SELECT storage_key, sha256, size_bytes, content_type FROM document "
        "WHERE firm_id = :f", f=small.firm_id
    )  # fmt: skip
    assert docs
    root = get_settings().document_dir
    for key, sha, size, content_type in docs:
        path = storage.open_path(key)
        assert path.is_relative_to(root)
        data = path.read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha
        if content_type == "application/pdf":
            assert data.startswith(b"%PDF-")


def test_the_access_rule_holds_for_generated_bookkeepers(small):
    db_url, small = small
    oracle = Oracle.load(db_url)
    firm = small.firm_id
    mine = [c for c in oracle.clients if oracle.clients[c]["firm_id"] == firm]
    others = [c for c in oracle.clients if oracle.clients[c]["firm_id"] != firm]
    bookkeepers = [
        u for u in oracle.users.values() if u["firm_id"] == firm and u["role"] == "bookkeeper"
    ]
    with Session(engine_for(db_url)) as session:
        for row in bookkeepers:
            user = session.get(User, row["id"])
            actor = actor_for(user)
            visible = oracle.visible_clients(user.id)
            assert visible and visible < set(mine)
            for client_id in mine + others[:3]:
                try:
                    clients.get_client(session=session, actor=actor, client_id=client_id)
                    opened = True
                except NotFound:
                    opened = False
                assert opened == (client_id in visible), (user.email, client_id)
            listed = tasks.my_tasks(session=session, actor=actor, today=TODAY)
            assert listed.assigned == len(oracle.own_steps(user.id))
            assert {o.id for o in listed.clients} <= visible

    # Through the runner, as the pages call it: a refusal is "not found", and is audited.
    busiest = max(small.bookkeeper_steps, key=small.bookkeeper_steps.get)
    with Session(engine_for(db_url)) as session:
        actor = actor_for(session.get(User, busiest))
    refused = next(c for c in mine if c not in oracle.visible_clients(busiest))
    with pytest.raises(NotFound):
        runner.perform(clients.get_client, actor=actor, client_id=refused)
    audited = _rows(
        db_url, "SELECT count(*) FROM audit_event WHERE actor_id = :u AND outcome = 'refused'",
        u=busiest,
    )  # fmt: skip
    assert audited[0][0] == 1


def test_generated_logins_share_the_printed_password(small):
    db_url, small = small
    bookkeeper = next(a for a in small.accounts if a.role == "bookkeeper")
    with Session(engine_for(db_url)) as session:
        result = signin.sign_in(
            session=session, email=bookkeeper.email, password=small.password, ip="127.0.0.1"
        )
        assert result.ok, result.message
    hashes = _rows(
        db_url, "SELECT count(DISTINCT password_hash) FROM user_account WHERE firm_id = :f",
        f=small.firm_id,
    )  # fmt: skip
    assert hashes[0][0] == 1


def test_the_same_seed_makes_the_same_firm(db_url, databases, tmp_path):
    other_url = databases.create(tmp_path, "other")
    one = generate.generate(
        engine_for(db_url), "small", seed=3, progress=False, today=TODAY, analyze=False
    )
    two = generate.generate(
        engine_for(other_url), "small", seed=3, progress=False, today=TODAY, analyze=False
    )
    assert one.counts == two.counts and one.accounts == two.accounts
    sql = (
        "SELECT s.id, s.filing_id, s.title, s.assignee_id, s.due_date, s.status, f.status, "
        "c.name FROM step s JOIN filing f ON f.id = s.filing_id JOIN client c ON c.id = "
        "f.client_id ORDER BY s.id"
    )
    assert _rows(db_url, sql) == _rows(other_url, sql)
    databases.drop(other_url)


def test_the_command_prints_the_firm_and_accounts(db_url, capsys):
    assert main(["generate", "--scale", "small", "--no-progress", "--database-url", db_url]) == 0
    out = capsys.readouterr().out
    assert "Generated firm" in out and "bk1@gen-firm" in out
    assert generate.PASSWORD in out


def test_the_generated_ledger_replays_to_the_rule_with_a_real_past(db_url):
    """Enough bookkeepers that some are deactivated: every way a period ends shows up, and
    the ledger, read from its first row, still gives exactly what the rule grants now."""
    scale = generate.Scale("ledger", steps=3_000, clients=60, filings=600, bookkeepers=50, staff=4)
    made = generate.generate(
        engine_for(db_url), scale, seed=5, progress=False, today=TODAY, analyze=False
    )
    with Session(engine_for(db_url)) as session:
        assert replayed(session, made.firm_id) == access_changes.current(
            session, firm_id=made.firm_id
        )
    causes = Counter(
        (change, cause)
        for change, cause in _rows(
            db_url, "SELECT change, cause FROM access_change WHERE firm_id = :f", f=made.firm_id
        )
    )
    for ended in ("filing.filed", "filing.cancelled", "step.reassigned", "login.deactivated"):
        assert causes[("revoked", ended)] > 0, (ended, causes)
    assert causes[("granted", "filing.reopened")] > 0, causes
    # Ids follow time, as in a table that is only ever appended to; every row names its step.
    rows = _rows(
        db_url,
        "SELECT at, step_title FROM access_change WHERE firm_id = :f ORDER BY id",
        f=made.firm_id,
    )
    assert [at for at, _ in rows] == sorted(at for at, _ in rows)
    assert all(title for _, title in rows)
