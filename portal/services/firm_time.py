"""The firm's time zone: when its morning is. Dates in the portal are the firm's dates (a
step due "Apr 22" is due on the firm's Apr 22), so the morning digest goes out by the firm's
clock, not the server's."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlmodel import Session

from models import Firm
from portal.auth import Actor
from portal.db import reads_only
from portal.services import audit, inputs, scope
from portal.services.errors import Invalid

DEFAULT_TIME_ZONE = "UTC"


def zone(name: str) -> ZoneInfo:
    """The firm's zone; a name the system no longer knows (an old tz database) reads as UTC
    rather than stopping every firm's mail."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def local_date(name: str, now: datetime) -> date:
    return now.astimezone(zone(name)).date()


@lru_cache(maxsize=1)
def _names_by_case() -> dict[str, str]:
    """Every zone name the system knows (read from disk once: it is hundreds of files)."""
    return {name.lower(): name for name in available_timezones()}


def checked(value: object) -> str:
    """An IANA name such as America/Toronto, spelled as the tz database spells it."""
    raw = inputs.line(value, label="Time zone", max_length=64, required=True)
    by_case = _names_by_case()
    if raw not in by_case.values():
        if raw.lower() not in by_case:
            raise Invalid(
                f"Time zone: “{raw}” is not a time zone name. Use a name such as "
                "America/Toronto, America/Vancouver or Europe/London."
            )
        raw = by_case[raw.lower()]
    return raw


@reads_only
def time_zone(*, session: Session, actor: Actor) -> str:
    scope.require_admin(actor)
    return session.get(Firm, actor.firm_id).time_zone


def set_time_zone(*, session: Session, actor: Actor, time_zone: object) -> str:
    """Admins only: it moves every person's morning digest."""
    scope.require_admin(actor)
    name = checked(time_zone)
    firm = session.get(Firm, actor.firm_id)
    if firm.time_zone != name:
        audit.record(
            session=session,
            actor=actor,
            action="firm_time_zone_changed",
            target_type="firm",
            target_id=firm.id,
            detail=f"{firm.time_zone} to {name}",
        )
        firm.time_zone = name
        session.add(firm)
    return name
