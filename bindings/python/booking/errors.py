"""Exceptions: one class per BK_E* status family.

Every exception raised for a library status carries `.code` (the negative
BK_E* value) and `.message` (bk_errmsg of the call: the field at fault and
why).  Catch `booking.Error` for all of them.  Where a built-in exception
means the same thing, the class derives from it too (InvalidInput is a
ValueError, NotFound a LookupError, ...), so generic handlers keep working.
"""

from __future__ import annotations

import builtins
from typing import Dict, Type

__all__ = [
    "Error", "InvalidInput", "NotFound", "Conflict", "Unavailable", "Stale",
    "BadState", "OutOfMemory", "Exists", "StoreError", "ConnectionError",
    "CommitUnknown", "Misuse", "Expired", "Used", "Denied", "error_class",
]


class Error(Exception):
    """A libbooking call failed.  `code` is its BK_E* status (negative int),
    `message` what exactly was wrong (bk_errmsg), `name` the code's name."""

    code: int
    message: str

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    @property
    def name(self) -> str:
        """The status code's C name, e.g. "BK_EINVAL"."""
        return _NAMES.get(self.code, f"BK_E({self.code})")

    def __str__(self) -> str:
        return f"{self.message} [{self.name}]" if self.message else self.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code}, {self.message!r})"

    # Exceptions pickle their args; keep (code, message) across processes.
    def __reduce__(self):  # type: ignore[override]
        return (type(self), (self.code, self.message))


class InvalidInput(Error, ValueError):
    """BK_EINVAL: a malformed or out-of-range field; the message names it."""


class NotFound(Error, LookupError):
    """BK_ENOTFOUND: the provider, service, booking or other record does not exist."""


class Conflict(Error):
    """BK_ECONFLICT: the booking's occupied range overlaps a live booking."""


class Unavailable(Error):
    """BK_EUNAVAILABLE: the start is not offered (working time, blocked,
    notice, horizon, grid)."""


class Stale(Error):
    """BK_ESTALE: the record changed since the caller read it (lock_version)."""


class BadState(Error):
    """BK_ESTATE: the booking's status does not allow that move."""


class OutOfMemory(Error, MemoryError):
    """BK_ENOMEM."""


class Exists(Error):
    """BK_EEXISTS: a unique value (provider username or email) is taken."""


class StoreError(Error):
    """BK_ESTORE: the storage backend failed."""


class ConnectionError(Error, builtins.ConnectionError):  # noqa: A001 (the family's name)
    """BK_ECONNECTION: the connection to the store was lost; the call did not happen."""


class CommitUnknown(Error):
    """BK_EUNKNOWN: the connection was lost while committing; retry with the
    same idempotency key."""


class Misuse(Error):
    """BK_EMISUSE: the library used against its rules (e.g. a closed handle)."""


class Expired(Error):
    """BK_EEXPIRED: a booking token is past its expiry."""


class Used(Error):
    """BK_EUSED: a booking token was already redeemed."""


class Denied(Error, PermissionError):
    """BK_EDENIED: a provider login failed."""


_CLASSES: Dict[int, Type[Error]] = {
    -1: InvalidInput, -2: NotFound, -3: Conflict, -4: Unavailable, -5: Stale,
    -6: BadState, -7: OutOfMemory, -8: Exists, -9: StoreError,
    -10: ConnectionError, -11: CommitUnknown, -12: Misuse, -13: Expired,
    -14: Used, -15: Denied,
}

_NAMES: Dict[int, str] = {
    -1: "BK_EINVAL", -2: "BK_ENOTFOUND", -3: "BK_ECONFLICT",
    -4: "BK_EUNAVAILABLE", -5: "BK_ESTALE", -6: "BK_ESTATE", -7: "BK_ENOMEM",
    -8: "BK_EEXISTS", -9: "BK_ESTORE", -10: "BK_ECONNECTION",
    -11: "BK_EUNKNOWN", -12: "BK_EMISUSE", -13: "BK_EEXPIRED", -14: "BK_EUSED",
    -15: "BK_EDENIED",
}


def error_class(code: int) -> Type[Error]:
    """The exception class of a status code (Error for a code this binding
    does not know: a newer library)."""
    return _CLASSES.get(code, Error)
