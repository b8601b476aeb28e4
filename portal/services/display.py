"""Turning dates, statuses and sizes into the words the pages show. One place, every page."""

from __future__ import annotations

from datetime import date, datetime

from models import FilingStatus, StepStatus

DUE_SOON_DAYS = 7

STEP_STATUS_LABELS = {
    StepStatus.TODO: "To do",
    StepStatus.IN_PROGRESS: "In progress",
    StepStatus.WAITING_ON_CLIENT: "Waiting on client",
    StepStatus.DONE: "Done",
}
FILING_STATUS_LABELS = {
    FilingStatus.OPEN: "Open",
    FilingStatus.IN_REVIEW: "In review",
    FilingStatus.FILED: "Filed",
    FilingStatus.CANCELLED: "Cancelled",
}
ROLE_LABELS = {"admin": "Admin", "staff": "Staff", "bookkeeper": "Bookkeeper"}


def day(value: date | datetime | None) -> str:
    """ "Apr 22, 2026"."""
    if value is None:
        return ""
    return f"{value:%b} {value.day}, {value.year}"


def short_day(value: date | None, today: date) -> str:
    """ "Apr 22", with the year only when it is not this year."""
    if value is None:
        return ""
    return f"{value:%b} {value.day}" + ("" if value.year == today.year else f", {value.year}")


def moment(value: datetime | None) -> str:
    """ "Apr 22, 2026, 14:05 UTC"."""
    if value is None:
        return ""
    return f"{day(value)}, {value:%H:%M} UTC"


def due_state(due: date | None, status: str, today: date) -> str:
    """overdue, soon (within 7 days), later, none, or done."""
    if status == StepStatus.DONE:
        return "done"
    if due is None:
        return "none"
    if due < today:
        return "overdue"
    if (due - today).days <= DUE_SOON_DAYS:
        return "soon"
    return "later"


def due_label(due: date | None, status: str, today: date) -> str:
    """What My Tasks says: "Due Apr 22", "Overdue since Apr 18", "Waiting on client"."""
    if status == StepStatus.WAITING_ON_CLIENT:
        return "Waiting on client"
    return deadline_label(due, status, today)


def deadline_label(due: date | None, status: str, today: date) -> str:
    """The due date alone, for places that show the status beside it."""
    if status == StepStatus.DONE:
        return "Done"
    if due is None:
        return "No due date"
    if due < today:
        return f"Overdue since {short_day(due, today)}"
    if due == today:
        return "Due today"
    return f"Due {short_day(due, today)}"


def size(num_bytes: int) -> str:
    if num_bytes < 1024:
        return "1 byte" if num_bytes == 1 else f"{num_bytes} bytes"
    value = float(num_bytes)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


def filing_title(kind: str, period: str) -> str:
    return f"{kind} {period}".strip()
