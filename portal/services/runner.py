"""Running one service call for the acting user, and auditing it when it is refused.

A refusal by the scope check (NotFound) or by role (Refused) is recorded in its own unit of
work, so the record survives the rollback of the refused call. Missing and out-of-scope
records go through exactly the same path, so they cost the same and read the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from portal.auth import Actor
from portal.db import unit_of_work
from portal.services import audit
from portal.services.errors import NotFound, Refused

T = TypeVar("T")
log = logging.getLogger("portal.services")


def perform(fn: Callable[..., T], /, *, actor: Actor, **kwargs: Any) -> T:
    try:
        with unit_of_work() as session:
            return fn(session=session, actor=actor, **kwargs)
    except (NotFound, Refused) as exc:
        record_refusal(actor, fn, kwargs, exc)
        raise


def record_refusal(actor: Actor, fn: Callable, kwargs: dict[str, Any], exc: Exception) -> None:
    operation = f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"
    target_type, target_id = "", None
    for key, value in kwargs.items():
        if key.endswith("_id") and isinstance(value, int):
            target_type, target_id = key.removesuffix("_id"), value
            break
    try:
        with unit_of_work() as session:
            audit.record(
                session=session,
                actor=actor,
                action="refused",
                outcome="refused",
                target_type=target_type,
                target_id=target_id,
                detail=f"{operation}: {'not found' if isinstance(exc, NotFound) else 'role'}",
            )
    except Exception:
        log.exception("could not audit the refusal of %s", operation)
