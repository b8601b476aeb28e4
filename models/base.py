"""Shared column helpers. SQLModel stores aware datetimes and hands them back in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current instant, aware, in UTC: the one form every timestamp column takes."""
    return datetime.now(UTC)
