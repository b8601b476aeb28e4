"""The sender of queued mail (portal/services/mail_queue.py): one thread in each worker.

A thread, not a task on the event loop: composing reads the database and sending talks to a
mail server for up to 20 seconds, and neither may hold up anyone's page. It passes when an
action that queued a mail has committed (`mail_queue.wake`, so the mail leaves within a
second or two) and every PASS_EVERY_SECONDS anyway: a worker that crashed between a commit
and its send, a retry that came due, another worker's mail, the morning's digests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from models import utcnow
from portal.services import links, mail_queue, recurrence

log = logging.getLogger("portal.mail_sender")

PASS_EVERY_SECONDS = 30.0


def one_pass(now: datetime | None = None) -> int:
    """Queue the morning's digests that are due, turn forgot-password requests into reset
    links (portal/services/links.py), then send everything due. Returns the
    number of mails sent. Then make the recurring filings that came due on a firm's
    schedule (portal/services/recurrence.py): their assignment mails leave on the next pass."""
    now = now or utcnow()
    mail_queue.queue_digests(now=now)
    links.process_reset_requests(now=now)
    sent = mail_queue.deliver_due(now=now)
    try:
        recurrence.run_schedule(now=now)
    except Exception:
        log.exception("making the scheduled recurring filings failed; the next pass tries again")
    return sent


def run(
    stop: threading.Event,
    *,
    every: float = PASS_EVERY_SECONDS,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """Pass until `stop` is set; a failed pass is logged and the next one tries again."""
    while not stop.is_set():
        try:
            one_pass(clock())
        except Exception:
            log.exception("a pass over the mail queue failed; the next one tries again")
        mail_queue.wait_for_wake(every)


class Sender:
    """The thread, started and stopped with the app."""

    def __init__(self, *, every: float = PASS_EVERY_SECONDS):
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=run, args=(self._stop,), kwargs={"every": every}, name="portal-mail", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 25.0) -> None:
        self._stop.set()
        mail_queue.wake()
        self._thread.join(timeout)
