"""Enumeration: "Forgot your password?" answers a known and an unknown email with the same
words in the same time. Measured through the page's event handler (what the browser's
submit runs), interleaved so drift on a shared machine hits both alike."""

from __future__ import annotations

import gc
import statistics
import time

from sqlmodel import select

from models import QueuedMail, ResetRequest
from portal.services import links
from state.links import ForgotPasswordState
from tests.factories import make_firm, make_user
from tests.support.handlers import page_state, run_handler

# Pairs measured: well over the 30 the issue asks for, as each request takes only a few
# milliseconds and a shared machine's noise is of that size.
SAMPLES = 120


def ask(email: str, n: int) -> tuple[float, str]:
    state = page_state(ForgotPasswordState)
    form = {"_token": f"token-{n}", "email": email}
    started = time.perf_counter()
    run_handler(state, "request_link", form=form)
    elapsed = time.perf_counter() - started
    return elapsed, state.notice or state.error


def test_known_and_unknown_emails_get_the_same_answer_in_the_same_time(session, monkeypatch):
    # Every request here comes from the test's one address: the per-address throttle (its
    # own test) is lifted so that each one takes the path a real request takes.
    monkeypatch.setattr(links, "PER_ADDRESS_LIMIT", 10_000)
    firm = make_firm(session, "Timing Practice")
    known = [
        make_user(session, firm, "bookkeeper", email=f"known{i}@timing.example").email
        for i in range(SAMPLES)
    ]
    unknown = [f"nobody{i}@timing.example" for i in range(SAMPLES)]
    session.commit()
    # Warm up both paths (first statements compiled, connections opened).
    for i in range(3):
        ask(known[i], 1000 + i)
        ask(unknown[i], 2000 + i)

    times: dict[str, list[float]] = {"known": [], "unknown": []}
    answers: set[str] = set()
    gc.disable()
    try:
        for i in range(3, SAMPLES):
            pair = (("known", known[i]), ("unknown", unknown[i]))
            for kind, email in pair[:: 1 if i % 2 else -1]:
                elapsed, answer = ask(email, i * 2 + (kind == "known"))
                times[kind].append(elapsed)
                answers.add(answer)
    finally:
        gc.enable()

    assert answers == {links.REQUEST_ANSWER}
    known_median = statistics.median(times["known"])
    unknown_median = statistics.median(times["unknown"])
    slower, faster = max(known_median, unknown_median), min(known_median, unknown_median)
    assert slower <= faster * 1.3, (known_median, unknown_median)
    # The request path wrote the same for both: one pending request each, no mail yet.
    session.expire_all()
    outcomes = {r.email: r.outcome for r in session.exec(select(ResetRequest))}
    assert set(outcomes.values()) == {"pending"}
    assert session.exec(select(QueuedMail)).all() == []
