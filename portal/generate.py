"""A generated firm for measuring: `portal generate --scale small|medium|large`.

One new firm is added to the configured (migrated) database beside whatever is there: its
staff, bookkeepers, clients, filings and steps, with checklists, time entries, comments,
discussion posts, documents and emails spread the way a real practice's are. Every generated
login shares one password, hashed once.

It is built for speed: ids are assigned here, rows are made as tuples in batches and written
with one executemany per batch of SQLAlchemy Core's `insert(table)` compiled once (SQLite),
or with COPY (PostgreSQL), inside one transaction; planner statistics are gathered at the end.
The same seed gives the same firm (document storage keys and timestamps aside).
"""

from __future__ import annotations

import io
import random
import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import Connection, Engine

from models import (
    AccessChange,
    ChecklistItem,
    Client,
    DiscussionPost,
    Document,
    Email,
    Filing,
    Firm,
    Step,
    StepComment,
    TimeEntry,
    User,
)
from models.clients import bn_key, name_key, search_key
from portal.demo import _pdf as demo_pdf
from portal.generated_ledger import LedgerPlan, StepFacts

# Bump when the generated data changes shape, so cached benchmark databases are rebuilt.
GENERATOR_VERSION = 3
PASSWORD = "Generated-firm-2026!"  # noqa: S105 (the published password of generated logins)
BATCH_ROWS = 50_000


@dataclass(frozen=True)
class Scale:
    name: str
    steps: int
    clients: int
    filings: int
    bookkeepers: int
    staff: int  # seat users: admins and staff


SCALES = {
    "small": Scale("small", steps=1_000, clients=20, filings=200, bookkeepers=5, staff=4),
    "medium": Scale(
        "medium", steps=100_000, clients=2_000, filings=20_000, bookkeepers=50, staff=20
    ),
    "large": Scale(
        "large", steps=1_000_000, clients=20_000, filings=200_000, bookkeepers=500, staff=200
    ),
}


@dataclass(frozen=True)
class Account:
    role: str
    email: str
    name: str
    note: str = ""


@dataclass
class Generated:
    firm_id: int
    firm_name: str
    scale: str
    seed: int
    password: str
    accounts: list[Account]
    counts: dict[str, int]
    seconds: float
    # step counts per bookkeeper id (all their steps, active filings or not)
    bookkeeper_steps: dict[int, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Words


_PLACES = (
    "Maple", "River", "North", "Bright", "Lakeshore", "Harbour", "Summit", "Cedar", "Pine",
    "Oak", "Willow", "Prairie", "Granite", "Silver", "Golden", "Blue", "Red", "Green", "Stone",
    "Coastal", "Valley", "Highland", "Eastside", "Westend", "Southgate", "Riverside", "Hillcrest",
    "Meadow", "Birch", "Aspen", "Falcon", "Eagle", "Beacon", "Harvest", "Frontier", "Heritage",
    "Pioneer", "Sterling", "Crescent", "Horizon", "Lighthouse", "Ironwood", "Copper", "Juniper",
    "Spruce", "Tamarack", "Bayview", "Parkdale", "Kingsway", "Queensway", "Northern", "Atlantic",
    "Pacific", "Laurentian", "Fraser", "Ottawa", "Rideau", "Muskoka", "Niagara", "Okanagan",
)  # fmt: skip
_TRADES = (
    "Cafe", "Dental", "Logistics", "Marketing", "Yoga Studio", "Florists", "Engineering",
    "Law", "Bakery", "Plumbing", "Electric", "Landscaping", "Auto Repair", "Pharmacy",
    "Consulting", "Design", "Construction", "Roofing", "Catering", "Fitness", "Veterinary",
    "Physiotherapy", "Optometry", "Printing", "Books", "Hardware", "Brewing", "Winery",
    "Dairy", "Farms", "Trucking", "Movers", "Cleaning", "Salon", "Spa", "Tutoring",
    "Daycare", "Realty", "Insurance", "Travel", "Photography", "Media", "Software",
    "Robotics", "Imports", "Textiles", "Furniture", "Flooring", "Glass", "Welding", "Marine",
    "Aviation", "Optical", "Chiropractic", "Massage", "Pet Supply", "Grocers", "Deli",
    "Pizzeria", "Sushi",
)  # fmt: skip
_FORMS = ("Inc.", "Ltd.", "Corp.", "LLP", "Co.", "Group", "& Sons", "Partners", "", "Services")
_FIRST = (
    "Olivia", "Sam", "Alex", "Bea", "Dev", "Kim", "Priya", "Marcus", "Hannah", "Ana", "Grace",
    "Owen", "Robert", "Claire", "Liam", "Emma", "Noah", "Ava", "Ethan", "Mia", "Lucas", "Zoe",
    "Mateo", "Leah", "Aiden", "Chloe", "Arjun", "Nora", "Wei", "Fatima", "Omar", "Sofia",
    "Jonah", "Maya", "Ravi", "Ines", "Tariq", "Elena", "Kofi", "Yuki", "Diego", "Amara",
    "Felix", "Lina", "Hugo", "Isla", "Mohammed", "Aisha", "Pierre", "Julie",
)  # fmt: skip
_LAST = (
    "Grant", "Patel", "Chen", "Martin", "Singh", "Osei", "Nair", "Lee", "Ortiz", "Silva",
    "Wong", "Brooks", "Tremblay", "Roy", "Gagnon", "Smith", "Brown", "Wilson", "Taylor",
    "Campbell", "Anderson", "MacDonald", "Leblanc", "Kaur", "Nguyen", "Kim", "Ali", "Khan",
    "Cote", "Bouchard", "Morin", "Fraser", "Stewart", "Young", "King", "Scott", "Reid", "Hall",
    "Wright", "Clarke", "Murphy", "Ross", "Bell", "Graham", "Hughes", "Adams", "Baker",
    "Thompson", "Mitchell", "Carter",
)  # fmt: skip
_STREETS = ("Queen St W", "King St E", "Main St", "River Rd", "1 St SW", "Water St", "Bay St")
_CITIES = (
    ("Toronto", "ON"), ("Guelph", "ON"), ("Vancouver", "BC"), ("Calgary", "AB"),
    ("Halifax", "NS"), ("Edmonton", "AB"), ("Ottawa", "ON"), ("Winnipeg", "MB"),
    ("Regina", "SK"), ("Victoria", "BC"), ("Moncton", "NB"), ("Kelowna", "BC"),
)  # fmt: skip
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# kind: (step titles, checklist labels)
_WORK: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "GST/HST": (
        (
            "Enter {p} bank transactions",
            "Reconcile sales tax accounts",
            "Collect receipts",
            "Review GST/HST return",
            "Prepare GST/HST return",
            "File GST/HST return",
            "Categorize expense receipts",
            "Confirm input tax credits with client",
        ),
        (
            "Download statements",
            "Enter deposits",
            "Enter withdrawals",
            "Reconcile the ending balance",
            "Match ITCs to receipts",
            "Check the filing period",
        ),
    ),
    "Payroll": (
        (
            "Run {p} payroll",
            "Reconcile payroll accounts",
            "Collect timesheets",
            "Remit source deductions",
            "Review payroll register",
            "Enter new hires",
        ),
        (
            "Match remittances to the payroll register",
            "Check CPP and EI",
            "Confirm hours",
            "Approve the pay run",
            "Send pay stubs",
        ),
    ),
    "Bookkeeping": (
        (
            "Enter {p} transactions",
            "Categorize expense receipts",
            "Reconcile credit cards",
            "Confirm opening balances with client",
            "Reconcile bank accounts",
            "Clean up the suspense account",
            "Post adjusting entries",
        ),
        (
            "Fuel receipts",
            "Maintenance invoices",
            "Credit card statements",
            "Bank statements",
            "Petty cash log",
            "Loan statements",
        ),
    ),
    "T2": (
        (
            "Prepare T2 schedules",
            "Collect year-end documents",
            "Review the trial balance",
            "Prepare financial statements",
            "File T2 return",
        ),
        (
            "Trial balance",
            "Fixed asset additions",
            "Shareholder loan",
            "GIFI mapping",
            "Capital cost allowance",
        ),
    ),
    "T4": (
        ("Prepare T4 slips", "Reconcile T4 summary", "Send T4 slips to employees"),
        ("Employee addresses", "Taxable benefits", "Summary totals match PD7A"),
    ),
}
_KINDS = tuple(_WORK)
_WAITING = (
    "Asked the client for last year's closing trial balance.",
    "Waiting on the March bank statement.",
    "Client is looking for the missing receipts.",
    "Asked for the timesheets of two new hires.",
    "Need the loan statement from the client.",
)
_COMMENTS = (
    "Started on this; statements are in.",
    "Two deposits don't match the bank. Checking with the client.",
    "Done my part, over to review.",
    "Client called, the receipts are coming Friday.",
    "Can someone confirm the period?",
    "Reconciled to the penny.",
    "Found a duplicate entry and removed it.",
)
_POSTS = (
    "Heads up: the client changed banks mid-quarter.",
    "Reviewed, a couple of questions in the steps.",
    "Approved, ready to file once the last step is done.",
    "Client asked for a call about this filing.",
    "Moving the due date talk to next week's meeting.",
)
_NOTES = ("", "", "", "Quarterly GST/HST filer.", "Prefers email.", "Two bank accounts.")

# Filing status draw: open 65%, in review 15%, filed 16%, cancelled 4%.
_OPEN, _REVIEW, _FILED, _CANCELLED = 0, 1, 2, 3
_FILING_STATUS = ("open", "in_review", "filed", "cancelled")
_STEP_STATUS = ("todo", "in_progress", "waiting_on_client", "done")
# Checklist length 0-5, mean about 1.9.
_CHECKLIST_CUTS = (0.30, 0.45, 0.65, 0.80, 0.90, 1.0)


def _pdf(label: str) -> bytes:
    """A one-page PDF, made as the demo's documents are."""
    return demo_pdf(label)


# ---------------------------------------------------------------------------------------------
# Writing rows fast


class _Sink:
    """Rows for one table, written in batches: executemany of the compiled Core insert
    (SQLite) or COPY (PostgreSQL). Columns the generator does not fill but that must not be
    empty get their model default, so a column added later does not break the generator."""

    def __init__(self, writer: _Writer, table: Table, columns: Sequence[str]):
        self.writer, self.table, self.count = writer, table, 0
        self.rows: list[tuple] = []
        dialect = writer.conn.dialect
        extra_names, extra_values = [], []
        for column in table.columns:
            if column.name in columns or column.nullable:
                continue
            if column.server_default is not None and column.default is None:
                continue  # the database fills it (a model default would be in the INSERT)
            default = column.default
            if default is None:
                raise RuntimeError(f"{table.name}.{column.name} needs a value: update generate")
            value = default.arg(None) if default.is_callable else default.arg
            process = column.type.dialect_impl(dialect).bind_processor(dialect)
            extra_names.append(column.name)
            extra_values.append(process(value) if process and writer.convert else value)
        self.extras = tuple(extra_values)
        names = [*columns, *extra_names]
        if writer.copy:
            self.sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
            self.order = None
        else:
            compiled = insert(table).compile(dialect=dialect, column_keys=names)
            self.sql = str(compiled)
            positions = [names.index(key) for key in compiled.positiontup or ()]
            self.order = None if positions == list(range(len(names))) else itemgetter(*positions)

    def add(self, row: tuple) -> None:
        self.rows.append(row + self.extras if self.extras else row)
        if len(self.rows) >= BATCH_ROWS:
            self.writer.flush_through(self)

    def flush(self) -> None:
        if not self.rows:
            return
        rows = self.rows if self.order is None else [self.order(r) for r in self.rows]
        self.writer.write(self, rows)
        self.count += len(rows)
        self.rows = []


class _Writer:
    def __init__(self, conn: Connection):
        self.conn = conn
        self.copy = conn.dialect.name == "postgresql"
        # psycopg takes dates and aware datetimes as they are; SQLite gets SQLAlchemy's text.
        self.convert = not self.copy
        self.sinks: list[_Sink] = []

    def sink(self, model: Any, columns: Sequence[str]) -> _Sink:
        made = _Sink(self, model.__table__, columns)
        self.sinks.append(made)
        return made

    def write(self, sink: _Sink, rows: list[tuple]) -> None:
        if self.copy:
            raw = self.conn.connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(sink.sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            self.conn.exec_driver_sql(sink.sql, rows)

    def flush_through(self, last: _Sink) -> None:
        """Write `last` and, first, every table made before it: parents before children, as
        PostgreSQL checks each foreign key as the rows arrive."""
        for made in self.sinks:
            made.flush()
            if made is last:
                return

    def flush_all(self) -> None:
        for made in self.sinks:
            made.flush()

    def processor(self, column) -> Callable[[Any], Any]:
        if not self.convert:
            return lambda value: value
        dialect = self.conn.dialect
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        return process or (lambda value: value)


# ---------------------------------------------------------------------------------------------
# Shapes


def _spread(r: Callable[[], float], total: int, n: int, lo: int, hi: int) -> list[int]:
    """n whole numbers between lo and hi that add up to total, varied around the mean."""
    if n == 0:
        return []
    if not n * lo <= total <= n * hi:
        raise ValueError(f"cannot spread {total} over {n} between {lo} and {hi}")
    counts = [lo] * n
    remaining = total - n * lo
    weights = [r() + 0.25 for _ in range(n)]
    scale = remaining / sum(weights)
    for i, weight in enumerate(weights):
        counts[i] += min(hi - lo, int(weight * scale))
    left = total - sum(counts)
    while left > 0:
        i = int(r() * n)
        if counts[i] < hi:
            counts[i] += 1
            left -= 1
    return counts


def _next_id(conn: Connection, model: Any) -> int:
    return int(conn.execute(select(func.coalesce(func.max(model.id), 0))).scalar_one()) + 1


class _Progress:
    """A rich progress bar on stderr, or nothing."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description:<28}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )

    def __enter__(self):
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def task(self, description: str, total: int | None):
        return self.bar.add_task(description, total=total) if self.bar is not None else None

    def advance(self, task, amount: int = 1) -> None:
        if self.bar is not None:
            self.bar.advance(task, amount)

    def done(self, task) -> None:
        if self.bar is not None:
            self.bar.update(task, total=1, completed=1)


# ---------------------------------------------------------------------------------------------
# The firm


def generate(
    engine: Engine,
    scale: Scale | str,
    *,
    seed: int = 1,
    progress: bool = True,
    today: date | None = None,
    analyze: bool = True,
    password_hash: str | None = None,
) -> Generated:
    """Add one generated firm to a migrated database and return what was made."""
    from portal import storage
    from portal.auth import hash_password
    from portal.settings import get_settings

    scale = SCALES[scale] if isinstance(scale, str) else scale
    started = time.perf_counter()
    rnd = random.Random(seed)
    today = today or date.today()
    now = datetime.now(UTC).replace(microsecond=0)
    hashed = password_hash or hash_password(PASSWORD)
    max_upload = get_settings().max_upload_bytes
    sqlite = engine.dialect.name == "sqlite"

    with ExitStack() as stack:
        bar = stack.enter_context(_Progress(progress))
        conn = stack.enter_context(engine.connect())
        if sqlite:
            # Outside the transaction (pysqlite begins it at the first INSERT). Every id is
            # assigned here from the rows the generator itself makes; foreign_key_check in the
            # tests proves they hold.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
            conn.commit()
            # The pool gets a fresh connection, with the usual pragmas, after this one.
            stack.callback(conn.invalidate)
        job = _Job(
            conn=conn,
            scale=scale,
            rnd=rnd,
            today=today,
            now=now,
            hashed=hashed,
            bar=bar,
            files=ThreadPoolExecutor(max_workers=4),
            max_upload=max_upload,
            seed=seed,
        )
        try:
            with job.files, conn.begin():
                result = _build(job)
        except BaseException:
            # Every file write has finished (the pool is shut down): none is left behind.
            for key in job.stored:
                with suppress(Exception):
                    storage.delete(key)
            raise
        if analyze:
            task = bar.task("Planner statistics", None)
            _analyze(conn)
            bar.done(task)
    result.seed = seed
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class _Job:
    conn: Connection
    scale: Scale
    rnd: random.Random
    today: date
    now: datetime
    hashed: str
    bar: _Progress
    files: ThreadPoolExecutor  # document files are written on these threads
    max_upload: int
    seed: int = 1
    stored: list[str] = field(default_factory=list)  # storage keys written so far


def _analyze(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("PRAGMA optimize")
        conn.commit()
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        conn.commit()
        conn.execute(text("ANALYZE"))
        conn.commit()


def _build(job: _Job) -> Generated:
    from portal import storage

    conn, scale, rnd, today, now, bar = job.conn, job.scale, job.rnd, job.today, job.now, job.bar
    r, t0 = rnd.random, today.toordinal()
    w = _Writer(conn)
    if w.copy:
        # PostgreSQL checks every foreign key row by row as COPY goes. The generator makes
        # each key itself (the tests check them all), so where the role may (a superuser),
        # this transaction skips those checks; elsewhere they stay on.
        with suppress(Exception), conn.begin_nested():
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    # Dates and instants as the database takes them, made once each.
    to_date = w.processor(Step.__table__.c.due_date)
    to_ts = w.processor(Step.__table__.c.created_at)
    day_cache: dict[int, Any] = {}

    def day(ordinal: int):
        value = day_cache.get(ordinal)
        if value is None:
            value = day_cache[ordinal] = to_date(date.fromordinal(ordinal))
        return value

    # Each instant also as a datetime, for the access ledger's history (the same draws).
    instant_at = [now - timedelta(seconds=int(r() * 400 * 86400)) for _ in range(4096)]
    recent_at = [now - timedelta(seconds=int(r() * 30 * 86400)) for _ in range(1024)]
    instants = [to_ts(at) for at in instant_at]
    recent = [to_ts(at) for at in recent_at]
    now_ts = to_ts(now)

    def instant():
        return instants[int(r() * 4096)]

    firm_id = _next_id(conn, Firm)
    ids = {
        model: _next_id(conn, model)
        for model in (
            User,
            Client,
            Filing,
            Step,
            ChecklistItem,
            TimeEntry,
            StepComment,
            DiscussionPost,
            Document,
            Email,
            AccessChange,
        )
    }
    domain = f"gen-firm{firm_id}.example"
    firm_name = f"Generated Practice {firm_id} ({scale.name})"

    # People -----------------------------------------------------------------------------
    admins = max(1, scale.staff // 50)
    user_base = ids[User]
    staff_ids = list(range(user_base, user_base + scale.staff))
    bk_base = user_base + scale.staff
    bk_ids = list(range(bk_base, bk_base + scale.bookkeepers))
    inactive = set(bk_ids[-max(0, scale.bookkeepers // 50) :]) if scale.bookkeepers >= 50 else set()
    names = rnd.sample([(f, la) for f in _FIRST for la in _LAST], scale.staff + scale.bookkeepers)

    w.sink(
        Firm,
        (
            "id",
            "name",
            "staff_seats",
            "filing_steps_enabled",
            "portal_enabled",
            "created_at",
            "updated_at",
            "version",
        ),
    ).add((firm_id, firm_name, scale.staff + 10, True, True, now_ts, now_ts, 1))
    users = w.sink(
        User,
        (
            "id",
            "firm_id",
            "email",
            "name",
            "role",
            "is_active",
            "password_hash",
            "must_change_password",
            "created_at",
            "version",
        ),
    )
    people: dict[int, tuple[str, str, str]] = {}
    for i, uid in enumerate(staff_ids):
        role = "admin" if i < admins else "staff"
        local = f"admin{i + 1}" if i < admins else f"staff{i + 1 - admins}"
        people[uid] = (role, f"{local}@{domain}", " ".join(names[i]))
    for i, uid in enumerate(bk_ids):
        people[uid] = ("bookkeeper", f"bk{i + 1}@{domain}", " ".join(names[scale.staff + i]))
    for uid, (role, email, name) in people.items():
        users.add(
            (uid, firm_id, email, name, role, uid not in inactive, job.hashed, False, instant(), 1)
        )

    # Plan: clients -> filings -> steps, with ids in that order ----------------------------
    n_clients, n_filings, n_steps = scale.clients, scale.filings, scale.steps
    per_client = _spread(r, n_filings, n_clients, 1, max(2, 3 * n_filings // n_clients))
    n_big = max(1, n_filings // 500)
    big = set(rnd.sample(range(n_filings), n_big))
    big_counts = {f: 40 + int(r() * 21) for f in big}
    rest = n_steps - sum(big_counts.values())
    ordinary = _spread(r, rest, n_filings - n_big, 1, max(2, 3 * rest // (n_filings - n_big)))
    it = iter(ordinary)
    per_filing = array("i", (big_counts[f] if f in big else next(it) for f in range(n_filings)))
    filing_client = array("i", bytes(4 * n_filings))
    client_filing_start = array("i", bytes(4 * (n_clients + 1)))
    client_step_start = array("i", bytes(4 * (n_clients + 1)))
    f = s = 0
    for c, count in enumerate(per_client):
        client_filing_start[c], client_step_start[c] = f, s
        for _ in range(count):
            filing_client[f] = c
            s += per_filing[f]
            f += 1
    client_filing_start[n_clients], client_step_start[n_clients] = f, s

    # Bookkeepers: each on 20-200 steps, over a handful of clients, the first on 200.
    assignee = array("i", bytes(4 * n_steps))
    budget = int(n_steps * 0.6)
    targets = [20 + int(r() * 181) for _ in bk_ids]
    if targets:
        targets[0] = 200
    while sum(targets) > budget and max(targets) > 20:
        targets = [max(20, t * 9 // 10) for t in targets]
    bookkeeper_steps: dict[int, int] = {}
    for uid, target in zip(bk_ids, targets, strict=True):
        need, tries = target, 0
        while need > 0 and tries < 10_000:
            tries += 1
            c = int(r() * n_clients)
            free = [
                i for i in range(client_step_start[c], client_step_start[c + 1]) if not assignee[i]
            ]
            if not free:
                continue
            take = min(need, max(1, int(len(free) * (0.3 + 0.5 * r()))))
            for i in rnd.sample(free, take):
                assignee[i] = uid
            need -= take
        bookkeeper_steps[uid] = target - need
    lead = [staff_ids[int(r() * len(staff_ids))] for _ in range(n_clients)]
    admin_ids = staff_ids[:admins]
    # The ledger's own stream: the firm comes out the same whatever its history draws.
    ledger_rnd = random.Random(f"ledger-{job.seed}")
    bk_set = set(bk_ids)
    ledger = LedgerPlan(
        rnd=ledger_rnd,
        now=now,
        active=[uid for uid in bk_ids if uid not in inactive],
        deactivated={
            uid: now - timedelta(seconds=3600 + int(ledger_rnd.random() * 60 * 86400))
            for uid in sorted(inactive)
        },
        admin=admin_ids[0],
        rows=[],
    )

    # Clients -----------------------------------------------------------------------------
    client_base = ids[Client]
    clients = w.sink(
        Client,
        (
            "id",
            "firm_id",
            "name",
            "business_number",
            "name_key",
            "bn_key",
            "search_key",
            "contact_name",
            "contact_email",
            "phone",
            "address",
            "notes",
            "created_at",
            "updated_at",
            "version",
        ),
    )
    combos = len(_PLACES) * len(_TRADES) * len(_FORMS)
    picks = rnd.sample(range(combos), min(n_clients, combos))
    task = bar.task("Clients", n_clients)
    client_names: list[str] = []
    contacts: list[str] = []
    for c in range(n_clients):
        pick = picks[c] if c < len(picks) else int(r() * combos)
        place = _PLACES[pick % len(_PLACES)]
        trade = _TRADES[(pick // len(_PLACES)) % len(_TRADES)]
        form = _FORMS[pick // (len(_PLACES) * len(_TRADES))]
        name = " ".join(part for part in (place, trade, form) if part)
        if c >= len(picks):
            name = f"{name} {c}"
        number = f"{(810_000_000 + c * 7_919) % 1_000_000_000:09d}RT0001"
        first, last = _FIRST[int(r() * len(_FIRST))], _LAST[int(r() * len(_LAST))]
        slug = "".join(ch for ch in (place + trade).lower() if ch.isalnum())
        email = f"{first.lower()}@{slug}{c}.example"
        city, province = _CITIES[int(r() * len(_CITIES))]
        address = f"{10 + int(r() * 2000)} {_STREETS[int(r() * len(_STREETS))]}, {city}, {province}"
        phone = f"{416 + int(r() * 500)}-555-{int(r() * 10_000):04d}"
        stamp = instant()
        contact = f"{first} {last}"
        clients.add(
            (
                client_base + c,
                firm_id,
                name,
                number,
                name_key(name),
                bn_key(number),
                search_key(name, number, contact),
                contact,
                email,
                phone,
                address,
                _NOTES[int(r() * len(_NOTES))],
                stamp,
                stamp,
                1,
            )
        )
        client_names.append(name)
        contacts.append(email)
        bar.advance(task)

    # Documents: files go to storage on worker threads while the database work goes on.
    doc_plan: list[tuple[int, int | None, str, str, Future]] = []
    per_client_docs = [int(r() * 4) for _ in range(n_clients)]

    def store(content: bytes):
        saved = storage.save(io.BytesIO(content), max_bytes=job.max_upload)
        job.stored.append(saved.key)
        return saved

    for c in range(n_clients):
        for k in range(per_client_docs[c]):
            lo, hi = client_filing_start[c], client_filing_start[c + 1]
            filing = ids[Filing] + lo + int(r() * (hi - lo)) if r() < 0.6 else None
            month = _MONTHS[int(r() * 12)]
            if r() < 0.7:
                filename = f"Bank statement {month} {today.year}.pdf"
                content_type = "application/pdf"
                content = _pdf(f"{client_names[c]} - statement {month} ({c}-{k})")
            else:
                filename = f"Receipts {month} {today.year}.csv"
                content_type = "text/csv"
                content = (
                    "date,description,amount\n"
                    + "".join(
                        f"{today.year}-{1 + j % 12:02d}-{1 + j:02d},Item {j},{(j + 1) * 12.5:.2f}\n"
                        for j in range(3 + int(r() * 10))
                    )
                ).encode()
            doc_plan.append(
                (client_base + c, filing, filename, content_type, job.files.submit(store, content))
            )

    # Filings, steps and everything under them ---------------------------------------------
    filings = w.sink(
        Filing,
        (
            "id",
            "firm_id",
            "client_id",
            "kind",
            "period",
            "due_date",
            "status",
            "reviewer_id",
            "approver_id",
            "created_at",
            "updated_at",
            "closed_at",
            "version",
        ),
    )
    steps = w.sink(
        Step,
        (
            "id",
            "firm_id",
            "filing_id",
            "title",
            "description",
            "assignee_id",
            "due_date",
            "status",
            "waiting_reason",
            "position",
            "created_at",
            "updated_at",
            "version",
        ),
    )
    items = w.sink(
        ChecklistItem,
        ("id", "firm_id", "step_id", "label", "position", "is_done", "done_by_id", "done_at"),
    )
    times = w.sink(
        TimeEntry,
        (
            "id",
            "firm_id",
            "step_id",
            "user_id",
            "minutes",
            "work_date",
            "note",
            "created_at",
            "updated_at",
        ),
    )
    comments = w.sink(StepComment, ("id", "firm_id", "step_id", "author_id", "body", "created_at"))
    posts = w.sink(
        DiscussionPost, ("id", "firm_id", "filing_id", "author_id", "body", "created_at")
    )
    filing_base, step_base = ids[Filing], ids[Step]
    item_id, time_id, comment_id, post_id = (
        ids[ChecklistItem],
        ids[TimeEntry],
        ids[StepComment],
        ids[DiscussionPost],
    )
    n_staff = len(staff_ids)
    task = bar.task("Filings and steps", n_steps)
    s = shown = 0
    for f in range(n_filings):
        c = filing_client[f]
        nth = f - client_filing_start[c]
        kind = _KINDS[(c + nth) % len(_KINDS)]
        titles, labels = _WORK[kind]
        year = today.year - (nth // 8)
        if kind == "Payroll":
            period = f"{_MONTHS[(today.month - 1 - nth) % 12]} {year}"
        elif kind == "GST/HST":
            period = f"Q{1 + nth % 4} {year}"
        else:
            period = f"{year - 1}"
        x = r()
        status = _OPEN if x < 0.65 else _REVIEW if x < 0.80 else _FILED if x < 0.96 else _CANCELLED
        if status == _FILED:
            due = t0 - 10 - int(r() * 390)
        elif status == _CANCELLED:
            due = t0 - 200 + int(r() * 260)
        else:
            due = t0 - 30 + int(r() * 120)
        made = int(r() * 4096)
        created = instants[made]
        closing = int(r() * 1024) if status >= _FILED else None
        closed = recent[closing] if closing is not None else None
        reviewer = lead[c] if r() < 0.7 else staff_ids[int(r() * n_staff)]
        approver = admin_ids[int(r() * len(admin_ids))]
        fid = filing_base + f
        filings.add(
            (
                fid,
                firm_id,
                client_base + c,
                kind,
                period,
                day(due),
                _FILING_STATUS[status],
                reviewer,
                approver,
                created,
                created,
                closed,
                1,
            )
        )
        first_assignee = 0
        for position in range(per_filing[f]):
            sid = step_base + s
            who = assignee[s]
            if not who:
                x = r()
                who = 0 if x < 0.12 else lead[c] if x < 0.7 else staff_ids[int(r() * n_staff)]
            if status == _FILED:
                st = 3
            else:
                x = r()
                st = 0 if x < 0.40 else 1 if x < 0.65 else 2 if x < 0.73 else 3
            title = titles[(position + f) % len(titles)].format(p=period)
            earlier = ledger_rnd.random() < (0.15 if who in bk_set else 0.03)
            if who in bk_set or earlier:
                ledger.step(
                    StepFacts(
                        step_id=sid,
                        filing_id=fid,
                        client_id=client_base + c,
                        title=title,
                        holder=who if who in bk_set else 0,
                        created=instant_at[made],
                        filing_status=_FILING_STATUS[status],
                        closed=recent_at[closing] if closing is not None else None,
                        lead=lead[c],
                        reviewer=reviewer,
                    ),
                    earlier,
                )
            step_due = due - int(r() * 21)
            steps.add(
                (
                    sid,
                    firm_id,
                    fid,
                    title,
                    "",
                    who or None,
                    day(step_due),
                    _STEP_STATUS[st],
                    _WAITING[int(r() * len(_WAITING))] if st == 2 else "",
                    position,
                    created,
                    created,
                    1,
                )
            )
            first_assignee = first_assignee or who
            x = r()
            n_items = 0
            while x > _CHECKLIST_CUTS[n_items]:
                n_items += 1
            for k in range(n_items):
                done = st == 3 or (st in (1, 2) and r() < 0.5)
                items.add(
                    (
                        item_id,
                        firm_id,
                        sid,
                        labels[(k + position) % len(labels)],
                        k,
                        done,
                        (who or lead[c]) if done else None,
                        instant() if done else None,
                    )
                )
                item_id += 1
            if who and st != 0 and r() < 0.35:
                for _ in range(1 + int(r() * 3)):
                    worked = min(t0, step_due) - int(r() * 20)
                    stamp = instant()
                    times.add(
                        (
                            time_id,
                            firm_id,
                            sid,
                            who,
                            15 * (1 + int(r() * 16)),
                            day(worked),
                            "",
                            stamp,
                            stamp,
                        )
                    )
                    time_id += 1
            if r() < 0.15:
                for _ in range(1 + int(r() * 3)):
                    author = who if who and r() < 0.7 else reviewer
                    comments.add(
                        (
                            comment_id,
                            firm_id,
                            sid,
                            author,
                            _COMMENTS[int(r() * len(_COMMENTS))],
                            instant(),
                        )
                    )
                    comment_id += 1
            s += 1
        if r() < 0.10:
            for _ in range(1 + int(r() * 3)):
                author = first_assignee if first_assignee and r() < 0.5 else reviewer
                posts.add(
                    (post_id, firm_id, fid, author, _POSTS[int(r() * len(_POSTS))], instant())
                )
                post_id += 1
        if f % 1000 == 999 or f == n_filings - 1:
            bar.advance(task, s - shown)
            shown = s
    w.flush_all()

    # The access ledger: each bookkeeper's periods of access, oldest first ------------------
    task = bar.task("Access ledger", len(ledger.rows))
    changes = w.sink(
        AccessChange,
        (
            "id",
            "firm_id",
            "at",
            "user_id",
            "client_id",
            "step_id",
            "step_title",
            "filing_id",
            "change",
            "cause",
            "actor_id",
        ),
    )
    for change_id, row in enumerate(ledger.ordered(), start=ids[AccessChange]):
        changes.add((change_id, firm_id, to_ts(row[0]), *row[1:]))
    bar.advance(task, len(ledger.rows))
    w.flush_through(changes)

    # Documents (rows once their files are stored) and emails ---------------------------------
    task = bar.task("Documents (files)", len(doc_plan))
    docs = w.sink(
        Document,
        (
            "id",
            "firm_id",
            "client_id",
            "filing_id",
            "storage_key",
            "filename",
            "content_type",
            "size_bytes",
            "sha256",
            "uploaded_by_id",
            "created_at",
        ),
    )
    doc_id = ids[Document]
    client_docs: dict[int, list[int]] = {}
    for client_id, filing_id, filename, content_type, future in doc_plan:
        saved = future.result()
        docs.add(
            (
                doc_id,
                firm_id,
                client_id,
                filing_id,
                saved.key,
                filename,
                content_type,
                saved.size_bytes,
                saved.sha256,
                lead[client_id - client_base],
                instant(),
            )
        )
        client_docs.setdefault(client_id, []).append(doc_id)
        doc_id += 1
        bar.advance(task)
    w.flush_through(docs)

    task = bar.task("Emails", n_clients)
    emails = w.sink(
        Email,
        (
            "id",
            "firm_id",
            "client_id",
            "direction",
            "status",
            "from_addr",
            "to_addr",
            "subject",
            "body",
            "message_id",
            "attachment_document_id",
            "created_by_id",
            "error",
            "at",
        ),
    )
    email_id = ids[Email]
    for c in range(n_clients):
        cid = client_base + c
        staff_email = people[lead[c]][1]
        for _ in range(int(r() * 5)):
            month = _MONTHS[int(r() * 12)]
            if r() < 0.45:
                row = (
                    "in",
                    "received",
                    contacts[c],
                    staff_email,
                    f"Re: {month} statements",
                    f"Hi, attached are the {month} statements.\n\nThanks",
                    None,
                    None,
                    "",
                )
            else:
                x = r()
                status = "sent" if x < 0.8 else "outbox" if x < 0.95 else "failed"
                attached = client_docs.get(cid)
                attachment = attached[int(r() * len(attached))] if attached and r() < 0.3 else None
                row = (
                    "out",
                    status,
                    staff_email,
                    contacts[c],
                    f"{month} documents needed",
                    f"Hello,\n\nCould you send us the {month} bank statements?\n\nRegards",
                    attachment,
                    lead[c],
                    "Connection refused by the mail server." if status == "failed" else "",
                )
            emails.add(
                (
                    email_id,
                    firm_id,
                    cid,
                    *row[:6],
                    f"<gen-{email_id}@{domain}>",
                    *row[6:],
                    instant(),
                )
            )
            email_id += 1
        bar.advance(task)
    w.flush_all()

    if conn.dialect.name == "postgresql":
        for model in (Firm, *ids):
            table = model.__table__.name
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )

    counts = {sink.table.name: sink.count for sink in w.sinks}
    ranked = sorted(bk_ids, key=lambda uid: (-bookkeeper_steps[uid], uid))
    active_ranked = [uid for uid in ranked if uid not in inactive]
    accounts = [Account("admin", people[uid][1], people[uid][2], "admin") for uid in admin_ids[:1]]
    accounts += [
        Account("staff", people[uid][1], people[uid][2], "staff")
        for uid in staff_ids[admins : admins + 2]
    ]
    if active_ranked:
        busiest = active_ranked[0]
        accounts.append(
            Account(
                "bookkeeper",
                people[busiest][1],
                people[busiest][2],
                f"the busiest, {bookkeeper_steps[busiest]} steps",
            )
        )
        middle = active_ranked[len(active_ranked) // 2]
        accounts.append(
            Account(
                "bookkeeper",
                people[middle][1],
                people[middle][2],
                f"{bookkeeper_steps[middle]} steps",
            )
        )
        fewest = active_ranked[-1]
        if fewest not in (busiest, middle):
            accounts.append(
                Account(
                    "bookkeeper",
                    people[fewest][1],
                    people[fewest][2],
                    f"{bookkeeper_steps[fewest]} steps",
                )
            )
    if inactive:
        uid = min(inactive)
        accounts.append(Account("bookkeeper", people[uid][1], people[uid][2], "deactivated"))
    return Generated(
        firm_id=firm_id,
        firm_name=firm_name,
        scale=scale.name,
        seed=0,
        password=PASSWORD,
        accounts=accounts,
        counts=counts,
        seconds=0.0,
        bookkeeper_steps=bookkeeper_steps,
    )


def report(result: Generated) -> Iterable[str]:
    yield (
        f"Generated firm {result.firm_id}: {result.firm_name}, seed {result.seed}, "
        f"in {result.seconds:.1f} s."
    )
    yield "Rows: " + ", ".join(f"{name} {count:,}" for name, count in result.counts.items())
    yield "Sign in as:"
    for account in result.accounts:
        yield f"  {account.role:<10} {account.email:<34} {account.name}: {account.note}"
    yield f"Every generated login's password: {result.password}"


__all__ = ["GENERATOR_VERSION", "PASSWORD", "SCALES", "Generated", "Scale", "generate", "report"]
