"""The rate limits where they are enforced: the boundary middleware, before any handler, and
the HTTP guard, before anything behind it. Over a limit nothing runs, the person is told to
slow down (a toast; HTTP 429 with Retry-After), and the refusals fold into one audit row."""

from __future__ import annotations

import pytest
from reflex.state import StateUpdate
from reflex_base.event import Event
from sqlmodel import select
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient

import portal.portal  # noqa: F401  (registers every page and state)
from models import AuditEvent
from portal import http, ratelimit, routes
from portal.auth import SESSION_COOKIE
from portal.boundary import REFUSED_MESSAGE, TOO_FAST_MESSAGE, PortalBoundary
from portal.services import refusal_log
from portal.settings import get_settings
from state.client import ClientState
from state.home import HomeState
from state.session import SessionState
from state.tasks import TasksState
from tests.factories import open_session
from tests.support.aio import run_sync


@pytest.fixture
def rates(db_url, monkeypatch):
    def apply(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    monkeypatch.delenv("PORTAL_RATE_LIMIT_STORAGE", raising=False)
    return apply


class FakeState:
    """What the middleware reads of the state tree: the connection's router data."""

    def __init__(self, cookie: str = "", *, tab: str = "tab-1", ip: str = "198.51.100.7"):
        self.router_data = {"ip": ip, "headers": {"cookie": cookie}, "token": tab}


def name_of(cls, handler: str) -> str:
    return f"{cls.get_full_name()}.{handler}"


def send(state: FakeState, cls, handler: str, payload: dict | None = None):
    boundary = PortalBoundary(page_root=SessionState)
    event = Event(name=name_of(cls, handler), payload=payload or {})
    return run_sync(boundary.preprocess(None, state, event))


def says(update: StateUpdate | None, message: str) -> bool:
    """The middleware answered with a toast carrying this message (and nothing else)."""
    return (
        update is not None
        and not update.delta
        and [message in str(e.payload.get("value")) for e in update.events] == [True]
    )


def audit_rows(session, action: str) -> list[tuple]:
    refusal_log.flush()  # repeats reach the log within seconds
    session.expire_all()
    rows = session.exec(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()
    return [(r.actor_id, r.target_type, r.detail, r.count) for r in rows]


def test_events_over_the_session_limit_run_nothing_and_say_so(rates, session, world):
    rates(PORTAL_RATE_LIMIT_EVENTS_SESSION="3/minute")
    bea = FakeState(f"{SESSION_COOKIE}={open_session(session, world.bk1)}")
    answers = [send(bea, TasksState, "sort_by", {"value": "due"}) for _ in range(5)]
    # None: the middleware lets the handler run. A StateUpdate: it answered instead.
    assert answers[:3] == [None, None, None]
    assert all(says(a, TOO_FAST_MESSAGE) for a in answers[3:])
    assert audit_rows(session, "rate_limited") == [
        (world.bk1.id, "event", "state.tasks.TasksState.sort_by", 2)
    ]
    # Another session of the same person, from the same address, is not held back.
    other = FakeState(f"{SESSION_COOKIE}={open_session(session, world.bk1)}")
    assert send(other, TasksState, "sort_by", {"value": "due"}) is None


def test_refusals_and_rate_limited_refusals_fold_separately(rates, session, world):
    rates(PORTAL_RATE_LIMIT_EVENTS_SESSION="4/minute")
    bea = FakeState(f"{SESSION_COOKIE}={open_session(session, world.bk1)}")
    answers = [send(bea, HomeState, "load") for _ in range(10)]
    assert all(says(a, REFUSED_MESSAGE) for a in answers[:4])
    assert all(says(a, TOO_FAST_MESSAGE) for a in answers[4:])
    assert audit_rows(session, "refused") == [
        (world.bk1.id, "event", "state.home.HomeState.load", 4)
    ]
    assert audit_rows(session, "rate_limited") == [
        (world.bk1.id, "event", "state.home.HomeState.load", 6)
    ]


def test_signed_out_tabs_share_their_address_window(rates, session):
    rates(PORTAL_RATE_LIMIT_EVENTS_ADDRESS="4/minute")
    load = [send(FakeState(tab=f"tab-{i}"), SessionState, "enter_page") for i in range(6)]
    assert load[:4] == [None] * 4
    assert all(says(a, TOO_FAST_MESSAGE) for a in load[4:])
    refusal_log.flush()  # repeats reach the log within seconds
    session.expire_all()
    [row] = session.exec(select(AuditEvent)).all()
    assert (row.actor_label, row.ip, row.action, row.count) == (
        "signed out",
        "198.51.100.7",
        "rate_limited",
        2,
    )
    # Another address is untouched.
    assert send(FakeState(tab="tab-x", ip="198.51.100.8"), SessionState, "enter_page") is None


def test_an_office_behind_one_address_is_not_held_back_but_forged_cookies_are(
    rates, session, world
):
    """Thirty signed-in people behind one address, over its window: once each session has
    been seen signed in, none of them is limited; made-up cookies from that address are."""
    rates(PORTAL_RATE_LIMIT_EVENTS_ADDRESS="10/minute")
    people = [FakeState(f"{SESSION_COOKIE}={open_session(session, world.bk1)}") for _ in range(30)]
    first = [send(p, SessionState, "enter_page") for p in people[:10]]
    later = [
        send(p, TasksState, "sort_by", {"value": "due"}) for p in people[:10] for _ in range(3)
    ]
    assert first == [None] * 10 and later == [None] * 30
    # The address window is used up by the first sight of the first ten sessions, so a new
    # session's first event, and every made-up cookie, is counted there and refused.
    assert says(send(people[10], SessionState, "enter_page"), TOO_FAST_MESSAGE)
    forged = [FakeState(f"{SESSION_COOKIE}=made-up-{i}") for i in range(5)]
    assert all(says(send(f, SessionState, "enter_page"), TOO_FAST_MESSAGE) for f in forged)


def test_unknown_event_names_fold_into_one_row(rates, session, world):
    rates()
    bea = FakeState(f"{SESSION_COOKIE}={open_session(session, world.bk1)}")
    boundary = PortalBoundary(page_root=SessionState)
    for i in range(5):
        update = run_sync(boundary.preprocess(None, bea, Event(name=f"no.such.handler{i}")))
        assert says(update, REFUSED_MESSAGE)
    assert audit_rows(session, "refused") == [(world.bk1.id, "event", "no.such.handler0", 5)]


def test_upload_progress_has_its_own_window_and_no_message(rates, session, world):
    rates(
        PORTAL_RATE_LIMIT_EVENTS_SESSION="2/minute", PORTAL_RATE_LIMIT_PROGRESS_SESSION="5/minute"
    )
    sam = FakeState(f"{SESSION_COOKIE}={open_session(session, world.staff)}")
    progress = [
        send(sam, ClientState, "upload_progress", {"progress": {"progress": i / 10}})
        for i in range(7)
    ]
    assert progress[:5] == [None] * 5
    # Dropped without a word: a lost progress report only makes the bar lag.
    assert all(a == StateUpdate() for a in progress[5:])
    # Clicks still have their own room, and only theirs.
    clicks = [send(sam, HomeState, "load") for _ in range(3)]
    assert clicks[:2] == [None, None]
    assert says(clicks[2], TOO_FAST_MESSAGE)


def test_a_role_without_uploads_gets_no_progress_window(rates, session, world):
    """A bookkeeper's forged progress reports count as ordinary events."""
    rates(
        PORTAL_RATE_LIMIT_EVENTS_SESSION="2/minute", PORTAL_RATE_LIMIT_PROGRESS_SESSION="50/minute"
    )
    bea = FakeState(f"{SESSION_COOKIE}={open_session(session, world.bk1)}")
    answers = [send(bea, ClientState, "upload_progress", {"progress": {}}) for _ in range(4)]
    assert all(says(a, REFUSED_MESSAGE) for a in answers[:2])
    assert all(says(a, TOO_FAST_MESSAGE) for a in answers[2:])


# -- the HTTP guard ------------------------------------------------------------------------


@pytest.fixture
def behind():
    """What sits behind the guard: it answers 200 and notes every request that reached it."""
    reached = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        reached.append(scope["path"])
        await PlainTextResponse("behind the guard")(scope, receive, send)

    return app, reached


def guarded(app) -> TestClient:
    # Not entered as a context manager: no lifespan, only the requests themselves.
    return TestClient(http.HttpGuard(app, routes.match), raise_server_exceptions=False)


def test_http_over_the_session_limit_gets_429_with_retry_after(rates, session, world, behind):
    rates(PORTAL_RATE_LIMIT_HTTP_SESSION="3/minute")
    app, reached = behind
    cookie = {"cookie": f"{SESSION_COOKIE}={open_session(session, world.bk1)}"}
    client = guarded(app)
    answers = [client.get("/documents/1/download", headers=cookie) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert reached == ["/documents/1/download"] * 3
    refused = answers[-1]
    assert 55 <= int(refused.headers["retry-after"]) <= 60
    assert refused.text == TOO_FAST_MESSAGE + "\n"
    assert refused.headers["content-type"].startswith("text/plain")
    assert refused.headers["cache-control"] == "no-store"
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert audit_rows(session, "rate_limited") == [(world.bk1.id, "http", "document download", 2)]


def test_http_without_a_session_is_limited_by_address(rates, session, behind):
    rates(PORTAL_RATE_LIMIT_HTTP_ADDRESS="3/minute")
    app, _ = behind
    client = guarded(app)
    codes = [
        client.post(routes.AUTH_SESSION, data={"code": "x" * 20}).status_code for _ in range(4)
    ]
    sign_out = client.post(routes.AUTH_SIGN_OUT)
    page = client.get("/tasks", follow_redirects=False)
    assert codes == [200, 200, 200, 429]
    assert sign_out.status_code == 429 and page.status_code == 429
    refusal_log.flush()  # repeats reach the log within seconds
    session.expire_all()
    rows = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(r.actor_label, r.detail, r.count) for r in rows] == [
        ("signed out", "sign-in handoff", 1),
        ("signed out", "sign-out", 1),
        ("signed out", "page /tasks", 1),
    ]


def test_assets_and_the_event_socket_are_not_counted(rates, behind):
    rates(PORTAL_RATE_LIMIT_HTTP_ADDRESS="2/minute")
    app, _ = behind
    client = guarded(app)
    codes = {client.get(f"/_next/static/chunk{i}.js").status_code for i in range(10)}
    assert codes == {200}


@pytest.mark.parametrize(
    ("path", "method", "what"),
    [
        ("/_upload", "POST", "upload"),
        ("/auth/session", "POST", "sign-in handoff"),
        ("/auth/sign-out/", "POST", "sign-out"),
        ("/documents/12/download", "GET", "document download"),
        ("/documents/12/view", "GET", "document view"),
        ("/documents/../x", "GET", "document download"),
        ("/clients/7", "GET", "page /clients/[client_id]"),
        ("/login/", "HEAD", "page /login"),
        ("/_next/static/app.js", "GET", None),
        ("/favicon.ico", "GET", None),
        ("/_event/", "GET", None),
    ],
)
def test_what_the_http_limits_count(path, method, what):
    assert http.rate_limited_as(path, method, routes.match(path)) == what


def test_a_refused_request_body_is_read_before_the_answer():
    """Answering with the body unread can reset the connection under the client's feet."""
    chunks = [
        {"type": "http.request", "body": b"x" * 10, "more_body": True},
        {"type": "http.request", "body": b"x" * 10, "more_body": True},
        {"type": "http.request", "body": b"x" * 10, "more_body": False},
    ]

    def reader(messages):
        queue = list(messages)

        async def receive():
            return queue.pop(0)

        return receive, queue

    receive, left = reader(chunks)
    run_sync(http._drain(receive, limit=100))
    assert left == []
    # Past the limit it stops reading: a body that large is the sender's problem.
    receive, left = reader(chunks)
    run_sync(http._drain(receive, limit=15))
    assert len(left) == 1


def test_the_message_is_the_one_the_brief_promises():
    assert ratelimit.TOO_FAST_MESSAGE == "You are going too fast: wait a moment and try again."
