"""Records and enumerations: plain Python values copied out of the library.

Records are frozen dataclasses; to change one, make a modified copy with
dataclasses.replace() and pass it to the matching update call.  Instants are
aware datetimes in UTC, durations timedeltas, local times of day timedeltas
after local midnight (timedelta(hours=24) is the end of a day), ids strings.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
import datetime as _dt
from datetime import datetime, timedelta
from typing import NamedTuple, Optional, Tuple
from zoneinfo import ZoneInfo

__all__ = [
    "BookingStatus", "SlotReason", "TokenAction", "Weekday", "ZoneStyle",
    "Provider", "Service", "Availability", "Override", "Blocked", "Slot",
    "SlotVerdict", "Booking", "TokenRedemption", "Login",
]


class BookingStatus(enum.IntEnum):
    """A booking's status (bk_booking_status)."""

    PENDING = 1
    CONFIRMED = 2
    CANCELLED = 3
    COMPLETED = 4
    NO_SHOW = 5

    @property
    def label(self) -> str:
        """The library's name of the status: "pending", "no_show", ..."""
        from . import _api

        return _api.booking_status_name(self)

    @classmethod
    def parse(cls, name: str) -> "BookingStatus":
        """The status called `name` ("confirmed", ...); InvalidInput otherwise."""
        from . import _api

        return cls(_api.booking_status_parse(name))

    @property
    def is_live(self) -> bool:
        """Whether the booking still holds its time (everything but cancelled)."""
        return self is not BookingStatus.CANCELLED


class SlotReason(enum.IntEnum):
    """Why a start is or is not offered (bk_slot_reason)."""

    OFFERED = 0
    OUTSIDE_WINDOW = 1
    OUTSIDE_WORKING_TIME = 2
    OFF_GRID = 3
    BLOCKED = 4
    NOTICE = 5
    HORIZON = 6
    CONFLICT = 7

    @property
    def label(self) -> str:
        """The library's name of the reason: "offered", "blocked", ..."""
        from . import _api

        return _api.slot_reason_name(self)


class TokenAction(enum.IntEnum):
    """What a booking token lets its holder do (bk_token_action)."""

    CONFIRM = 1
    CANCEL = 2
    RESCHEDULE = 3


class Weekday(enum.IntEnum):
    """Weekdays as the library numbers them: 0 = Sunday .. 6 = Saturday."""

    SUNDAY = 0
    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6


class ZoneStyle(enum.IntEnum):
    """How format_slot / Database.format_booking write the zone."""

    NAME = 0x1    # short specific name: "EDT", "MESZ" (else "GMT+2")
    OFFSET = 0x2  # localised GMT offset: "GMT-4"
    LONG = 0x4    # long name: "Eastern Daylight Time"


@dataclass(frozen=True)
class Provider:
    """A person or resource that is booked."""

    id: str
    username: str
    email: str
    full_name: str
    timezone: str
    business_name: Optional[str] = None
    description: Optional[str] = None
    avatar_url: Optional[str] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    deleted_at: Optional[datetime] = None  # set while soft-deleted

    @property
    def zone(self) -> ZoneInfo:
        """The provider's time zone as a zoneinfo object."""
        return ZoneInfo(self.timezone)

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True)
class Service:
    """What is booked and how."""

    id: str
    provider: str
    name: str
    duration: timedelta
    description: Optional[str] = None
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    slot_step: timedelta = timedelta(0)      # 0: the duration
    min_notice: timedelta = timedelta(0)
    horizon: timedelta = timedelta(0)        # whole days; 0: unlimited
    price_minor: int = 0
    currency: str = "EUR"
    active: bool = True
    display_order: int = 0
    requires_confirmation: bool = False
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None


@dataclass(frozen=True)
class Availability:
    """One weekly row: working time on `weekday`, or with is_available
    False, time cut out of it.  start/end are local times after midnight."""

    id: str
    provider: str
    weekday: Weekday
    start: timedelta
    end: timedelta
    is_available: bool = True


@dataclass(frozen=True)
class Override:
    """A date whose working time replaces the weekly rows; no intervals
    means a day off."""

    provider: str
    date: _dt.date
    intervals: Tuple[Tuple[timedelta, timedelta], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Blocked:
    """A period [start, end) in which nothing may be booked, recurring when
    `rrule` is set."""

    id: str
    provider: str
    start: datetime
    end: datetime
    rrule: Optional[str] = None
    reason: Optional[str] = None


class Slot(NamedTuple):
    """A free slot [start, end), aware datetimes in UTC."""

    start: datetime
    end: datetime

    def astimezone(self, zone) -> "Slot":
        """The same slot with both ends in `zone` (a tzinfo or a zone name)."""
        tz = ZoneInfo(zone) if isinstance(zone, str) else zone
        return Slot(self.start.astimezone(tz), self.end.astimezone(tz))

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class SlotVerdict:
    """Whether a start is offered and, if not, why (bk_slot_explain)."""

    reason: SlotReason
    related: Optional[str]  # the blocked period or booking at fault
    start: datetime
    end: datetime
    message: str

    @property
    def offered(self) -> bool:
        return self.reason is SlotReason.OFFERED


@dataclass(frozen=True)
class Booking:
    """A booking, as stored."""

    id: str
    provider: str
    service: str
    start: datetime
    end: datetime
    status: BookingStatus
    customer_name: str
    customer_email: str
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    lock_version: int = 0
    idempotency_key: Optional[str] = None
    customer_phone: Optional[str] = None
    customer_timezone: Optional[str] = None
    notes: Optional[str] = None
    cancellation_reason: Optional[str] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    confirmed_at: Optional[datetime] = None
    cancelled_at: Optional[datetime] = None
    archived_at: Optional[datetime] = None

    @property
    def slot(self) -> Slot:
        return Slot(self.start, self.end)


class TokenRedemption(NamedTuple):
    """What Database.redeem_token did: the action and the updated booking."""

    action: TokenAction
    booking: Booking


class Login(NamedTuple):
    """A successful Database.verify_password."""

    provider: str
    rehashed: bool  # the stored hash was upgraded to the current limits
