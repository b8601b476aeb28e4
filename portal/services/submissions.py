"""Every submit happens once: a repeat of a handled submission creates nothing.

Each form and action button carries its page's submission token. The key of a submission is
the person, the token, the operation and exactly what was submitted, so a double click (same
token, same values) is one submission while two different forms sent before the page heard
back are two. The key is claimed with an INSERT before the operation runs, in the same
transaction: the database's unique index lets one claim through, and any repeat, from this
worker or another, waits for it and then reads what it made.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session

from models import Submission, utcnow
from portal.auth import Actor

# A repeat arrives within seconds; a day covers a laptop that slept with the page open.
KEEP = timedelta(days=1)
MAX_TOKEN_CHARS = 64
# Never part of a key, not even hashed: a fast hash of a password is a password to anyone
# who can guess the rest. The token alone tells these submissions apart.
SECRET_ARGUMENTS = frozenset({"password", "current", "new", "confirm", "code"})


def key(actor: Actor, token: object, fn: Callable, kwargs: Mapping[str, Any]) -> str | None:
    """The submission's key, or None when it carries no usable token."""
    token = str(token or "")
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    operation = f"{fn.__module__}.{fn.__qualname__}"
    public = {k: v for k, v in kwargs.items() if k not in SECRET_ARGUMENTS}
    payload = json.dumps(public, sort_keys=True, default=str, ensure_ascii=True)
    material = "\x00".join((str(actor.user_id), token, operation, payload))
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def claim(session: Session, *, actor: Actor, submission_key: str) -> Submission:
    """Record the submission as handled; raises IntegrityError when it already was. Old
    keys of the same person are dropped on the way, so the table stays small."""
    now = utcnow()
    session.execute(
        delete(Submission).where(
            Submission.user_id == actor.user_id, Submission.created_at < now - KEEP
        )
    )
    row = Submission(key=submission_key, user_id=actor.user_id, created_at=now)
    session.add(row)
    session.flush()
    return row


def settle(session: Session, row: Submission, result: Any) -> None:
    """Keep what the first run made, for a repeat to hand back."""
    if isinstance(result, int) and not isinstance(result, bool):
        row.result_id = result
        session.add(row)


def handled(session: Session, submission_key: str) -> Submission | None:
    return session.execute(
        select(Submission).where(Submission.key == submission_key)
    ).scalar_one_or_none()
