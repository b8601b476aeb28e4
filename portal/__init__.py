"""The Bookkeeper Portal app package."""
