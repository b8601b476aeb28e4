"""Parsing what people type, with messages that say exactly what to fix.

Every service reads typed text through here, so one set of rules decides what can reach a
row: nothing invisible that makes a value look blank or read differently on screen, nothing
the database or the UTF-8 encoder would choke on, and numbers and dates only in the plain
forms the messages ask for.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from portal import text as chars
from portal.auth import normalize_email
from portal.services.errors import Invalid

# ASCII only: str.isdigit() and \d also take "²", "①" and other scripts' digits, which
# int() then refuses or reads as a number nobody typed.
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_HMM = re.compile(r"([0-9]{1,2}):([0-5][0-9])", re.ASCII)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
MAX_MINUTES_PER_ENTRY = 24 * 60
# A time is at most "24:00" or "1440"; a longer input is refused before int() reads it.
MAX_TIME_CHARS = 10
# 2**62 has 19 digits: no id the database hands out is longer.
MAX_ID = 2**62
MAX_ID_DIGITS = 19
# Dates outside this range are typing slips ("0026", "20260") that would show as
# "Overdue since Jan 1, 1"; nothing a practice files is due there.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def _raw(value: object) -> str:
    return str(value or "")


def _checked(cleaned: str, *, label: str, max_length: int, required: bool) -> str:
    if required and not cleaned:
        raise Invalid(f"{label} cannot be empty.")
    if len(cleaned) > max_length:
        raise Invalid(f"{label} can be at most {max_length} characters.")
    return cleaned


def line(value: object, *, label: str, max_length: int, required: bool = False) -> str:
    """A name or any other one-line value: line breaks, tabs and runs of spaces become one
    space, so a list row or a heading shows the value on one line, as it will be searched."""
    cleaned = chars.clean(_raw(value), multiline=False)
    return _checked(cleaned, label=label, max_length=max_length, required=required)


def long_text(value: object, *, label: str, max_length: int, required: bool = False) -> str:
    """Notes, descriptions and messages: the person's line breaks and tabs are theirs to
    keep; Windows and old Mac line endings are stored as plain LF."""
    cleaned = chars.clean(_raw(value), multiline=True)
    return _checked(cleaned, label=label, max_length=max_length, required=required)


def optional_date(value: object, *, label: str = "Due date") -> date | None:
    if isinstance(value, date):
        parsed = value.date() if isinstance(value, datetime) else value
    else:
        raw = chars.clean(_raw(value), multiline=False)
        if not raw:
            return None
        parsed = None
        if _ISO_DATE.fullmatch(raw):
            try:
                parsed = date.fromisoformat(raw)
            except ValueError:
                parsed = None
        if parsed is None:
            raise Invalid(f"{label} must be a date written as YYYY-MM-DD, for example 2026-04-30.")
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        raise Invalid(
            f"{label} must be between {EARLIEST_DATE.year} and {LATEST_DATE.year}: check the year."
        )
    return parsed


def required_date(value: object, *, label: str) -> date:
    parsed = optional_date(value, label=label)
    if parsed is None:
        raise Invalid(f"{label} cannot be empty.")
    return parsed


def minutes(value: object) -> int:
    """Time spent, as minutes ("90") or hours and minutes ("1:30")."""
    raw = chars.clean(_raw(value), multiline=False)
    if not raw:
        raise Invalid("Enter the time spent, in minutes (90) or as h:mm (1:30).")
    short = len(raw) <= MAX_TIME_CHARS
    if short and _DIGITS.fullmatch(raw):
        total = int(raw)
    elif short and (match := _HMM.fullmatch(raw)):
        total = int(match.group(1)) * 60 + int(match.group(2))
    else:
        raise Invalid(f"“{raw[:20]}” is not a time: enter minutes (90) or h:mm (1:30).")
    if total <= 0:
        raise Invalid("Time spent must be more than zero.")
    if total > MAX_MINUTES_PER_ENTRY:
        raise Invalid("One entry can be at most 24 hours; split longer work into several.")
    return total


def record_id(value: object, *, label: str = "record") -> int:
    """An id from the browser: only a positive whole number, as an int or plain ASCII
    digits, is ever used. "+5", "1_000" and other scripts' digits are not ids anyone sent."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and len(value) <= MAX_ID_DIGITS and _DIGITS.fullmatch(value):
        number = int(value)
    else:
        raise Invalid(f"That {label} does not exist.")
    if number <= 0 or number > MAX_ID:
        raise Invalid(f"That {label} does not exist.")
    return number


def email(value: object, *, label: str = "Email") -> str:
    # Cleaned first: an address pasted with a zero-width space is the address the person saw.
    normalized = normalize_email(chars.clean(_raw(value), multiline=False))
    if normalized is None:
        raise Invalid(f"{label} must be a valid email address, like name@example.com.")
    return normalized


def email_list(value: object, *, label: str = "To") -> list[str]:
    parts = [p for p in re.split(r"[,;\s]+", chars.clean(_raw(value), multiline=False)) if p]
    if not parts:
        raise Invalid(f"{label} needs at least one email address.")
    if len(parts) > 20:
        raise Invalid(f"{label} can hold at most 20 addresses.")
    return [email(p, label=label) for p in parts]


def format_minutes(total: int) -> str:
    hours, mins = divmod(total, 60)
    return f"{hours}:{mins:02d}"
