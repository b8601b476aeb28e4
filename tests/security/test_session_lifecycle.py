"""The session lifecycle against the running app (OWASP ASVS 5.0, chapter 7): a new token on
every sign-in, idle and absolute expiry, sign-out, deactivation and password reset ending every
session at the next event, and tampered cookies refused."""

from __future__ import annotations

import itertools
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from models import LoginSession, QueuedMail, User, utcnow
from portal.auth import digest
from portal.db import engine_for
from portal.services import links, team
from tests.factories import PASSWORD, actor_for, make_user
from tests.support.live import live_settings, sign_in_cookie
from tests.support.reflex_socket import ReflexSocket, run_async

pytestmark = pytest.mark.live

TASKS_LOAD = (
    "reflex___state____state.state___session____session_state.state___tasks____tasks_state.load"
)
_serial = itertools.count()


@pytest.fixture
def newcomer(live_app):
    """A fresh bookkeeper of the demo firm, so nothing here disturbs other tests' people."""
    with Session(engine_for(live_app.database_url), expire_on_commit=False) as session:
        from models import Firm

        firm = session.exec(select(Firm).where(Firm.name == "Demo Practice")).one()
        user = make_user(
            session,
            firm,
            "bookkeeper",
            email=f"lifecycle{next(_serial)}-{id(session)}@demo-practice.example",
        )
        session.commit()
        return user


def token_of(cookie: str) -> str:
    return cookie.split("=", 1)[1]


async def next_event_answer(base_url: str, cookie: str) -> str:
    """Open the tasks page and send one event; return where the server sent the browser
    ("" when it was allowed to run)."""
    sock = ReflexSocket(base_url, cookie=cookie)
    await sock.connect("/tasks")
    updates = await sock.call(TASKS_LOAD, {}, path="/tasks")
    await sock.close()
    for update in updates:
        for event in update.events:
            if event.get("name") == "_redirect":
                return event["payload"]["path"]
    return ""


def test_every_sign_in_gets_a_new_token_and_only_its_digest_is_stored(live_app, newcomer):
    first = token_of(sign_in_cookie(live_app, newcomer.email, PASSWORD))
    second = token_of(sign_in_cookie(live_app, newcomer.email, PASSWORD))
    assert first != second
    with engine_for(live_app.database_url).connect() as conn:
        stored = set(
            conn.execute(
                text("SELECT token_hash FROM login_session WHERE user_id = :u"), {"u": newcomer.id}
            ).scalars()
        )
    assert {digest(first), digest(second)} <= stored
    assert first not in stored and second not in stored


@pytest.mark.parametrize("expiry", ["idle", "absolute"])
def test_an_expired_session_is_refused_at_the_next_event(live_app, newcomer, expiry):
    cookie = sign_in_cookie(live_app, newcomer.email, PASSWORD)
    assert run_async(next_event_answer, live_app.base_url, cookie) == ""
    column = "last_seen_at" if expiry == "idle" else "expires_at"
    moved = utcnow() - timedelta(hours=13) if expiry == "idle" else utcnow() - timedelta(seconds=1)
    with engine_for(live_app.database_url).begin() as conn:
        conn.execute(
            text(f"UPDATE login_session SET {column} = :t WHERE token_hash = :h"),  # noqa: S608
            {"t": moved, "h": digest(token_of(cookie))},
        )
    assert run_async(next_event_answer, live_app.base_url, cookie) == "/login?reason=expired"
    response = httpx.get(f"{live_app.base_url}/tasks", headers={"cookie": cookie})
    assert response.status_code == 303
    assert "reason=" in response.headers["location"]
    assert "bp_session=;" in response.headers["set-cookie"]  # the dead cookie is cleared


def test_signing_out_kills_the_session_on_the_server(live_app, newcomer):
    cookie = sign_in_cookie(live_app, newcomer.email, PASSWORD)
    response = httpx.post(f"{live_app.base_url}/auth/sign-out", headers={"cookie": cookie})
    assert response.status_code == 200 and "Max-Age=0" in response.headers["set-cookie"]
    # Replaying the old cookie, as an attacker who copied it would, gets nothing.
    assert run_async(next_event_answer, live_app.base_url, cookie) == "/login?reason=signed_out"
    with Session(engine_for(live_app.database_url)) as session:
        login = session.exec(
            select(LoginSession).where(LoginSession.token_hash == digest(token_of(cookie)))
        ).one()
        assert login.revoked_at is not None and login.revoked_reason == "signed out"


@pytest.mark.parametrize("how", ["deactivate", "reset"])
def test_deactivation_and_reset_end_every_session_at_the_next_event(live_app, newcomer, how):
    cookies = [sign_in_cookie(live_app, newcomer.email, PASSWORD) for _ in range(3)]
    assert all(run_async(next_event_answer, live_app.base_url, c) == "" for c in cookies)
    with live_settings(live_app), Session(engine_for(live_app.database_url)) as session:
        admin = session.exec(select(User).where(User.email == "admin@demo-practice.example")).one()
        if how == "deactivate":
            team.set_active(
                session=session, actor=actor_for(admin), user_id=newcomer.id, active=False
            )
        else:
            team.reset_password(session=session, actor=actor_for(admin), user_id=newcomer.id)
        session.commit()
        if how == "reset":
            # An admin's reset emails a link; the sessions end when the link is used.
            assert all(run_async(next_event_answer, live_app.base_url, c) == "" for c in cookies)
            (mail_id,) = session.exec(
                select(QueuedMail.id).where(QueuedMail.user_id == newcomer.id)
            ).all()
            message, _ = links.issue_token(mail_id, now=utcnow())
            token = message.get_content().split("?token=")[1].split()[0]
            chosen = "gravel orchid lantern seventy"
            assert links.use_link(
                session=session, kind="reset", token=token, password=chosen, confirm=chosen
            ).ok
            session.commit()
    # Each browser is told why its own session ended (the sign-in page says it in words).
    why = {"deactivate": "deactivated", "reset": "password"}[how]
    for cookie in cookies:
        assert run_async(next_event_answer, live_app.base_url, cookie) == f"/login?reason={why}"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t[::-1],
        lambda t: t + "x",
        lambda t: "../" + t,
        lambda t: "",
    ],
)
def test_a_tampered_cookie_is_refused(live_app, newcomer, tamper):
    token = token_of(sign_in_cookie(live_app, newcomer.email, PASSWORD))
    forged = f"bp_session={tamper(token)}"
    answer = run_async(next_event_answer, live_app.base_url, forged)
    assert answer.startswith("/login")
    response = httpx.get(f"{live_app.base_url}/tasks", headers={"cookie": forged})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
