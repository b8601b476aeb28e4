"""Errors a service raises, each carrying a message fit to show the person who acted."""

from __future__ import annotations


class ServiceError(Exception):
    message = "Something went wrong."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message


class NotFound(ServiceError):
    """Missing, deleted, another firm's, or out of the actor's scope: all read the same."""

    message = "Not found."


class Invalid(ServiceError):
    """Input that cannot be accepted; nothing was changed."""

    message = "That input is not valid."


class Conflict(ServiceError):
    """Someone else changed the record first; nothing was overwritten."""

    message = "Someone else changed this while you were editing. Reload to see their changes."


class Refused(ServiceError):
    """The actor's role may never do this, whatever the record."""

    message = "That action isn't available to you."
