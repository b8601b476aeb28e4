"""Sign-in abuse: throttling under a burst, no permanent lockout of the real person, the same
answer and similar timing for unknown emails and wrong passwords, and clear refusals for
passwords bcrypt cannot take."""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from models import Firm, SignInAttempt, utcnow
from portal import browser
from portal.db import engine_for
from portal.services import signin
from tests.factories import PASSWORD, make_firm, make_user
from tests.support.burst import burst
from tests.support.reflex_socket import ReflexSocket, run_async

SIGN_IN = (
    "reflex___state____state.state___session____session_state."
    "state___signin____sign_in_state.sign_in"
)
SIGN_IN_STATE = (
    "reflex___state____state.state___session____session_state.state___signin____sign_in_state"
)


@pytest.fixture
def firm(session):
    firm = make_firm(session, "Alpha")
    session.commit()
    return firm


def attempt(session, email, password=PASSWORD, ip="203.0.113.5", now=None):
    return signin.sign_in(
        session=session, email=email, password=password, ip=ip, user_agent="pytest", now=now
    )


def test_ten_failures_from_one_address_block_that_address_for_fifteen_minutes(session, firm):
    make_user(session, firm, email="ana@alpha.example")
    session.commit()
    start = utcnow()
    for i in range(signin.PER_ADDRESS_LIMIT):
        result = attempt(
            session, "ana@alpha.example", "wrong password!", now=start + timedelta(seconds=i)
        )
        assert result.message == signin.WRONG_CREDENTIALS
    blocked = attempt(session, "ana@alpha.example", now=start + timedelta(seconds=30))
    assert not blocked.ok and "Too many failed sign-in attempts" in blocked.message
    assert "15 minutes" in blocked.message
    # Even the right password is refused from that address while blocked...
    assert not attempt(session, "ana@alpha.example", now=start + timedelta(minutes=10)).ok
    # ...but another address is not blocked,
    assert attempt(
        session, "ana@alpha.example", ip="198.51.100.7", now=start + timedelta(minutes=1)
    ).ok
    # and the block lifts by itself once the failures age out of the window.
    assert attempt(session, "ana@alpha.example", now=start + timedelta(minutes=15, seconds=10)).ok


def test_blocked_tries_do_not_extend_the_block(session, firm):
    make_user(session, firm, email="ana@alpha.example")
    session.commit()
    start = utcnow()
    for i in range(signin.PER_ADDRESS_LIMIT):
        attempt(session, "ana@alpha.example", "wrong password!", now=start + timedelta(seconds=i))
    for minute in range(1, 15):
        assert not attempt(session, "ana@alpha.example", now=start + timedelta(minutes=minute)).ok
    assert attempt(session, "ana@alpha.example", now=start + timedelta(minutes=15, seconds=30)).ok


def test_unknown_emails_are_throttled_exactly_like_known_ones(session, firm):
    start = utcnow()
    for i in range(signin.PER_ADDRESS_LIMIT):
        attempt(session, "ghost@alpha.example", "wrong password!", now=start + timedelta(seconds=i))
    assert (
        "Too many"
        in attempt(session, "ghost@alpha.example", now=start + timedelta(seconds=20)).message
    )


def test_account_wide_cap_stops_a_spread_out_attack_but_not_the_real_user(session, firm):
    make_user(session, firm, email="ana@alpha.example")
    session.commit()
    start = utcnow()
    home = "192.0.2.10"
    assert attempt(session, "ana@alpha.example", ip=home, now=start).ok  # a known address
    for i in range(signin.ACCOUNT_LIMIT):
        attempt(
            session,
            "ana@alpha.example",
            "wrong password!",
            ip=f"10.0.{i // 200}.{i % 200}",
            now=start + timedelta(seconds=i),
        )
    later = start + timedelta(minutes=2)
    fresh = attempt(session, "ana@alpha.example", ip="10.9.9.9", now=later)
    assert not fresh.ok and "Too many" in fresh.message
    assert attempt(session, "ana@alpha.example", ip=home, now=later).ok


def test_an_admin_reset_lifts_the_block(session, firm):
    user = make_user(session, firm, email="ana@alpha.example")
    session.commit()
    start = utcnow()
    for i in range(signin.PER_ADDRESS_LIMIT):
        attempt(session, "ana@alpha.example", "wrong password!", now=start + timedelta(seconds=i))
    assert not attempt(session, "ana@alpha.example", now=start + timedelta(minutes=1)).ok
    user.throttle_reset_at = start + timedelta(minutes=2)
    session.add(user)
    session.commit()
    assert attempt(session, "ana@alpha.example", now=start + timedelta(minutes=3)).ok


def test_a_burst_of_200_parallel_attempts_cannot_slip_past_the_throttle(session, firm, db_url):
    make_user(session, firm, email="target@alpha.example")
    session.commit()
    results = burst(db_url, "target@alpha.example", "wrong password!", 200)
    assert sum("Too many" in r.message for r in results) == 200 - signin.PER_ADDRESS_LIMIT
    failed = session.exec(select(SignInAttempt).where(SignInAttempt.outcome == "failed")).all()
    assert len(failed) == signin.PER_ADDRESS_LIMIT


def test_unknown_email_and_wrong_password_take_about_the_same_time(session, firm):
    make_user(session, firm, email="known@alpha.example")
    session.commit()
    timings = {"wrong password": [], "unknown email": []}
    for i in range(15):
        for label, email in (
            ("wrong password", "known@alpha.example"),
            ("unknown email", f"nobody{i}@alpha.example"),
        ):
            started = time.perf_counter()
            result = attempt(session, email, "not the password!", ip=f"198.51.100.{i}")
            timings[label].append(time.perf_counter() - started)
            assert result.message == signin.WRONG_CREDENTIALS
    wrong, unknown = (statistics.median(v) for v in timings.values())
    assert abs(wrong - unknown) <= 0.3 * max(wrong, unknown), timings


async def _sign_in_until_answered(sock: ReflexSocket, email: str, password: str) -> str:
    """Send one sign-in and wait for its verdict: the error shown, or "signed in"."""
    start = len(sock.updates)
    await sock.send(SIGN_IN, {"form_data": {"email": email, "password": password}}, path="/login")
    deadline = asyncio.get_running_loop().time() + 120
    while asyncio.get_running_loop().time() < deadline:
        for update in sock.updates[start:]:
            error = update.delta.get(SIGN_IN_STATE, {}).get("error_rx_state_")
            if error:
                return error
            if any((browser.asked(e) or {}).get("name") == "handoff" for e in update.events):
                return "signed in"
        await asyncio.sleep(0.05)
    raise AssertionError("no answer to a sign-in")


async def _burst_live(base_url: str, email: str, password: str, sockets: int, each: int):
    socks = [ReflexSocket(base_url) for _ in range(sockets)]
    await asyncio.gather(*(s.connect("/login") for s in socks))

    async def run(sock):
        return [await _sign_in_until_answered(sock, email, password) for _ in range(each)]

    answers = [a for batch in await asyncio.gather(*(run(s) for s in socks)) for a in batch]
    await asyncio.gather(*(s.close() for s in socks))
    return answers


@pytest.mark.live
def test_throttling_holds_under_a_burst_of_200_attempts_on_the_running_app(live_app):
    with Session(engine_for(live_app.database_url), expire_on_commit=False) as s:
        demo = s.exec(select(Firm).where(Firm.name == "Demo Practice")).one()
        target = make_user(s, demo, "staff", email=f"burst-{time.time_ns()}@demo-practice.example")
        s.commit()
    answers = run_async(_burst_live, live_app.base_url, target.email, "wrong password!", 20, 10)
    assert len(answers) == 200
    assert answers.count(signin.WRONG_CREDENTIALS) == signin.PER_ADDRESS_LIMIT
    assert sum("Too many failed sign-in attempts" in a for a in answers) == 190
    # The right password from that address is refused too while the block lasts.
    [after] = run_async(_burst_live, live_app.base_url, target.email, PASSWORD, 1, 1)
    assert "Too many failed sign-in attempts" in after
    with engine_for(live_app.database_url).connect() as conn:
        checked = conn.execute(
            text("SELECT COUNT(*) FROM sign_in_attempt WHERE email = :e AND outcome = 'failed'"),
            {"e": target.email},
        ).scalar_one()
    assert checked == signin.PER_ADDRESS_LIMIT  # bcrypt ran only ten times


@pytest.mark.live
@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("é" * 37, "at most 72 bytes"),  # 74 bytes
        ("🔐" * 19, "at most 72 bytes"),  # 76 bytes
        ("x" * 72 + "ü", "at most 72 bytes"),  # 74 bytes, the last character multi-byte
        ("secret\x00password", "NUL"),
        ("\x00" * 20, "NUL"),
    ],
)
def test_passwords_bcrypt_cannot_take_get_a_clear_refusal_on_the_running_app(
    live_app, password, expected
):
    async def one():
        sock = ReflexSocket(live_app.base_url)
        await sock.connect("/login")
        answer = await _sign_in_until_answered(sock, "bea@demo-practice.example", password)
        await sock.close()
        return answer

    assert expected in run_async(one)
