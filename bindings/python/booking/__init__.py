"""libbooking for Python: appointment booking with free-slot queries that are
right across time zones and DST, and atomic bookings.

    import booking
    from datetime import datetime, time, timedelta, timezone

    with booking.open("memory:") as db:
        anna = db.create_provider(username="anna", email="anna@example.com",
                                  full_name="Anna Schmidt", timezone="Europe/Berlin")
        consult = db.create_service(anna, "Consultation", timedelta(minutes=30))
        db.add_availability(anna, booking.Weekday.MONDAY, time(9), time(17))
        slots = db.slots(anna, consult, datetime(2026, 3, 23, tzinfo=timezone.utc),
                         datetime(2026, 3, 24, tzinfo=timezone.utc))

The library is found through $BOOKING_LIBRARY, `pkg-config booking`, or the
linker's search path (see load_library).  Errors are exceptions derived from
booking.Error, carrying the library's code and message.
"""

from __future__ import annotations

from typing import Optional

from . import _ffi
from ._api import (
    Database,
    canonical_timezone,
    format_slot,
    format_time,
    format_time_iso,
    is_valid_timezone,
    last_error,
    open,
    open_store,
    parse_id,
    parse_time_iso,
    strerror,
    timezones,
    tzdata_version,
    version,
    version_number,
)
from ._ffi import LibraryNotFound
from .errors import (
    BadState,
    CommitUnknown,
    Conflict,
    ConnectionError,
    Denied,
    Error,
    Exists,
    Expired,
    InvalidInput,
    Misuse,
    NotFound,
    OutOfMemory,
    Stale,
    StoreError,
    Unavailable,
    Used,
)
from .records import (
    Availability,
    Blocked,
    Booking,
    BookingStatus,
    Login,
    Override,
    Provider,
    Service,
    Slot,
    SlotReason,
    SlotVerdict,
    TokenAction,
    TokenRedemption,
    Weekday,
    ZoneStyle,
)

__version__ = "1.0.0"

#: The C functions this binding calls (see booking._ffi.BOUND_FUNCTIONS).
BOUND_FUNCTIONS = _ffi.BOUND_FUNCTIONS


def load_library(path: Optional[str] = None) -> str:
    """Loads libbooking from `path` (else $BOOKING_LIBRARY, else the libdir
    of `pkg-config booking`, else the linker's search path) and returns the
    path used.  Optional: the first call into the library does it."""
    return _ffi.load(path).path


__all__ = [
    "Database", "open", "open_store", "load_library", "LibraryNotFound", "BOUND_FUNCTIONS",
    "version", "version_number", "strerror", "last_error",
    "parse_time_iso", "format_time_iso", "format_time", "format_slot",
    "is_valid_timezone", "canonical_timezone", "timezones", "tzdata_version", "parse_id",
    "Error", "InvalidInput", "NotFound", "Conflict", "Unavailable", "Stale", "BadState",
    "OutOfMemory", "Exists", "StoreError", "ConnectionError", "CommitUnknown", "Misuse",
    "Expired", "Used", "Denied",
    "Provider", "Service", "Availability", "Override", "Blocked", "Slot", "SlotVerdict",
    "Booking", "BookingStatus", "SlotReason", "TokenAction", "TokenRedemption", "Login",
    "Weekday", "ZoneStyle",
]
