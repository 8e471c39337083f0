"""The binding proper: Python values in, C calls, Python values out.

Ownership rule: every pointer the library hands out is copied into Python
objects and freed with its bk_*_free before the call returns, on the error
path too, so nothing the user holds points into C memory.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
import weakref
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t, c_void_p, create_string_buffer, string_at
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from . import _ffi
from ._ffi import BK_TIME_UNSET
from .errors import Error, InvalidInput, Misuse, error_class
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

BK_EINVAL = -1
BK_EMISUSE = -12

IdLike = Union[str, uuid.UUID, Any]  # a record with an .id works too
TimeOfDay = Union[time, timedelta]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECOND = timedelta(seconds=1)
_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _L() -> Any:
    return _ffi.lib()


# --- Python -> C -------------------------------------------------------------

def _bad(field: str, why: str) -> InvalidInput:
    return InvalidInput(BK_EINVAL, f"{field}: {why}")


def _type_error(field: str, expected: str, value: Any) -> TypeError:
    return TypeError(f"{field}: expected {expected}, got {type(value).__name__}")


def _c_time(value: Optional[datetime], field: str, unset_ok: bool = False) -> int:
    """An aware datetime as bk_time (whole seconds, rounded down); None is
    BK_TIME_UNSET where the call allows it ("read the clock", "not set")."""
    if value is None:
        if unset_ok:
            return BK_TIME_UNSET
        raise _type_error(field, "an aware datetime", value)
    if not isinstance(value, datetime):
        raise _type_error(field, "an aware datetime", value)
    if value.tzinfo is None or value.utcoffset() is None:
        # A naive datetime could be any of 38 offsets: refuse to guess.
        raise _bad(field, "naive datetime; give it a tzinfo (zoneinfo.ZoneInfo(...) or timezone.utc)")
    return (value - _EPOCH) // _SECOND


def _c_int(value: Any, field: str, lo: int = _INT_MIN, hi: int = _INT_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(field, "an int", value)
    if not lo <= value <= hi:
        raise _bad(field, f"{value} is out of range")
    return value


def _c_bool(value: Any, field: str) -> int:
    if not isinstance(value, (bool, int)):
        raise _type_error(field, "a bool", value)
    return 1 if value else 0


def _c_minutes(value: Any, field: str) -> int:
    if not isinstance(value, timedelta):
        raise _type_error(field, "a timedelta", value)
    if value % _MINUTE:
        raise _bad(field, f"{value} is not a whole number of minutes")
    return _c_int(value // _MINUTE, field)


def _c_days(value: Any, field: str) -> int:
    if not isinstance(value, timedelta):
        raise _type_error(field, "a timedelta", value)
    if value % _DAY:
        raise _bad(field, f"{value} is not a whole number of days")
    return _c_int(value // _DAY, field)


def _c_time_of_day(value: Any, field: str) -> int:
    """Minutes after local midnight from a datetime.time or a timedelta (the
    only way to say 24:00, the end of a day)."""
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise _bad(field, "a local time of day takes no tzinfo (the provider's zone applies)")
        if value.second or value.microsecond:
            raise _bad(field, f"{value} is not a whole minute")
        return value.hour * 60 + value.minute
    if isinstance(value, timedelta):
        return _c_minutes(value, field)
    raise _type_error(field, "a datetime.time or a timedelta after midnight", value)


def _c_str(value: Optional[str], field: str) -> Optional[bytes]:
    """UTF-8 for the library; None stays NULL, which the library reports by
    field name when the field is required."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _type_error(field, "a str", value)
    if "\0" in value:
        raise _bad(field, "contains a NUL character")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise _bad(field, f"not encodable as UTF-8 ({e.reason})") from None


def _id_text(value: IdLike, field: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    inner = getattr(value, "id", None)
    if isinstance(inner, str):
        return inner
    raise _type_error(field, "an id (str, uuid.UUID or a record)", value)


def _c_id(value: IdLike, field: str) -> _ffi.bk_id:
    text = _id_text(value, field)
    raw = _c_str(text, field) or b""
    out = _ffi.bk_id()
    if len(raw) > 36:
        raise _bad(field, f"'{text[:40]}' is not a UUID")
    out.s = raw
    return out


def _c_date(value: Any, field: str) -> _ffi.bk_date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _type_error(field, "a datetime.date", value)
    return _ffi.bk_date(value.year, value.month, value.day)


# --- C -> Python -------------------------------------------------------------

def _s(raw: Optional[bytes]) -> Optional[str]:
    return None if raw is None else raw.decode("utf-8", "surrogateescape")


def _t(value: int) -> Optional[datetime]:
    return None if value == BK_TIME_UNSET else _EPOCH + timedelta(seconds=value)


def _id(raw: _ffi.bk_id) -> str:
    return raw.s.decode("ascii", "replace")


def _opt_id(raw: _ffi.bk_id) -> Optional[str]:
    return _id(raw) or None


def _provider(p: _ffi.bk_provider) -> Provider:
    return Provider(
        id=_id(p.id), username=_s(p.username) or "", email=_s(p.email) or "",
        full_name=_s(p.full_name) or "", timezone=_s(p.timezone) or "",
        business_name=_s(p.business_name), description=_s(p.description),
        avatar_url=_s(p.avatar_url), created_at=_t(p.created_at),
        updated_at=_t(p.updated_at), deleted_at=_t(p.deleted_at),
    )


def _service(s: _ffi.bk_service) -> Service:
    return Service(
        id=_id(s.id), provider=_id(s.provider), name=_s(s.name) or "",
        description=_s(s.description),
        duration=timedelta(minutes=s.duration_minutes),
        buffer_before=timedelta(minutes=s.buffer_before_minutes),
        buffer_after=timedelta(minutes=s.buffer_after_minutes),
        slot_step=timedelta(minutes=s.slot_step_minutes),
        min_notice=timedelta(minutes=s.min_notice_minutes),
        horizon=timedelta(days=s.horizon_days),
        price_minor=s.price_minor, currency=_s(s.currency) or "",
        active=bool(s.active), display_order=s.display_order,
        requires_confirmation=bool(s.requires_confirmation),
        created_at=_t(s.created_at), updated_at=_t(s.updated_at),
    )


def _availability(a: _ffi.bk_availability) -> Availability:
    return Availability(
        id=_id(a.id), provider=_id(a.provider), weekday=_enum(Weekday, a.weekday),
        start=timedelta(minutes=a.start_minute), end=timedelta(minutes=a.end_minute),
        is_available=bool(a.is_available),
    )


def _override(o: _ffi.bk_override) -> Override:
    intervals = tuple(
        (timedelta(minutes=o.intervals[i].start_minute), timedelta(minutes=o.intervals[i].end_minute))
        for i in range(o.n_intervals)
    )
    return Override(provider=_id(o.provider), date=date(o.date.year, o.date.month, o.date.day),
                    intervals=intervals)


def _blocked(b: _ffi.bk_blocked) -> Blocked:
    return Blocked(
        id=_id(b.id), provider=_id(b.provider), start=_t(b.start), end=_t(b.end),  # type: ignore[arg-type]
        rrule=_s(b.rrule) or None, reason=_s(b.reason),
    )


def _enum(cls: Any, value: int) -> Any:
    """An enum member, or the plain int for a value a newer library added."""
    try:
        return cls(value)
    except ValueError:
        return value


def _status(value: int) -> BookingStatus:
    return _enum(BookingStatus, value)


def _booking(b: _ffi.bk_booking) -> Booking:
    return Booking(
        id=_id(b.id), provider=_id(b.provider), service=_id(b.service),
        start=_t(b.start), end=_t(b.end),  # type: ignore[arg-type]
        buffer_before=timedelta(minutes=b.buffer_before_minutes),
        buffer_after=timedelta(minutes=b.buffer_after_minutes),
        status=_status(b.status), lock_version=b.lock_version,
        idempotency_key=_s(b.idempotency_key), customer_name=_s(b.customer_name) or "",
        customer_email=_s(b.customer_email) or "", customer_phone=_s(b.customer_phone),
        customer_timezone=_s(b.customer_timezone), notes=_s(b.notes),
        cancellation_reason=_s(b.cancellation_reason), created_at=_t(b.created_at),
        updated_at=_t(b.updated_at), confirmed_at=_t(b.confirmed_at),
        cancelled_at=_t(b.cancelled_at), archived_at=_t(b.archived_at),
    )


def _slot(s: _ffi.bk_slot) -> Slot:
    return Slot(_t(s.start), _t(s.end))  # type: ignore[arg-type]


# --- errors ------------------------------------------------------------------

def _error(code: int, handle: Optional[int]) -> Error:
    """The exception for status `code`, with the message of the call that
    just failed on `handle` (None: this thread's handle-less slot)."""
    L = _L()
    raw = L.bk_errmsg(handle)
    return error_class(code)(code, _s(raw) or _s(L.bk_strerror(code)) or "")


def _check(rc: int) -> None:
    """For handle-less calls."""
    if rc != 0:
        raise _error(rc, None)


_TOO_SMALL = re.compile(r"buf_size: \d+ bytes is too small, (\d+) needed")


def _formatted(call: Callable[[Any, int], int], message: Callable[[], str], code_error: Callable[[int], Error]) -> str:
    """Runs a call that writes into a caller's buffer, growing the buffer to
    the size the library says it needs."""
    size = 256
    while True:
        buf = create_string_buffer(size)
        rc = call(buf, size)
        if rc == 0:
            return buf.value.decode("utf-8", "surrogateescape")
        m = _TOO_SMALL.match(message()) if rc == BK_EINVAL else None
        if m and int(m.group(1)) > size:
            size = int(m.group(1))
            continue
        raise code_error(rc)


# --- calls without a handle --------------------------------------------------

def version() -> str:
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return _s(_L().bk_version()) or ""


def version_number() -> int:
    """MAJOR * 10000 + MINOR * 100 + PATCH of the loaded library."""
    return int(_L().bk_version_number())


def strerror(code: int) -> str:
    """A static description of a status code."""
    return _s(_L().bk_strerror(_c_int(code, "code"))) or ""


def last_error() -> Tuple[int, str]:
    """(code, message) of this thread's last handle-less call."""
    L = _L()
    return int(L.bk_errcode(None)), _s(L.bk_errmsg(None)) or ""


def parse_time_iso(text: str) -> datetime:
    """Parses "YYYY-MM-DDTHH:MM:SSZ" into an aware UTC datetime."""
    out = _ffi.bk_time(0)
    _check(_L().bk_time_parse_iso(_c_str(text, "text"), byref(out)))
    return _t(out.value)  # type: ignore[return-value]


def format_time_iso(when: datetime) -> str:
    """`when` as "YYYY-MM-DDTHH:MM:SSZ" (UTC)."""
    buf = create_string_buffer(_ffi.BK_ISO_SIZE)
    _check(_L().bk_time_format_iso(_c_time(when, "t"), buf))
    return buf.value.decode("ascii")


def format_time(when: datetime, zone: str, locale: Optional[str] = None,
                skeleton: Optional[str] = None) -> str:
    """`when` for a reader in `zone`, with ICU's date formatting (`locale`
    e.g. "de_DE", default en_US; `skeleton` an ICU skeleton such as
    "yMMMdEEEjmz", default date, time and zone)."""
    L = _L()
    t = _c_time(when, "t")
    z, loc, sk = _c_str(zone, "zone"), _c_str(locale, "locale"), _c_str(skeleton, "skeleton")
    return _formatted(lambda buf, n: L.bk_time_format(t, z, loc, sk, buf, n),
                      lambda: _s(L.bk_errmsg(None)) or "", lambda rc: _error(rc, None))


def is_valid_timezone(zone: str) -> bool:
    """Whether `zone` is an IANA zone id the library (ICU) knows."""
    rc = _L().bk_timezone_valid(_c_str(zone, "zone"))
    if rc == BK_EINVAL:
        return False
    _check(rc)
    return True


def canonical_timezone(zone: str) -> str:
    """The canonical IANA id of a zone ("US/Eastern" -> "America/New_York")."""
    L = _L()
    z = _c_str(zone, "zone")
    return _formatted(lambda buf, n: L.bk_timezone_canonical(z, buf, n),
                      lambda: _s(L.bk_errmsg(None)) or "", lambda rc: _error(rc, None))


def timezones() -> List[str]:
    """Every zone a user may pick: canonical ids of places plus "UTC", sorted."""
    L = _L()
    out = POINTER(c_char_p)()
    n = c_size_t(0)
    try:
        _check(L.bk_timezone_list(byref(out), byref(n)))
        return [_s(out[i]) or "" for i in range(n.value)]
    finally:
        if out:
            L.bk_timezone_list_free(out, n.value)


def tzdata_version() -> str:
    """The tz database release ICU uses in this process ("2024a")."""
    return _s(_L().bk_tzdata_version()) or ""


def parse_id(text: str) -> str:
    """`text` if it is a well-formed record id (a UUID), else InvalidInput."""
    out = _ffi.bk_id()
    _check(_L().bk_id_parse(_c_str(text, "text"), byref(out)))
    return _id(out)


def booking_status_name(status: int) -> str:
    raw = _L().bk_booking_status_name(_c_int(int(status), "status"))
    if raw is None:
        raise _bad("status", f"{int(status)} is not a booking status")
    return _s(raw) or ""


def booking_status_parse(name: str) -> int:
    out = c_int(0)
    _check(_L().bk_booking_status_parse(_c_str(name, "name"), byref(out)))
    return out.value


def slot_reason_name(reason: int) -> str:
    return _s(_L().bk_slot_reason_name(_c_int(int(reason), "reason"))) or ""


def _c_style(style: Optional[ZoneStyle]) -> int:
    return 0 if style is None else _c_int(int(style), "style", 0, 2**32 - 1)


def _c_slot(slot: Any) -> _ffi.bk_slot:
    try:
        start, end = slot
    except (TypeError, ValueError):
        raise _type_error("slot", "a Slot or a (start, end) pair", slot) from None
    return _ffi.bk_slot(_c_time(start, "slot.start"), _c_time(end, "slot.end"))


def format_slot(slot: Union[Slot, Tuple[datetime, datetime]], zone: str, locale: Optional[str] = None,
                style: Optional[ZoneStyle] = None) -> str:
    """The slot [start, end) as a range for a reader in `zone`, with ICU's
    interval formatting: "Mon, Mar 30, 2026, 3:00 – 3:30 AM EDT"."""
    L = _L()
    s = _c_slot(slot)
    z, loc, st = _c_str(zone, "zone"), _c_str(locale, "locale"), _c_style(style)
    return _formatted(lambda buf, n: L.bk_slot_format(byref(s), z, loc, st, buf, n),
                      lambda: _s(L.bk_errmsg(None)) or "", lambda rc: _error(rc, None))


# --- handles -----------------------------------------------------------------

def open(uri: str, *, schema: Optional[str] = None, migrate: Optional[bool] = None,  # noqa: A001
         booking_partitions: Optional[int] = None) -> "Database":
    """Opens a store: "memory:" (private), "memory:NAME" (shared in this
    process) or a PostgreSQL URI / conninfo.  Use it as a context manager:

        with booking.open("memory:") as db: ...

    The keyword options are those of bk_open_options (PostgreSQL only)."""
    L = _L()
    handle = c_void_p()
    u = _c_str(uri, "uri")
    if schema is None and migrate is None and booking_partitions is None:
        rc = L.bk_open(byref(handle), u)
    else:
        opts = _ffi.bk_open_options()
        L.bk_open_options_init(byref(opts))
        if schema is not None:
            opts.schema = _c_str(schema, "schema")
        if migrate is not None:
            opts.migrate = _c_bool(migrate, "migrate")
        if booking_partitions is not None:
            opts.booking_partitions = _c_int(booking_partitions, "booking_partitions")
        rc = L.bk_open_ext(byref(handle), u, byref(opts))
    if rc != 0:
        raise _error(rc, None)
    return Database(handle.value, uri)


def open_store(store: "_ffi.bk_store") -> "Database":
    """Opens a handle over a storage backend built by the caller: a
    booking.lowlevel.Store (a ctypes bk_store, see include/booking/sys/store.h).
    The handle owns the store: the library calls its close method at
    Database.close(), or at once if opening fails.  The store object and its
    callbacks are kept alive by the Database."""
    if not isinstance(store, _ffi.bk_store):
        raise _type_error("store", "a booking.lowlevel.Store", store)
    handle = c_void_p()
    rc = _L().bk_open_store(byref(handle), byref(store))
    if rc != 0:
        raise _error(rc, None)
    return Database(handle.value, f"<store {_s(store.name)}>", keepalive=store)


def store_error(err: Optional[int], code: int, message: str) -> int:
    """bk_store_error for backends written in Python: records `code` and
    `message` in the bk_store_err *err a backend method received, and
    returns code (so a method can `return store_error(err, ...)`)."""
    raw = _c_str(message, "message")
    return int(_L().bk_store_error(err, _c_int(code, "code"), b"%s", raw))


def _close_handle(handle: int) -> None:
    if _ffi._lib is not None:
        _ffi._lib.bk_close(handle)


class Database:
    """A connection to one store (bk_db).  Close it, or use it as a context
    manager; one left open is closed when it is garbage-collected.  Calls on
    one Database are serialised by a lock, as the library requires."""

    def __init__(self, handle: int, uri: str, keepalive: Any = None) -> None:
        self._handle: Optional[int] = handle
        self._uri = uri
        self._keepalive = keepalive
        self._lock = threading.RLock()
        self._finalizer = weakref.finalize(self, _close_handle, handle)

    # -- lifecycle --

    def close(self) -> None:
        """Closes the handle (idempotent).  Records already returned stay valid."""
        with self._lock:
            if self._handle is not None:
                self._handle = None
                self._finalizer()

    @property
    def closed(self) -> bool:
        return self._handle is None

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<booking.Database {self._uri!r}{' closed' if self.closed else ''}>"

    @property
    def last_error(self) -> Tuple[int, str]:
        """(code, message) of the last call on this handle (bk_errcode, bk_errmsg)."""
        with self._lock:
            h = self._live()
            L = _L()
            return int(L.bk_errcode(h)), _s(L.bk_errmsg(h)) or ""

    def _live(self) -> int:
        if self._handle is None:
            raise Misuse(BK_EMISUSE, "db: the Database is closed")
        return self._handle

    def _call(self, fn: Callable[..., int], *args: Any) -> None:
        with self._lock:
            h = self._live()
            rc = fn(h, *args)
            if rc != 0:
                raise _error(rc, h)

    def _one(self, fn: Callable[..., int], ctype: Any, free: Callable[[Any], None],
             convert: Callable[[Any], Any], *args: Any) -> Any:
        out = POINTER(ctype)()
        try:
            self._call(fn, *args, byref(out))
            return convert(out.contents)
        finally:
            if out:
                free(out)

    def _many(self, fn: Callable[..., int], ctype: Any, free: Callable[[Any, int], None],
              convert: Callable[[Any], Any], *args: Any) -> List[Any]:
        out = POINTER(POINTER(ctype))()
        n = c_size_t(0)
        try:
            self._call(fn, *args, byref(out), byref(n))
            return [convert(out[i].contents) for i in range(n.value)]
        finally:
            if out:
                free(out, n.value)

    def _text(self, fn: Callable[..., int], *args: Any) -> str:
        out = c_void_p()
        try:
            self._call(fn, *args, byref(out))
            return string_at(out.value).decode("utf-8", "surrogateescape") if out.value else ""
        finally:
            if out.value:
                _L().bk_string_free(out)

    def _count(self, fn: Callable[..., int], *args: Any) -> int:
        n = c_size_t(0)
        self._call(fn, *args, byref(n))
        return n.value

    # -- providers --

    def create_provider(self, *, username: str, email: str, full_name: str, timezone: str,
                        business_name: Optional[str] = None, description: Optional[str] = None,
                        avatar_url: Optional[str] = None) -> str:
        """Creates a provider; returns its id.  InvalidInput (field named),
        Exists (username or email taken)."""
        L = _L()
        p = _ffi.bk_provider()
        L.bk_provider_init(byref(p))
        p.username = _c_str(username, "username")
        p.email = _c_str(email, "email")
        p.full_name = _c_str(full_name, "full_name")
        p.timezone = _c_str(timezone, "timezone")
        p.business_name = _c_str(business_name, "business_name")
        p.description = _c_str(description, "description")
        p.avatar_url = _c_str(avatar_url, "avatar_url")
        out = _ffi.bk_id()
        self._call(L.bk_provider_create, byref(p), byref(out))
        return _id(out)

    def get_provider(self, id: IdLike) -> Provider:  # noqa: A002
        """Reads a provider (a soft-deleted one too, with deleted_at set)."""
        L = _L()
        return self._one(L.bk_provider_get, _ffi.bk_provider, L.bk_provider_free, _provider,
                         byref(_c_id(id, "id")))

    def update_provider(self, provider: Provider) -> None:
        """Writes every field of `provider` (a record from get_provider,
        changed with dataclasses.replace) back to provider.id."""
        if not isinstance(provider, Provider):
            raise _type_error("provider", "a booking.Provider", provider)
        L = _L()
        p = _ffi.bk_provider()
        L.bk_provider_init(byref(p))
        p.id = _c_id(provider.id, "id")
        p.username = _c_str(provider.username, "username")
        p.email = _c_str(provider.email, "email")
        p.full_name = _c_str(provider.full_name, "full_name")
        p.timezone = _c_str(provider.timezone, "timezone")
        p.business_name = _c_str(provider.business_name, "business_name")
        p.description = _c_str(provider.description, "description")
        p.avatar_url = _c_str(provider.avatar_url, "avatar_url")
        self._call(L.bk_provider_update, byref(p))

    def list_providers(self) -> List[Provider]:
        """Every provider that is not deleted, by username."""
        L = _L()
        return self._many(L.bk_provider_list, _ffi.bk_provider, L.bk_provider_list_free, _provider)

    def delete_provider(self, id: IdLike) -> None:  # noqa: A002
        """Soft-deletes a provider (see restore_provider, purge_providers)."""
        self._call(_L().bk_provider_delete, byref(_c_id(id, "id")))

    def restore_provider(self, id: IdLike) -> None:  # noqa: A002
        """Undoes delete_provider."""
        self._call(_L().bk_provider_restore, byref(_c_id(id, "id")))

    def purge_providers(self, deleted_before: datetime) -> int:
        """Removes for good every provider soft-deleted before the instant,
        with all its records; returns how many."""
        return self._count(_L().bk_provider_purge, _c_time(deleted_before, "deleted_before"))

    def set_password(self, provider: IdLike, password: str) -> None:
        """Sets a provider's password (stored as an Argon2id hash)."""
        self._call(_L().bk_provider_set_password, byref(_c_id(provider, "provider")),
                   _c_str(password, "password"))

    def set_password_hash(self, provider: IdLike, argon2id_hash: str) -> None:
        """Imports an Argon2id hash ("$argon2id$v=19$...") made elsewhere."""
        self._call(_L().bk_provider_set_password_hash, byref(_c_id(provider, "provider")),
                   _c_str(argon2id_hash, "argon2id_hash"))

    def verify_password(self, login: str, password: str) -> Login:
        """Checks a login (username or email); Denied if it fails."""
        out = _ffi.bk_id()
        rehashed = c_int(0)
        self._call(_L().bk_provider_verify_password, _c_str(login, "login"), _c_str(password, "password"),
                   byref(out), byref(rehashed))
        return Login(_id(out), bool(rehashed.value))

    # -- services --

    def _service_spec(self, s: _ffi.bk_service, values: Dict[str, Any]) -> None:
        for key, value in values.items():
            if value is None:
                continue  # keep bk_service_init's default
            if key == "description":
                s.description = _c_str(value, key)
            elif key == "name":
                s.name = _c_str(value, key)
            elif key == "currency":
                s.currency = _c_str(value, key)
            elif key == "duration":
                s.duration_minutes = _c_minutes(value, key)
            elif key == "buffer_before":
                s.buffer_before_minutes = _c_minutes(value, key)
            elif key == "buffer_after":
                s.buffer_after_minutes = _c_minutes(value, key)
            elif key == "slot_step":
                s.slot_step_minutes = _c_minutes(value, key)
            elif key == "min_notice":
                s.min_notice_minutes = _c_minutes(value, key)
            elif key == "horizon":
                s.horizon_days = _c_days(value, key)
            elif key == "price_minor":
                s.price_minor = _c_int(value, key, _INT64_MIN, _INT64_MAX)
            elif key == "display_order":
                s.display_order = _c_int(value, key)
            elif key in ("active", "requires_confirmation"):
                setattr(s, key, _c_bool(value, key))
            else:  # pragma: no cover - callers pass fixed keys
                raise AssertionError(key)

    def create_service(self, provider: IdLike, name: str, duration: timedelta, *,
                       description: Optional[str] = None, buffer_before: Optional[timedelta] = None,
                       buffer_after: Optional[timedelta] = None, slot_step: Optional[timedelta] = None,
                       min_notice: Optional[timedelta] = None, horizon: Optional[timedelta] = None,
                       price_minor: Optional[int] = None, currency: Optional[str] = None,
                       active: Optional[bool] = None, display_order: Optional[int] = None,
                       requires_confirmation: Optional[bool] = None) -> str:
        """Creates a service of `provider`; returns its id.  Durations are
        timedeltas of whole minutes (horizon: whole days); what is left out
        keeps the library's default (bk_service_init)."""
        L = _L()
        s = _ffi.bk_service()
        L.bk_service_init(byref(s))
        s.provider = _c_id(provider, "provider")
        self._service_spec(s, dict(
            name=name, duration=duration, description=description, buffer_before=buffer_before,
            buffer_after=buffer_after, slot_step=slot_step, min_notice=min_notice, horizon=horizon,
            price_minor=price_minor, currency=currency, active=active, display_order=display_order,
            requires_confirmation=requires_confirmation))
        out = _ffi.bk_id()
        self._call(L.bk_service_create, byref(s), byref(out))
        return _id(out)

    def get_service(self, id: IdLike) -> Service:  # noqa: A002
        L = _L()
        return self._one(L.bk_service_get, _ffi.bk_service, L.bk_service_free, _service,
                         byref(_c_id(id, "id")))

    def update_service(self, service: Service) -> None:
        """Writes every field of `service` but its provider back to service.id."""
        if not isinstance(service, Service):
            raise _type_error("service", "a booking.Service", service)
        L = _L()
        s = _ffi.bk_service()
        L.bk_service_init(byref(s))
        s.id = _c_id(service.id, "id")
        s.provider = _c_id(service.provider, "provider")
        self._service_spec(s, dict(
            name=service.name, duration=service.duration, buffer_before=service.buffer_before,
            buffer_after=service.buffer_after, slot_step=service.slot_step, min_notice=service.min_notice,
            horizon=service.horizon, price_minor=service.price_minor, currency=service.currency,
            active=service.active, display_order=service.display_order,
            requires_confirmation=service.requires_confirmation))
        s.description = _c_str(service.description, "description")
        self._call(L.bk_service_update, byref(s))

    def list_services(self, provider: IdLike) -> List[Service]:
        """A provider's services by display_order, then name (inactive too)."""
        L = _L()
        return self._many(L.bk_service_list, _ffi.bk_service, L.bk_service_list_free, _service,
                          byref(_c_id(provider, "provider")))

    def deactivate_service(self, id: IdLike) -> None:  # noqa: A002
        self._call(_L().bk_service_deactivate, byref(_c_id(id, "id")))

    # -- weekly availability --

    def add_availability(self, provider: IdLike, weekday: int, start: TimeOfDay, end: TimeOfDay, *,
                         is_available: bool = True) -> str:
        """Adds a weekly row: working time on `weekday` (Weekday, 0 = Sunday)
        from `start` to `end` local time (datetime.time, or a timedelta after
        midnight: timedelta(hours=24) ends the day); with is_available=False
        the span is cut out of the day's working time.  Returns its id."""
        L = _L()
        a = _ffi.bk_availability()
        L.bk_availability_init(byref(a))
        a.provider = _c_id(provider, "provider")
        a.weekday = _c_int(weekday, "weekday")
        a.start_minute = _c_time_of_day(start, "start")
        a.end_minute = _c_time_of_day(end, "end")
        a.is_available = _c_bool(is_available, "is_available")
        out = _ffi.bk_id()
        self._call(L.bk_availability_add, byref(a), byref(out))
        return _id(out)

    def list_availability(self, provider: IdLike) -> List[Availability]:
        L = _L()
        return self._many(L.bk_availability_list, _ffi.bk_availability, L.bk_availability_list_free,
                          _availability, byref(_c_id(provider, "provider")))

    def delete_availability(self, id: IdLike) -> None:  # noqa: A002
        self._call(_L().bk_availability_delete, byref(_c_id(id, "id")))

    # -- date overrides --

    def set_override(self, provider: IdLike, day: date,
                     intervals: Iterable[Tuple[TimeOfDay, TimeOfDay]] = ()) -> None:
        """Sets the working time of one date (replacing the weekly rows);
        no intervals means a day off."""
        L = _L()
        o = _ffi.bk_override()
        L.bk_override_init(byref(o))
        o.provider = _c_id(provider, "provider")
        o.date = _c_date(day, "date")
        pairs = list(intervals)
        if len(pairs) > _ffi.BK_OVERRIDE_MAX_INTERVALS:
            raise _bad("n_intervals", f"{len(pairs)} intervals, at most {_ffi.BK_OVERRIDE_MAX_INTERVALS}")
        arr = (_ffi.bk_local_interval * max(len(pairs), 1))()
        for i, pair in enumerate(pairs):
            try:
                a, b = pair
            except (TypeError, ValueError):
                raise _type_error(f"intervals[{i}]", "a (start, end) pair", pair) from None
            arr[i].start_minute = _c_time_of_day(a, f"intervals[{i}].start")
            arr[i].end_minute = _c_time_of_day(b, f"intervals[{i}].end")
        o.n_intervals = len(pairs)
        o.intervals = arr if pairs else None
        self._call(L.bk_override_set, byref(o))

    def list_overrides(self, provider: IdLike, first: date, last: date) -> List[Override]:
        """A provider's overrides dated first..last (inclusive), by date."""
        L = _L()
        return self._many(L.bk_override_list, _ffi.bk_override, L.bk_override_list_free, _override,
                          byref(_c_id(provider, "provider")), byref(_c_date(first, "from")),
                          byref(_c_date(last, "to")))

    def delete_override(self, provider: IdLike, day: date) -> None:
        self._call(_L().bk_override_delete, byref(_c_id(provider, "provider")), byref(_c_date(day, "date")))

    # -- blocked periods --

    def add_blocked(self, provider: IdLike, start: datetime, end: datetime, *, rrule: Optional[str] = None,
                    reason: Optional[str] = None) -> str:
        """Blocks [start, end); with an RFC 5545 `rrule` the period recurs
        ([start, end) is the first occurrence).  Returns its id."""
        L = _L()
        b = _ffi.bk_blocked()
        L.bk_blocked_init(byref(b))
        b.provider = _c_id(provider, "provider")
        b.start = _c_time(start, "start")
        b.end = _c_time(end, "end")
        b.rrule = _c_str(rrule, "rrule")
        b.reason = _c_str(reason, "reason")
        out = _ffi.bk_id()
        self._call(L.bk_blocked_add, byref(b), byref(out))
        return _id(out)

    def list_blocked(self, provider: IdLike, start: datetime, end: datetime) -> List[Blocked]:
        """A provider's blocked periods overlapping [start, end), by start."""
        L = _L()
        return self._many(L.bk_blocked_list, _ffi.bk_blocked, L.bk_blocked_list_free, _blocked,
                          byref(_c_id(provider, "provider")), _c_time(start, "from"), _c_time(end, "to"))

    def delete_blocked(self, id: IdLike) -> None:  # noqa: A002
        self._call(_L().bk_blocked_delete, byref(_c_id(id, "id")))

    # -- slots --

    def _query(self, provider: IdLike, service: IdLike, start: datetime, end: datetime,
               now: Optional[datetime]) -> _ffi.bk_slot_query:
        q = _ffi.bk_slot_query()
        _L().bk_slot_query_init(byref(q))
        q.provider = _c_id(provider, "provider")
        q.service = _c_id(service, "service")
        setattr(q, "from", _c_time(start, "from"))
        q.to = _c_time(end, "to")
        q.now = _c_time(now, "now", unset_ok=True)
        return q

    def slots(self, provider: IdLike, service: IdLike, start: datetime, end: datetime, *,
              now: Optional[datetime] = None) -> List[Slot]:
        """The free slots of `service` starting in [start, end), as DESIGN.md
        section 3 defines them, sorted.  `now` (default: the clock) decides
        notice and horizon."""
        L = _L()
        q = self._query(provider, service, start, end, now)
        out = POINTER(_ffi.bk_slot)()
        n = c_size_t(0)
        try:
            self._call(L.bk_slots, byref(q), byref(out), byref(n))
            return [_slot(out[i]) for i in range(n.value)]
        finally:
            if out:
                L.bk_slots_free(out)

    def explain_slot(self, provider: IdLike, service: IdLike, start: datetime, end: datetime,
                     at: datetime, *, now: Optional[datetime] = None) -> SlotVerdict:
        """Whether `at` would be offered by slots(provider, service, start,
        end, now=now) and, if not, why."""
        q = self._query(provider, service, start, end, now)
        v = _ffi.bk_slot_verdict()
        v.version = _ffi.BK_SLOT_VERDICT_VERSION
        self._call(_L().bk_slot_explain, byref(q), _c_time(at, "start"), byref(v))
        return SlotVerdict(reason=_enum(SlotReason, v.reason), related=_opt_id(v.related),
                           start=_t(v.start), end=_t(v.end),  # type: ignore[arg-type]
                           message=v.message.decode("utf-8", "surrogateescape"))

    # -- bookings --

    def book(self, provider: IdLike, service: IdLike, start: datetime, *, customer_name: str,
             customer_email: str, customer_phone: Optional[str] = None,
             customer_timezone: Optional[str] = None, notes: Optional[str] = None,
             idempotency_key: Optional[str] = None, now: Optional[datetime] = None) -> Booking:
        """Books the slot starting at `start`, atomically.  Conflict if it
        overlaps a live booking, Unavailable if it is not offered.  With an
        idempotency key, repeating the call returns the first booking."""
        L = _L()
        r = _ffi.bk_book_request()
        L.bk_book_request_init(byref(r))
        r.provider = _c_id(provider, "provider")
        r.service = _c_id(service, "service")
        r.start = _c_time(start, "start")
        r.now = _c_time(now, "now", unset_ok=True)
        r.idempotency_key = _c_str(idempotency_key, "idempotency_key")
        r.customer_name = _c_str(customer_name, "customer_name")
        r.customer_email = _c_str(customer_email, "customer_email")
        r.customer_phone = _c_str(customer_phone, "customer_phone")
        r.customer_timezone = _c_str(customer_timezone, "customer_timezone")
        r.notes = _c_str(notes, "notes")
        return self._one(L.bk_book, _ffi.bk_booking, L.bk_booking_free, _booking, byref(r))

    def import_booking(self, provider: IdLike, service: IdLike, start: datetime, end: datetime, *,
                       status: BookingStatus, customer_name: str, customer_email: str,
                       buffer_before: timedelta = timedelta(0), buffer_after: timedelta = timedelta(0),
                       idempotency_key: Optional[str] = None, customer_phone: Optional[str] = None,
                       customer_timezone: Optional[str] = None, notes: Optional[str] = None,
                       cancellation_reason: Optional[str] = None, confirmed_at: Optional[datetime] = None,
                       cancelled_at: Optional[datetime] = None) -> str:
        """Stores an existing booking as it is (history from another system):
        only its occupied range is checked against live bookings.  Returns
        its id."""
        L = _L()
        # booking.h has no bk_booking_init: as for C callers, the record
        # starts zeroed with its version set and every instant unset.
        b = _ffi.bk_booking()
        b.version = _ffi.BK_BOOKING_VERSION
        b.created_at = b.updated_at = b.archived_at = BK_TIME_UNSET
        b.provider = _c_id(provider, "provider")
        b.service = _c_id(service, "service")
        b.start = _c_time(start, "start")
        b.end = _c_time(end, "end")
        if not isinstance(status, int):
            raise _type_error("status", "a booking.BookingStatus", status)
        b.status = _c_int(int(status), "status")
        b.buffer_before_minutes = _c_minutes(buffer_before, "buffer_before")
        b.buffer_after_minutes = _c_minutes(buffer_after, "buffer_after")
        b.idempotency_key = _c_str(idempotency_key, "idempotency_key")
        b.customer_name = _c_str(customer_name, "customer_name")
        b.customer_email = _c_str(customer_email, "customer_email")
        b.customer_phone = _c_str(customer_phone, "customer_phone")
        b.customer_timezone = _c_str(customer_timezone, "customer_timezone")
        b.notes = _c_str(notes, "notes")
        b.cancellation_reason = _c_str(cancellation_reason, "cancellation_reason")
        b.confirmed_at = _c_time(confirmed_at, "confirmed_at", unset_ok=True)
        b.cancelled_at = _c_time(cancelled_at, "cancelled_at", unset_ok=True)
        out = _ffi.bk_id()
        self._call(L.bk_booking_import, byref(b), byref(out))
        return _id(out)

    def get_booking(self, id: IdLike) -> Booking:  # noqa: A002
        L = _L()
        return self._one(L.bk_booking_get, _ffi.bk_booking, L.bk_booking_free, _booking,
                         byref(_c_id(id, "id")))

    def list_bookings(self, provider: IdLike, start: Optional[datetime] = None, end: Optional[datetime] = None,
                      *, include_cancelled: bool = True, statuses: Optional[Iterable[BookingStatus]] = None,
                      customer_email: Optional[str] = None) -> List[Booking]:
        """A provider's bookings overlapping [start, end) (default: all), by
        start.  `statuses` limits them to those statuses (then
        include_cancelled is ignored); `customer_email` to one customer."""
        L = _L()
        f = _ffi.bk_booking_filter()
        L.bk_booking_filter_init(byref(f))
        f.provider = _c_id(provider, "provider")
        if start is not None:
            setattr(f, "from", _c_time(start, "from"))
        if end is not None:
            f.to = _c_time(end, "to")
        f.include_cancelled = _c_bool(include_cancelled, "include_cancelled")
        if statuses is not None:
            bits = 0
            for st in statuses:
                value = _c_int(int(st), "statuses", 0, 31) if isinstance(st, int) else None
                if value is None:
                    raise _type_error("statuses", "BookingStatus values", st)
                bits |= 1 << value
            f.statuses = bits
        f.customer_email = _c_str(customer_email, "customer_email")
        return self._many(L.bk_booking_list, _ffi.bk_booking, L.bk_booking_list_free, _booking, byref(f))

    def _move(self, fn: Callable[..., int], booking: Union[Booking, IdLike], lock_version: Optional[int],
              *extra: Any) -> Booking:
        if lock_version is None:
            if not isinstance(booking, Booking):
                raise _bad("expected_lock_version", "required when a booking is given by id")
            lock_version = booking.lock_version
        L = _L()
        return self._one(fn, _ffi.bk_booking, L.bk_booking_free, _booking, byref(_c_id(booking, "id")),
                         _c_int(lock_version, "expected_lock_version", _INT64_MIN, _INT64_MAX), *extra)

    def cancel_booking(self, booking: Union[Booking, IdLike], *, lock_version: Optional[int] = None,
                       reason: Optional[str] = None) -> Booking:
        """pending/confirmed -> cancelled.  Given a Booking record, its
        lock_version is the one expected (Stale if it changed since);
        returns the updated booking."""
        return self._move(_L().bk_booking_cancel, booking, lock_version, _c_str(reason, "reason"))

    def confirm_booking(self, booking: Union[Booking, IdLike], *, lock_version: Optional[int] = None) -> Booking:
        """pending -> confirmed."""
        return self._move(_L().bk_booking_confirm, booking, lock_version)

    def complete_booking(self, booking: Union[Booking, IdLike], *, lock_version: Optional[int] = None) -> Booking:
        """confirmed -> completed."""
        return self._move(_L().bk_booking_complete, booking, lock_version)

    def mark_no_show(self, booking: Union[Booking, IdLike], *, lock_version: Optional[int] = None) -> Booking:
        """confirmed -> no_show."""
        return self._move(_L().bk_booking_mark_no_show, booking, lock_version)

    def reschedule_booking(self, booking: Union[Booking, IdLike], new_start: datetime, *,
                           lock_version: Optional[int] = None, now: Optional[datetime] = None) -> Booking:
        """Moves a live booking to `new_start` (a slot that would be offered
        if the booking did not exist), keeping its id and status."""
        return self._move(_L().bk_booking_reschedule, booking, lock_version, _c_time(new_start, "new_start"),
                          _c_time(now, "now", unset_ok=True))

    # -- tokens --

    def issue_token(self, booking: IdLike, action: TokenAction, expires_at: datetime) -> str:
        """A single-use token ("bkt1_...") that lets its holder perform
        `action` on the booking until `expires_at`.  Only its hash is stored."""
        if not isinstance(action, int) or isinstance(action, bool):
            raise _type_error("action", "a booking.TokenAction", action)
        buf = create_string_buffer(_ffi.BK_TOKEN_SIZE)
        self._call(_L().bk_token_issue, byref(_c_id(booking, "booking")), _c_int(int(action), "action"),
                   _c_time(expires_at, "expires_at"), buf)
        return buf.value.decode("ascii")

    def redeem_token(self, token: str, *, now: Optional[datetime] = None, new_start: Optional[datetime] = None,
                     reason: Optional[str] = None) -> TokenRedemption:
        """Performs the token's action (new_start for a reschedule token,
        reason for a cancel token) and uses the token up, atomically."""
        L = _L()
        p = _ffi.bk_token_redeem_params()
        L.bk_token_redeem_params_init(byref(p))
        p.now = _c_time(now, "now", unset_ok=True)
        p.new_start = _c_time(new_start, "new_start", unset_ok=True)
        p.reason = _c_str(reason, "reason")
        action = c_int(0)
        out = POINTER(_ffi.bk_booking)()
        try:
            self._call(L.bk_token_redeem, _c_str(token, "token"), byref(p), byref(out), byref(action))
            return TokenRedemption(_enum(TokenAction, action.value), _booking(out.contents))
        finally:
            if out:
                L.bk_booking_free(out)

    # -- customer data, retention, archive --

    def export_customer(self, customer_email: str) -> Dict[str, Any]:
        """Every booking of a customer, across providers, as the library's
        JSON export document (parsed)."""
        return json.loads(self.export_customer_json(customer_email))

    def export_customer_json(self, customer_email: str) -> str:
        """export_customer as the JSON text the library wrote."""
        return self._text(_L().bk_customer_export, _c_str(customer_email, "customer_email"))

    def erase_customer(self, customer_email: str) -> int:
        """Erases a customer's personal data from every booking; returns how many."""
        return self._count(_L().bk_customer_erase, _c_str(customer_email, "customer_email"))

    def anonymise_bookings(self, ended_before: datetime) -> int:
        """Erases the personal fields of every booking that ended before the
        instant; returns how many changed."""
        return self._count(_L().bk_bookings_anonymise, _c_time(ended_before, "ended_before"))

    def archive_bookings(self, ended_before: datetime, *, batch_size: int = 1000) -> int:
        """Moves final bookings that ended before the instant to the archive,
        batch_size per transaction; returns how many moved."""
        return self._count(_L().bk_booking_archive, _c_time(ended_before, "ended_before"),
                           _c_int(batch_size, "batch_size", 0, 2**63 - 1))

    # -- calendars and display --

    def booking_ical(self, booking: IdLike, *, local_time: bool = False) -> str:
        """The booking as an RFC 5545 VCALENDAR (CRLF lines) for the
        customer; local_time=True writes the provider's wall-clock times
        with a VTIMEZONE."""
        flags = _ffi.BK_ICAL_LOCAL_TIME if local_time else 0
        return self._text(_L().bk_booking_ical, byref(_c_id(booking, "booking")), flags)

    def provider_ical_feed(self, provider: IdLike, start: datetime, end: datetime, *,
                           local_time: bool = False) -> str:
        """A provider's bookings overlapping [start, end) as one PUBLISH feed."""
        flags = _ffi.BK_ICAL_LOCAL_TIME if local_time else 0
        return self._text(_L().bk_provider_ical_feed, byref(_c_id(provider, "provider")),
                          _c_time(start, "from"), _c_time(end, "to"), flags)

    def format_booking(self, booking: IdLike, *, zone: Optional[str] = None, locale: Optional[str] = None,
                       style: Optional[ZoneStyle] = None) -> str:
        """The booking's [start, end) as format_slot writes it; zone None is
        the customer's zone if known, else the provider's."""
        L = _L()
        bid = _c_id(booking, "booking")
        z, loc, st = _c_str(zone, "zone"), _c_str(locale, "locale"), _c_style(style)
        with self._lock:
            h = self._live()
            return _formatted(lambda buf, n: L.bk_booking_format(h, byref(bid), z, loc, st, buf, n),
                              lambda: _s(L.bk_errmsg(h)) or "", lambda rc: _error(rc, h))
