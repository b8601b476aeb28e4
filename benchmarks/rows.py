"""The data-layer rows of issue 9's table, called the way the page states call them.

Page states call `runner.perform(fn, actor=..., **kwargs)` (state/calls.py): one unit of
work per call, and a refusal audited in its own. The scope rows call the service function
directly in one open session (the decision itself, as a service makes it inside its unit of
work), and beside them the very SQL that call sent, run raw on a DBAPI cursor (captured
once, compiled once), for the ratio. The runner.perform rows add the unit of work around it.

Who and what each row works on (the cast) is read from the generated firm: its busiest
active bookkeeper, a client they can open and one they cannot, a staff member, the active
filing with the most steps, and a checklist item on one of the bookkeeper's open steps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from benchmarks.measure import Budget, Stats, run, run_together
from portal import csv_export
from portal.auth import Actor
from portal.http import export_batches
from portal.services import (
    access_review,
    client_import,
    clients,
    dashboard,
    runner,
    steps,
    tasks,
    workload,
    workspace,
)
from portal.services.errors import NotFound

SEARCH = "dental"
# The client import rows: a file of this many new clients, imported a few times over.
IMPORT_ROWS = 10_000
IMPORT_RUNS = Budget(
    seconds=0, min_iters=3, max_iters=3, max_seconds=0, floor=3, warmup_seconds=0, warmup_iters=0
)


@dataclass(frozen=True)
class Target:
    """What issue 9 asks of a row: a p99 in ms, or a ratio (of medians) at most `limit`."""

    text: str
    p99_ms: float | None = None
    ratio: float | None = None

    def met(self, result: dict) -> bool | None:
        if self.p99_ms is not None and "p99_ms" in result:
            return result["p99_ms"] <= self.p99_ms
        if self.ratio is not None and "ratio" in result:
            return result["ratio"] <= self.ratio
        if "pass" in result:
            return bool(result["pass"])
        return None


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    target: Target | None = None


# In the order of issue 9's table. Rows without a target are the references a ratio uses.
ROWS = [
    Row("scope_allowed", "Scope decision, allowed (clients.get_client in a session, bookkeeper)",
        Target("p99 ≤ 0.5 ms", p99_ms=0.5)),
    Row("scope_refused", "Scope decision, refused (out of scope, same firm)",
        Target("p99 ≤ 0.5 ms", p99_ms=0.5)),
    Row("scope_raw_allowed", "  the same SQL raw (DBAPI cursor), allowed"),
    Row("scope_raw_refused", "  the same SQL raw (DBAPI cursor), refused"),
    Row("scope_vs_raw", "Scope decision / raw SQL (median, worse of the two)",
        Target("≤ 3x", ratio=3.0)),
    Row("perform_allowed", "Allowed check through runner.perform"),
    Row("perform_refused", "Refusal through runner.perform (NotFound; audited, repeats counted)"),
    Row("refusal_vs_allowed", "Refusal / allowed check (median)", Target("≤ 1.2x", ratio=1.2)),
    Row("refusal_audit_rows", "Audit rows written per 1,000 refusals (one actor, one handler)",
        Target("bounded: folded per actor, handler and minute")),
    Row("my_tasks", "My Tasks with counters (tasks.my_tasks), busiest bookkeeper",
        Target("p99 ≤ 5 ms", p99_ms=5.0)),
    Row("client_page", "Bookkeeper's client page (workspace.client_page)",
        Target("p99 ≤ 20 ms", p99_ms=20.0)),
    Row("client_list", "Staff client list, page 1 (clients.list_clients)",
        Target("p99 ≤ 20 ms", p99_ms=20.0)),
    Row("client_search", f"Staff client list, search “{SEARCH}”",
        Target("p99 ≤ 20 ms", p99_ms=20.0)),
    Row("filing_page", "Staff filing page with pickers (workspace.filing_page), most steps",
        Target("p99 ≤ 15 ms", p99_ms=15.0)),
    Row("firm_home", "Staff firm home with its open-steps chart (dashboard.firm_home)"),
    Row("workload", "Workload page, all three charts (workload.workload)"),
    Row("tick", "Checklist tick (steps.set_checklist_item)"),
    Row("tick_refresh", "  task page refresh after it (workspace.task_page)"),
    Row("tick_total", "Tick + refresh, data layer of the tick round trip",
        Target("p99 ≤ 10 ms (the round trip's target)", p99_ms=10.0)),
    Row("assign", "Assign and unassign a bookkeeper's step (steps.assign_step; ledger rows)"),
    Row("review_now", "Access review, now, firm-wide, page 1 (access_review.review_page)",
        Target("p99 ≤ 1,000 ms", p99_ms=1000.0)),
    Row("review_history", "Access review, history of the person with most ledger rows",
        Target("p99 ≤ 1,000 ms", p99_ms=1000.0)),
    Row("review_between", "Access review, who could open a client between two days "
        "(the client with most ledger rows, last 90 days)",
        Target("p99 ≤ 1,000 ms", p99_ms=1000.0)),
    Row("review_csv_first", "Access review CSV, between two days: start and first rows"),
    Row("review_csv_full", "Access review CSV, now, firm-wide: the whole stream"),
    Row("client_import_preview", f"Client import preview, {IMPORT_ROWS:,} rows "
        "(client_import.preview: read, check, find duplicates)"),
    Row("client_import", f"Client import, {IMPORT_ROWS:,} new clients in one transaction "
        "(client_import.import_clients, audited)",
        Target("≤ 30,000 ms (issue 12)", p99_ms=30_000.0)),
]  # fmt: skip
ROW_KEYS = [row.key for row in ROWS]
# What `--profile` can run: every measured row (ratios are not runs).
PROFILABLE = [
    "scope_allowed", "scope_refused", "perform_allowed", "perform_refused", "my_tasks",
    "client_page", "client_list", "client_search", "filing_page", "firm_home", "workload",
    "tick", "tick_refresh",
    "tick_total", "assign", "review_now", "review_history", "review_between", "review_csv_first",
    "review_csv_full", "client_import_preview", "client_import",
]  # fmt: skip


@dataclass
class Cast:
    firm_id: int
    bookkeeper: Actor
    bookkeeper_steps: int
    staff: Actor
    allowed_client: int
    refused_client: int
    page_client: int
    page_client_filings: int
    filing_id: int
    filing_steps: int
    item_id: int
    step_id: int
    # Another of the bookkeeper's open steps, assigned away and back (the access ledger's path).
    assign_step_id: int = 0
    # The access review's: an admin, and the client and person with the longest ledger.
    admin: Actor | None = None
    review_client: int = 0
    review_person: int = 0
    notes: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        return (
            f"firm {self.firm_id}; bookkeeper {self.bookkeeper.email} ({self.bookkeeper_steps} "
            f"steps on active filings); staff {self.staff.email}; clients {self.allowed_client} "
            f"(allowed), {self.refused_client} (refused), {self.page_client} (client page, "
            f"{self.page_client_filings} filings); filing {self.filing_id} "
            f"({self.filing_steps} steps); checklist item {self.item_id} on step {self.step_id}"
        )


def _actor(conn, user_id: int) -> Actor:
    """As tests/factories.actor_for builds one."""
    row = conn.execute(
        text(
            "SELECT u.id, u.firm_id, u.role, u.name, u.email, u.must_change_password, f.name "
            "FROM user_account u JOIN firm f ON f.id = u.firm_id WHERE u.id = :u"
        ),
        {"u": user_id},
    ).one()
    return Actor(
        user_id=row[0],
        firm_id=row[1],
        role=row[2],
        name=row[3],
        email=row[4],
        session_id=0,
        must_change_password=bool(row[5]),
        firm_name=row[6],
    )


def find_cast(engine: Engine, firm_id: int) -> Cast:
    def one(sql: str, **params) -> Any:
        return conn.execute(text(sql), {"f": firm_id, **params}).first()

    with engine.connect() as conn:
        bk, bk_steps = one(
            "SELECT s.assignee_id, count(*) FROM step s JOIN filing f ON f.id = s.filing_id "
            "JOIN user_account u ON u.id = s.assignee_id WHERE u.firm_id = :f AND "
            "u.role = 'bookkeeper' AND u.is_active AND f.status IN ('open', 'in_review') "
            "GROUP BY s.assignee_id ORDER BY count(*) DESC, s.assignee_id LIMIT 1"
        )
        allowed = [
            cid
            for (cid,) in conn.execute(
                text(
                    "SELECT DISTINCT f.client_id FROM step s JOIN filing f ON "
                    "f.id = s.filing_id WHERE s.assignee_id = :b AND "
                    "f.status IN ('open', 'in_review') ORDER BY f.client_id"
                ),
                {"b": bk},
            )
        ]
        page_client, page_filings = conn.execute(
            text(
                "SELECT client_id, count(*) FROM filing WHERE client_id IN :ids "
                "GROUP BY client_id ORDER BY count(*) DESC, client_id LIMIT 1"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": allowed},
        ).one()
        n_clients = one("SELECT count(*) FROM client WHERE firm_id = :f")[0]
        refused = one(
            "SELECT c.id FROM client c WHERE c.firm_id = :f AND NOT EXISTS (SELECT 1 FROM "
            "step s JOIN filing f ON f.id = s.filing_id WHERE s.assignee_id = :b AND "
            "f.client_id = c.id AND f.status IN ('open', 'in_review')) ORDER BY c.id "
            "LIMIT 1 OFFSET :o",
            b=bk,
            o=max(0, n_clients // 2 - len(allowed)),
        )[0]
        staff = one(
            "SELECT id FROM user_account WHERE firm_id = :f AND role = 'staff' AND is_active "
            "ORDER BY id LIMIT 1"
        )[0]
        filing_id, filing_steps = one(
            "SELECT s.filing_id, count(*) FROM step s JOIN filing f ON f.id = s.filing_id "
            "WHERE f.firm_id = :f AND f.status IN ('open', 'in_review') GROUP BY s.filing_id "
            "ORDER BY count(*) DESC, s.filing_id LIMIT 1"
        )
        item_id, step_id = one(
            "SELECT c.id, c.step_id FROM checklist_item c JOIN step s ON s.id = c.step_id "
            "JOIN filing f ON f.id = s.filing_id WHERE s.assignee_id = :b AND "
            "f.status IN ('open', 'in_review') ORDER BY s.status = 'done', c.id LIMIT 1",
            b=bk,
        )
        (assign_step_id,) = one(
            "SELECT s.id FROM step s JOIN filing f ON f.id = s.filing_id WHERE "
            "s.assignee_id = :b AND f.status IN ('open', 'in_review') AND s.id != :s "
            "ORDER BY s.id LIMIT 1",
            b=bk,
            s=step_id,
        )
        admin = one(
            "SELECT id FROM user_account WHERE firm_id = :f AND role = 'admin' AND is_active "
            "ORDER BY id LIMIT 1"
        )[0]
        review_client, review_person = (
            one(
                f"SELECT {column} FROM access_change WHERE firm_id = :f GROUP BY {column} "  # noqa: S608
                f"ORDER BY count(*) DESC, {column} LIMIT 1"
            )[0]
            for column in ("client_id", "user_id")
        )
        return Cast(
            firm_id=firm_id,
            bookkeeper=_actor(conn, bk),
            bookkeeper_steps=bk_steps,
            staff=_actor(conn, staff),
            allowed_client=allowed[0],
            refused_client=refused,
            page_client=page_client,
            page_client_filings=page_filings,
            filing_id=filing_id,
            filing_steps=filing_steps,
            item_id=item_id,
            step_id=step_id,
            assign_step_id=assign_step_id,
            admin=_actor(conn, admin),
            review_client=review_client,
            review_person=review_person,
        )


# --- the calls ------------------------------------------------------------------------------


def _in_session(session: Session, fn: Callable[..., Any], **kwargs) -> Callable[[], Any]:
    """The call inside one open session, as a service makes it within its unit of work; the
    identity map is emptied after each call so every call loads its rows afresh."""

    def call():
        try:
            return fn(session=session, **kwargs)
        finally:
            session.expunge_all()

    return call


def _refused(call: Callable[[], Any]) -> Callable[[], None]:
    def wrapped():
        try:
            call()
        except NotFound:
            return
        raise AssertionError("the out-of-scope call was not refused")

    return wrapped


def _captured(engine: Engine, call: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The statements one call sends to the database, with their parameters."""
    sent: list[tuple[str, Any]] = []

    def listener(_conn, _cursor, statement, parameters, _context, _many):
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return sent


class Raw:
    """Run captured statements on one DBAPI connection: the floor a service call stands on."""

    def __init__(self, engine: Engine):
        self.connection = engine.raw_connection()
        self.cursor = self.connection.cursor()

    def call(self, statements: list[tuple[str, Any]]) -> Callable[[], None]:
        cursor = self.cursor

        def run_raw():
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                cursor.fetchall()

        return run_raw

    def close(self) -> None:
        self.connection.rollback()
        self.connection.close()


def calls(engine: Engine, cast: Cast, session: Session) -> dict[str, Callable[[], Any]]:
    """Every measured call, by row key, built once. The scope rows run in `session`."""
    bk, staff = cast.bookkeeper, cast.staff
    perform = runner.perform
    state = {"done": False}

    def tick():
        state["done"] = not state["done"]
        perform(steps.set_checklist_item, actor=bk, item_id=cast.item_id, done=state["done"])

    def refresh():
        perform(workspace.task_page, actor=bk, step_id=cast.step_id)

    def tick_total():
        tick()
        refresh()

    held = {"by": bk.user_id}
    batches = {"n": 0}
    preview_file = import_file(0)
    mapping = client_import.guess_mapping(client_import.read(preview_file).headers)

    def import_preview():
        perform(client_import.preview, actor=staff, upload=preview_file)

    def import_new():
        """A new file each time, so each run creates its 10,000 clients."""
        batches["n"] += 1
        result = perform(
            client_import.import_clients,
            actor=staff,
            upload=import_file(batches["n"]),
            mapping=mapping,
            on_duplicate=client_import.SKIP,
        )
        assert result.created == IMPORT_ROWS, result

    def assign():
        """Away from the bookkeeper and back: each call revokes or grants one path."""
        after = None if held["by"] else bk.user_id
        perform(
            steps.assign_step,
            actor=staff,
            step_id=cast.assign_step_id,
            assignee_id=after,
            expected_assignee_id=held["by"],
        )
        held["by"] = after

    today = date.today()
    between = access_review.Review(
        access_review.View.BETWEEN,
        client_id=cast.review_client,
        start=today - timedelta(days=90),
        end=today,
    )
    firm_now = access_review.Review()

    def review(asked: access_review.Review) -> Callable[[], Any]:
        return lambda: perform(access_review.review_page, actor=cast.admin, review=asked)

    def csv(asked: access_review.Review, whole: bool) -> Callable[[], Any]:
        """As the download route runs it: the export started (and audited), then its chunks."""

        def stream():
            export = perform(access_review.start_export, actor=cast.admin, review=asked)
            chunks = csv_export.lines(export.header, export_batches(cast.admin, asked))
            next(chunks)  # the header
            next(chunks, None)  # the first rows
            if whole:
                for _ in chunks:
                    pass

        return stream

    return {
        "scope_allowed": _in_session(
            session, clients.get_client, actor=bk, client_id=cast.allowed_client
        ),
        "scope_refused": _refused(
            _in_session(session, clients.get_client, actor=bk, client_id=cast.refused_client)
        ),
        "perform_allowed": lambda: perform(
            clients.get_client, actor=bk, client_id=cast.allowed_client
        ),
        "perform_refused": _refused(
            lambda: perform(clients.get_client, actor=bk, client_id=cast.refused_client)
        ),
        "my_tasks": lambda: perform(tasks.my_tasks, actor=bk),
        "client_page": lambda: perform(workspace.client_page, actor=bk, client_id=cast.page_client),
        "client_list": lambda: perform(clients.list_clients, actor=staff),
        "client_search": lambda: perform(clients.list_clients, actor=staff, search=SEARCH),
        "filing_page": lambda: perform(
            workspace.filing_page, actor=staff, filing_id=cast.filing_id
        ),
        "firm_home": lambda: perform(dashboard.firm_home, actor=staff),
        "workload": lambda: perform(workload.workload, actor=staff),
        "tick": tick,
        "tick_refresh": refresh,
        "tick_total": tick_total,
        "assign": assign,
        "review_now": review(firm_now),
        "review_history": review(
            access_review.Review(access_review.View.HISTORY, person_id=cast.review_person)
        ),
        "review_between": review(between),
        "review_csv_first": csv(between, whole=False),
        "review_csv_full": csv(firm_now, whole=True),
        "client_import_preview": import_preview,
        "client_import": import_new,
    }


def import_file(batch: int, rows: int = IMPORT_ROWS) -> client_import.CsvFile:
    """A practice's spreadsheet of new clients: every column, accents, a byte-order mark;
    `batch` makes each file's names and business numbers new to the firm."""
    lines = ["Client name,Business No.,Contact,E-mail,Phone,Address,Notes"]
    for n in range(rows):
        lines.append(
            f"Société Import {batch}-{n} Ltée,{700_000_000 + batch * rows + n} RT0001,"
            f"Zoë Contact {n},owner{n}@import{batch}.example,604-555-{n % 10_000:04d},"
            f'"{n} Main Street West, Suite {n % 50}, Vancouver BC",Moved from the old system'
        )
    return client_import.CsvFile(
        name=f"import-{batch}.csv", data=b"\xef\xbb\xbf" + "\n".join(lines).encode()
    )


def _audit_rows(engine: Engine, actor_id: int) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM audit_event WHERE actor_id = :a"), {"a": actor_id}
        ).scalar_one()


def measure_all(
    engine: Engine,
    cast: Cast,
    budget: Budget,
    progress: Callable[[str], None] = lambda _: None,
    *,
    import_only: bool = False,
) -> dict[str, dict]:
    """Every data-layer row for one dataset: {row key: result}; or only the client import's
    rows (`import_only`)."""
    with Session(engine) as session:
        made = calls(engine, cast, session)
        if import_only:
            return _measure_import(made, progress)
        return _measure_all(engine, cast, budget, progress, made)


def _measure_import(made, progress) -> dict[str, dict]:
    """Last, or alone: each import adds 10,000 clients to this run's copy of the firm."""
    results: dict[str, dict] = {}
    for key in ("client_import_preview", "client_import"):
        progress(key)
        results[key] = run(made[key], IMPORT_RUNS).as_dict()
        results[key]["detail"] = (
            f"{IMPORT_RUNS.min_iters} runs of {IMPORT_ROWS:,} rows "
            f"({len(import_file(0).data) / 1e6:.1f} MB)"
        )
    return results


def _measure_all(engine, cast, budget, progress, made) -> dict[str, dict]:
    results: dict[str, dict] = {}

    def put(key: str, result: Stats) -> None:
        results[key] = result.as_dict()

    # The scope decision and its raw SQL, interleaved so the ratio is taken under one load.
    progress("scope decision")
    raw = Raw(engine)
    try:
        allowed_sql = _captured(engine, made["scope_allowed"])
        refused_sql = _captured(engine, made["scope_refused"])
        a, r, ra, rr = run_together(
            [made["scope_allowed"], made["scope_refused"], raw.call(allowed_sql),
             raw.call(refused_sql)],
            budget,
        )  # fmt: skip
    finally:
        raw.close()
    put("scope_allowed", a)
    put("scope_refused", r)
    put("scope_raw_allowed", ra)
    put("scope_raw_refused", rr)
    results["scope_vs_raw"] = {
        "ratio": round(max(a.p50_ms / ra.p50_ms, r.p50_ms / rr.p50_ms), 2),
        "detail": f"allowed {a.p50_ms / ra.p50_ms:.1f}x, refused {r.p50_ms / rr.p50_ms:.1f}x; "
        f"{len(allowed_sql)} statement(s)",
    }

    progress("refusal vs allowed")
    before = _audit_rows(engine, cast.bookkeeper.user_id)
    started = time.monotonic()
    allowed, refused = run_together([made["perform_allowed"], made["perform_refused"]], budget)
    minutes = (time.monotonic() - started) / 60
    written = _audit_rows(engine, cast.bookkeeper.user_id) - before
    put("perform_allowed", allowed)
    put("perform_refused", refused)
    results["refusal_vs_allowed"] = {"ratio": round(refused.p50_ms / allowed.p50_ms, 2)}
    # Folded per actor, handler and minute: one row for each minute the flood lasted.
    results["refusal_audit_rows"] = {
        "value": round(1000 * written / max(1, refused.calls), 1),
        "pass": written <= math.ceil(minutes) + 1,
        "detail": f"{written} rows for {refused.calls:,} refusals in {minutes * 60:.0f} s",
    }

    for key in (
        "my_tasks",
        "client_page",
        "client_list",
        "client_search",
        "filing_page",
        "firm_home",
        "workload",
    ):
        progress(key)
        put(key, run(made[key], budget))

    progress("checklist tick")
    tick, refresh = run_together([made["tick"], made["tick_refresh"]], budget)
    put("tick", tick)
    put("tick_refresh", refresh)
    put("tick_total", run(made["tick_total"], budget))
    progress("assign")
    put("assign", run(made["assign"], budget))
    for key in (
        "review_now",
        "review_history",
        "review_between",
        "review_csv_first",
        "review_csv_full",
    ):
        progress(key)
        put(key, run(made[key], budget))
    results.update(_measure_import(made, progress))
    return results
