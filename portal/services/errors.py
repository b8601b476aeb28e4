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
    """Someone else changed the record first; nothing was overwritten. `fields` names the
    fields that clashed, so a page can show the person's own values beside the new ones."""

    message = "Someone else changed this while you were editing. Reload to see their changes."

    def __init__(self, message: str | None = None, *, fields: tuple[str, ...] = ()):
        super().__init__(message)
        self.fields = fields


class Duplicate(ServiceError):
    """What is being created looks like a record that already exists; nothing was created.
    The person may confirm and create it anyway."""

    message = "This looks like a record that already exists."


class Refused(ServiceError):
    """The actor's role may never do this, whatever the record."""

    message = "That action isn't available to you."


class Unexpected(ServiceError):
    """Anything that went wrong that is not one of the above: a bug or an outage. The unit of
    work rolled back, so nothing was saved; the reference ties the message to the log."""

    def __init__(self, doing: str, reference: str):
        super().__init__(
            f"Something went wrong {doing}; nothing was saved. If it happens again, tell "
            f"your firm's admin and quote reference {reference}."
        )
        self.reference = reference
