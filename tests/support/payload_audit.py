"""Auditing what the server sent a bookkeeper's browser: every websocket frame, in full.

No frame may hold a record outside the bookkeeper's scope, a password hash, a session token
hash, or a staff member's email address. Scope can change during a test (a step reassigned,
a filing reopened), so a name is allowed if it was in scope at the start or at the end.

And for every browser, whoever is signed in: no frame received after a person's
authenticator app was switched on may hold its secret (the base32 text, plain or grouped as
the enrolment screen shows it). The audit opens the sealed secrets with the live app's key.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.oracle import Oracle

_NAME = re.compile(r'"user_name_rx_state_":"([^"]*)"')


@dataclass
class FrameLog:
    """Frames received by one browser context, in order."""

    frames: list[str] = field(default_factory=list)
    # When each frame arrived (epoch seconds); frames given without times count as late.
    times: list[float] = field(default_factory=list)

    def attach(self, context) -> None:
        def on_page(page):
            page.on("websocket", lambda ws: ws.on("framereceived", self._keep))

        context.on("page", on_page)
        for page in context.pages:
            on_page(page)

    def _keep(self, payload) -> None:
        self.times.append(time.time())
        self.frames.append(
            payload if isinstance(payload, str) else payload.decode(errors="replace")
        )

    def received_at(self, index: int) -> float:
        return self.times[index] if index < len(self.times) else math.inf

    def bookkeepers(self, oracle: Oracle) -> set[int]:
        """Every bookkeeper this browser was signed in as, read from the frames themselves."""
        names = {json.loads(f'"{m}"') for frame in self.frames for m in _NAME.findall(frame)}
        return {
            u["id"]
            for u in oracle.users.values()
            if u["role"] == "bookkeeper" and u["name"] in names
        }


def violations(log: FrameLog, before: Oracle, after: Oracle) -> list[str]:
    found = []
    for user_id in log.bookkeepers(after):
        snapshots = [o for o in (before, after) if user_id in o.users]
        allowed = set().union(*(o.visible_clients(user_id) for o in snapshots))
        forbidden = set.intersection(*(o.out_of_scope_strings(user_id) for o in snapshots))
        forbidden -= {after.clients[c]["name"] for c in allowed if c in after.clients}
        forbidden |= after.secrets() | before.secrets()
        for index, frame in enumerate(log.frames):
            # Match JSON-escaped text too: names with quotes or non-ASCII are escaped in frames.
            for secret in forbidden:
                if secret in frame or json.dumps(secret)[1:-1] in frame:
                    found.append(f"frame {index} to {after.users[user_id]['email']}: {secret!r}")
    return found


@dataclass(frozen=True)
class EnrolledSecret:
    email: str
    secret: str
    # When the factor was switched on (epoch seconds): from then on, never in a frame.
    enabled_at: float


def enrolled_secrets(
    database_url: str, data_dir: Path, secret_key: str = ""
) -> list[EnrolledSecret]:
    """Every switched-on authenticator secret of the deployment, opened with its key."""
    from sqlalchemy import text

    from portal import crypto
    from portal.db import engine_for
    from portal.services.second_factor import _context

    key = crypto.key_for(data_dir, secret_key)
    query = text(
        "SELECT id, email, totp_secret, totp_enabled_at FROM user_account "
        "WHERE totp_secret IS NOT NULL AND totp_enabled_at IS NOT NULL"
    )
    found = []
    with engine_for(database_url).connect() as conn:
        for row in conn.execute(query).mappings():
            enabled = row["totp_enabled_at"]
            if isinstance(enabled, str):
                from datetime import UTC, datetime

                enabled = datetime.fromisoformat(enabled)
                enabled = enabled if enabled.tzinfo else enabled.replace(tzinfo=UTC)
            secret = crypto.decrypt(row["totp_secret"], context=_context(row["id"]), key=key)
            found.append(EnrolledSecret(row["email"], secret.decode(), enabled.timestamp()))
    return found


def _shapes(secret: str) -> set[str]:
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {secret, grouped, secret.lower(), grouped.lower()}


def secret_violations(log: FrameLog, secrets: list[EnrolledSecret]) -> list[str]:
    """Frames that carried an authenticator secret after it was switched on."""
    found = []
    for enrolled in secrets:
        shapes = _shapes(enrolled.secret)
        for index, frame in enumerate(log.frames):
            if log.received_at(index) < enrolled.enabled_at:
                continue  # during enrolment, the person's own screen shows it
            if any(shape in frame for shape in shapes):
                found.append(f"frame {index}: the authenticator secret of {enrolled.email}")
    return found
