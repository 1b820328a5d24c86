"""One exception tree. Every error a user can meet says what went wrong and how to fix it."""

from __future__ import annotations


class OS1Error(Exception):
    """Base of all OS1 errors: a one-line cause plus a one-line fix."""

    def __init__(self, cause: str, fix: str = "") -> None:
        super().__init__(cause)
        self.cause = cause
        self.fix = fix

    def one_line(self) -> str:
        return f"{self.cause} — {self.fix}" if self.fix else self.cause


class ConfigError(OS1Error):
    """The settings or the config file are wrong."""


class InputError(OS1Error):
    """What the user sent cannot be used as it is (too long, empty, malformed)."""


class StorageError(OS1Error):
    """The database cannot be opened, migrated or written."""


class BackendError(OS1Error):
    """An LLM or other backend failed or cannot be reached."""


class ModelError(OS1Error):
    """A model is unknown, missing, corrupt or cannot be downloaded."""


class NotFoundError(OS1Error):
    """A requested object (conversation, message, user) does not exist for this user."""


class ConflictError(OS1Error):
    """What was asked would clash with something that exists (a login name that is taken)."""


class AuthError(OS1Error):
    """The request has no valid credentials, or they do not allow what was asked."""
