"""The web app's errors: what a request asked for that cannot be given, as an HTTP status
and a message a person can read (rendered as a page, or as JSON for a ``.json`` URL)."""

from __future__ import annotations

__all__ = ["WebError"]


class WebError(Exception):
    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
