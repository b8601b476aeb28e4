"""Auditing what the server sent a bookkeeper's browser: every websocket frame, in full.

No frame may hold a record outside the bookkeeper's scope, a password hash, a session token
hash, or a staff member's email address. Scope can change during a test (a step reassigned,
a filing reopened), so a name is allowed if it was in scope at the start or at the end.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from tests.support.oracle import Oracle

_NAME = re.compile(r'"user_name_rx_state_":"([^"]*)"')


@dataclass
class FrameLog:
    """Frames received by one browser context, in order."""

    frames: list[str] = field(default_factory=list)

    def attach(self, context) -> None:
        def on_page(page):
            page.on("websocket", lambda ws: ws.on("framereceived", self._keep))

        context.on("page", on_page)
        for page in context.pages:
            on_page(page)

    def _keep(self, payload) -> None:
        self.frames.append(
            payload if isinstance(payload, str) else payload.decode(errors="replace")
        )

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
