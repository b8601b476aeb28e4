"""What the app does for itself while it runs: planner statistics kept current, repeated
refusals added to the audit log, queued mail sent, and the garbage collector tuned for a
long-lived server."""

from __future__ import annotations

import asyncio
import gc
import logging
import time

from models import utcnow
from portal.db import refresh_statistics
from portal.mail_sender import Sender
from portal.services import refusal_log
from portal.settings import get_settings

log = logging.getLogger("portal.upkeep")

# Statistics drift as firms add work; an hourly sampled ANALYZE keeps SQLite's plans right.
STATISTICS_EVERY_SECONDS = 3600


async def keep_statistics_current() -> None:
    """A lifespan task: refresh statistics at start-up, then every hour."""
    while True:
        try:
            await asyncio.to_thread(refresh_statistics)
        except Exception:
            log.exception("refreshing the planner statistics failed; will try again")
        await asyncio.sleep(STATISTICS_EVERY_SECONDS)


async def keep_refusal_counts() -> None:
    """A lifespan task: add repeated refusals to their audit rows every couple of seconds
    (PORTAL_AUDIT_FLUSH_MS), and once more when the app stops."""
    try:
        while True:
            await asyncio.sleep(get_settings().audit_flush_ms / 1000)
            try:
                await asyncio.to_thread(refusal_log.flush, utcnow())
            except Exception:
                log.exception("adding repeated refusals to the audit log failed; kept for later")
    finally:
        try:
            refusal_log.flush(utcnow())
        except Exception:
            log.exception("repeated refusals could not be added to the audit log at shutdown")


async def keep_mail_moving() -> None:
    """A lifespan task: this worker's mail sender runs in its own thread while the app runs
    (portal/mail_sender.py), and is stopped, between two mails, when the app stops."""
    sender = Sender()
    sender.start()
    try:
        await asyncio.Event().wait()
    finally:
        await asyncio.to_thread(sender.stop)


# A collection longer than this is logged: it adds its whole length to the events waiting.
GC_PAUSE_WARN_MS = 10.0
_gc_started: dict[int, tuple[float, float]] = {}


def _time_collections(phase: str, info: dict) -> None:
    """Log a collection that held the worker for more than GC_PAUSE_WARN_MS, with the CPU
    time it used itself: on a busy machine the rest is the worker waiting for a core."""
    generation = info.get("generation", -1)
    if phase == "start":
        _gc_started[generation] = (time.perf_counter(), time.thread_time())
        return
    started = _gc_started.pop(generation, None)
    if started is None:
        return
    pause_ms = (time.perf_counter() - started[0]) * 1000
    if pause_ms > GC_PAUSE_WARN_MS:
        log.warning(
            "garbage collection paused the worker for %.1f ms, %.1f ms of it collecting "
            "(generation %d, %d collected, at %.3f)",
            pause_ms,
            (time.thread_time() - started[1]) * 1000,
            generation,
            info.get("collected", 0),
            time.time(),
        )


def tune_garbage_collection() -> None:
    """Move everything alive after start-up out of the collector's sight (gc.freeze), so full
    collections stop adding 50 ms pauses to events, and collect the older generations less
    often. The young generations are kept small, so no single pass has much to look at: the
    youngest is collected every 5,000 allocations, the middle one every fifth time (at 50,000
    and 20 they took 17 and 50 ms in the websocket bench; the Redis state manager unpickles a
    tab's state on every event). What a request allocates is still freed by reference
    counting as before."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(5_000, 5, 100)
    if _time_collections not in gc.callbacks:
        gc.callbacks.append(_time_collections)
