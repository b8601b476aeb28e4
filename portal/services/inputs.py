"""Parsing what people type, with messages that say exactly what to fix."""

from __future__ import annotations

import re
from datetime import date

from portal.auth import normalize_email
from portal.services.errors import Invalid

_HMM = re.compile(r"^(\d{1,2}):([0-5]\d)$")
MAX_MINUTES_PER_ENTRY = 24 * 60


def text(value: object, *, label: str, max_length: int, required: bool = False) -> str:
    """Trimmed text with control characters removed (newlines and tabs are kept)."""
    cleaned = "".join(
        ch for ch in str(value or "") if ch in "\n\t" or (ord(ch) >= 32 and ord(ch) != 127)
    ).strip()
    if required and not cleaned:
        raise Invalid(f"{label} cannot be empty.")
    if len(cleaned) > max_length:
        raise Invalid(f"{label} can be at most {max_length} characters.")
    return cleaned


def optional_date(value: object, *, label: str = "Due date") -> date | None:
    raw = str(value or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid(
            f"{label} must be a date written as YYYY-MM-DD, for example 2026-04-30."
        ) from None


def required_date(value: object, *, label: str) -> date:
    parsed = optional_date(value, label=label)
    if parsed is None:
        raise Invalid(f"{label} cannot be empty.")
    return parsed


def minutes(value: object) -> int:
    """Time spent, as minutes ("90") or hours and minutes ("1:30")."""
    raw = str(value or "").strip()
    if not raw:
        raise Invalid("Enter the time spent, in minutes (90) or as h:mm (1:30).")
    if raw.isdigit():
        total = int(raw)
    elif match := _HMM.match(raw):
        total = int(match.group(1)) * 60 + int(match.group(2))
    else:
        raise Invalid(f"“{raw[:20]}” is not a time: enter minutes (90) or h:mm (1:30).")
    if total <= 0:
        raise Invalid("Time spent must be more than zero.")
    if total > MAX_MINUTES_PER_ENTRY:
        raise Invalid("One entry can be at most 24 hours; split longer work into several.")
    return total


def record_id(value: object, *, label: str = "record") -> int:
    """An id from the browser: only a positive whole number is ever used."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise Invalid(f"That {label} does not exist.") from None
    if number <= 0 or number > 2**62:
        raise Invalid(f"That {label} does not exist.")
    return number


def email(value: object, *, label: str = "Email") -> str:
    normalized = normalize_email(str(value or ""))
    if normalized is None:
        raise Invalid(f"{label} must be a valid email address, like name@example.com.")
    return normalized


def email_list(value: object, *, label: str = "To") -> list[str]:
    parts = [p.strip() for p in re.split(r"[,;\s]+", str(value or "")) if p.strip()]
    if not parts:
        raise Invalid(f"{label} needs at least one email address.")
    if len(parts) > 20:
        raise Invalid(f"{label} can hold at most 20 addresses.")
    return [email(p, label=label) for p in parts]


def format_minutes(total: int) -> str:
    hours, mins = divmod(total, 60)
    return f"{hours}:{mins:02d}"
