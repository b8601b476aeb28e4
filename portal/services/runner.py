"""Running one service call for the acting user, and auditing it when it is refused.

A refusal by the scope check (NotFound) or by role (Refused) is recorded in its own unit of
work, so the record survives the rollback of the refused call; repeats within a minute fold
into one audit row with a count. Missing and out-of-scope
records go through exactly the same path, so they cost the same and read the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from portal.auth import Actor
from portal.db import reading, unit_of_work
from portal.services import live, refusal_log, submissions
from portal.services.errors import NotFound, Refused

T = TypeVar("T")
log = logging.getLogger("portal.services")


@dataclass(frozen=True)
class Once:
    """The outcome of a submission: what the first run returned, and whether this was a
    repeat of it (then `result` is the id the first run made, or None)."""

    result: Any = None
    repeat: bool = False


class _AlreadyHandled(Exception):
    pass


def perform(fn: Callable[..., T], /, *, actor: Actor, **kwargs: Any) -> T:
    try:
        with reading() if getattr(fn, "reads_only", False) else unit_of_work() as session:
            return fn(session=session, actor=actor, **kwargs)
    except (NotFound, Refused) as exc:
        if not live.reloading.get():
            record_refusal(actor, fn, kwargs, exc)
        raise


def perform_once(fn: Callable[..., Any], /, *, actor: Actor, token: object, **kwargs: Any) -> Once:
    """Run a submission unless the same one was already handled; see services.submissions."""
    submission_key = submissions.key(actor, token, fn, kwargs)
    if submission_key is None:
        return Once(perform(fn, actor=actor, **kwargs))
    # A second pass happens only when a claim we waited for was rolled back after all.
    for _ in range(2):
        try:
            with unit_of_work() as session:
                try:
                    row = submissions.claim(session, actor=actor, submission_key=submission_key)
                except IntegrityError:
                    raise _AlreadyHandled from None
                result = fn(session=session, actor=actor, **kwargs)
                submissions.settle(session, row, result)
                return Once(result)
        except _AlreadyHandled:
            with unit_of_work() as session:
                first = submissions.handled(session, submission_key)
                if first is not None:
                    return Once(first.result_id, repeat=True)
        except (NotFound, Refused) as exc:
            record_refusal(actor, fn, kwargs, exc)
            raise
    raise RuntimeError("a submission was claimed and released twice while this one waited")


def record_refusal(actor: Actor, fn: Callable, kwargs: dict[str, Any], exc: Exception) -> None:
    operation = f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"
    target_type, target_id = "", None
    for key, value in kwargs.items():
        if key.endswith("_id") and isinstance(value, int):
            target_type, target_id = key.removesuffix("_id"), value
            break
    try:
        # Folded: the same refusal of the same person within a minute adds to one row's
        # count (the row keeps the first record named), so probing many ids is one row.
        refusal_log.record(
            actor=actor,
            target_type=target_type,
            target_id=target_id,
            detail=f"{operation}: {'not found' if isinstance(exc, NotFound) else 'role'}",
        )
    except Exception:
        log.exception("could not audit the refusal of %s", operation)
