"""Which open pages a committed change concerns, told once the change has stuck.

A page open in a browser shows what its scoped loader returned when it last ran. When a
service changes something that page shows (a tick on the filing, a step reassigned away from
the person looking at it), the page must load again, through that same loader, as its own
viewer. This module is the service side of that: a service names what it changed as topics,
and after the commit the topics are handed to whatever publisher the app installed (the
state layer's live pages; nothing in a test or a script, unless it listens).

A topic names records, never their content: "filing:12" says the filing changed, not how. So
a publication can reach a page that may no longer see the record without telling it anything;
the page's own loader then decides, as that page's viewer, what is left to show.

Topics:
- "user:<id>": every open page of that person (their work or their access changed);
- "firm:<id>": every open page of the firm (a module switched, a plan changed);
- "filing:<id>", "client:<id>", "step:<id>": pages showing that record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextvars import ContextVar

from sqlmodel import Session

from portal.db import after_commit

log = logging.getLogger("portal.services.live")

# Called with the topics and the tab whose event made the change (None outside an event).
Publisher = Callable[[frozenset[str], str | None], None]

# Set by the portal boundary for each event: the browser tab it came from. Its own page has
# already shown the change, so it is not pushed to.
origin: ContextVar[str | None] = ContextVar("portal_live_origin", default=None)
# True while a page loads again because of a push: a record found out of scope then is no
# refusal of anything the person did, so it is not audited as one.
reloading: ContextVar[bool] = ContextVar("portal_live_reloading", default=False)

_KEY = "portal.live.topics"
_publishers: list[Publisher] = []


def user(user_id: int) -> str:
    return f"user:{user_id}"


def firm(firm_id: int) -> str:
    return f"firm:{firm_id}"


def filing(filing_id: int) -> str:
    return f"filing:{filing_id}"


def client(client_id: int) -> str:
    return f"client:{client_id}"


def step(step_id: int) -> str:
    return f"step:{step_id}"


def changed(
    session: Session,
    *,
    users: Iterable[int | None] = (),
    firm_id: int | None = None,
    filing_id: int | None = None,
    client_id: int | None = None,
    step_id: int | None = None,
) -> None:
    """Name what this unit of work changed; published once, after it commits, together with
    everything else the same unit of work named (one reload per page, however many rows)."""
    topics = {user(u) for u in users if u is not None}
    for make, ident in ((firm, firm_id), (filing, filing_id), (client, client_id), (step, step_id)):
        if ident is not None:
            topics.add(make(ident))
    if not topics:
        return
    pending: set[str] | None = session.info.get(_KEY)
    if pending is None:
        pending = session.info[_KEY] = set()
        tab = origin.get()
        after_commit(session, lambda: _publish(frozenset(session.info.pop(_KEY, ())), tab))
    pending.update(topics)


def _publish(topics: frozenset[str], tab: str | None) -> None:
    for publisher in tuple(_publishers):
        try:
            publisher(topics, tab)
        except Exception:
            # A page that is not told reloads at its viewer's next click, as before.
            log.exception("publishing a change to open pages failed")


def subscribe(publisher: Publisher) -> Callable[[], None]:
    """Install a publisher (the app's live pages, or a test's listener); returns its removal."""
    _publishers.append(publisher)
    return lambda: _publishers.remove(publisher) if publisher in _publishers else None
