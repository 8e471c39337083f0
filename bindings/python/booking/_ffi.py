"""The C side: struct layouts, function prototypes and the library loader.

Everything here mirrors include/booking.h and include/booking/sys/store.h
exactly; the test suite compiles a C program from STRUCTS and compares every
offset and size with what the compiler says, so a member added to the header
but not here fails a test instead of corrupting memory.

Nothing in this module is public API: use the `booking` package.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_int,
    c_int64,
    c_size_t,
    c_ubyte,
    c_uint,
    c_void_p,
)
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple

# --- constants of booking.h -------------------------------------------------

BK_OK = 0
BK_TIME_UNSET = -(2**63)
BK_TIME_MIN = -2208988800
BK_TIME_MAX = 7258118400
BK_ISO_SIZE = 21
BK_TOKEN_SIZE = 49
BK_OVERRIDE_MAX_INTERVALS = 48
BK_BOOKING_VERSION = 1
BK_STORE_VERSION = 2
BK_ICAL_LOCAL_TIME = 0x1

bk_time = c_int64


class bk_id(Structure):
    _fields_ = [("s", c_char * 37)]


class bk_date(Structure):
    _fields_ = [("year", c_int), ("month", c_int), ("day", c_int)]


class bk_local_interval(Structure):
    _fields_ = [("start_minute", c_int), ("end_minute", c_int)]


class bk_open_options(Structure):
    _fields_ = [
        ("version", c_uint),
        ("schema", c_char_p),
        ("migrate", c_int),
        ("booking_partitions", c_int),
    ]


class bk_provider(Structure):
    _fields_ = [
        ("version", c_uint),
        ("id", bk_id),
        ("username", c_char_p),
        ("email", c_char_p),
        ("full_name", c_char_p),
        ("timezone", c_char_p),
        ("business_name", c_char_p),
        ("description", c_char_p),
        ("avatar_url", c_char_p),
        ("created_at", bk_time),
        ("updated_at", bk_time),
        ("deleted_at", bk_time),
    ]


class bk_service(Structure):
    _fields_ = [
        ("version", c_uint),
        ("id", bk_id),
        ("provider", bk_id),
        ("name", c_char_p),
        ("description", c_char_p),
        ("duration_minutes", c_int),
        ("buffer_before_minutes", c_int),
        ("buffer_after_minutes", c_int),
        ("slot_step_minutes", c_int),
        ("min_notice_minutes", c_int),
        ("horizon_days", c_int),
        ("price_minor", c_int64),
        ("currency", c_char_p),
        ("active", c_int),
        ("display_order", c_int),
        ("requires_confirmation", c_int),
        ("created_at", bk_time),
        ("updated_at", bk_time),
    ]


class bk_availability(Structure):
    _fields_ = [
        ("version", c_uint),
        ("id", bk_id),
        ("provider", bk_id),
        ("weekday", c_int),
        ("start_minute", c_int),
        ("end_minute", c_int),
        ("is_available", c_int),
    ]


class bk_override(Structure):
    _fields_ = [
        ("version", c_uint),
        ("provider", bk_id),
        ("date", bk_date),
        ("n_intervals", c_size_t),
        ("intervals", POINTER(bk_local_interval)),
    ]


class bk_blocked(Structure):
    _fields_ = [
        ("version", c_uint),
        ("id", bk_id),
        ("provider", bk_id),
        ("start", bk_time),
        ("end", bk_time),
        ("rrule", c_char_p),
        ("reason", c_char_p),
    ]


class bk_slot_query(Structure):
    _fields_ = [
        ("version", c_uint),
        ("provider", bk_id),
        ("service", bk_id),
        ("from", bk_time),
        ("to", bk_time),
        ("now", bk_time),
    ]


class bk_slot(Structure):
    _fields_ = [("start", bk_time), ("end", bk_time)]


class bk_slot_verdict(Structure):
    _fields_ = [
        ("version", c_uint),
        ("reason", c_int),
        ("related", bk_id),
        ("start", bk_time),
        ("end", bk_time),
        ("message", c_char * 256),
    ]


BK_SLOT_VERDICT_VERSION = 1


class bk_booking(Structure):
    _fields_ = [
        ("version", c_uint),
        ("id", bk_id),
        ("provider", bk_id),
        ("service", bk_id),
        ("start", bk_time),
        ("end", bk_time),
        ("buffer_before_minutes", c_int),
        ("buffer_after_minutes", c_int),
        ("status", c_int),
        ("lock_version", c_int64),
        ("idempotency_key", c_char_p),
        ("customer_name", c_char_p),
        ("customer_email", c_char_p),
        ("customer_phone", c_char_p),
        ("customer_timezone", c_char_p),
        ("notes", c_char_p),
        ("cancellation_reason", c_char_p),
        ("created_at", bk_time),
        ("updated_at", bk_time),
        ("confirmed_at", bk_time),
        ("cancelled_at", bk_time),
        ("archived_at", bk_time),
    ]


class bk_book_request(Structure):
    _fields_ = [
        ("version", c_uint),
        ("provider", bk_id),
        ("service", bk_id),
        ("start", bk_time),
        ("now", bk_time),
        ("idempotency_key", c_char_p),
        ("customer_name", c_char_p),
        ("customer_email", c_char_p),
        ("customer_phone", c_char_p),
        ("customer_timezone", c_char_p),
        ("notes", c_char_p),
    ]


class bk_booking_filter(Structure):
    _fields_ = [
        ("version", c_uint),
        ("provider", bk_id),
        ("from", bk_time),
        ("to", bk_time),
        ("include_cancelled", c_int),
        ("statuses", c_uint),
        ("customer_email", c_char_p),
    ]


class bk_token_redeem_params(Structure):
    _fields_ = [
        ("version", c_uint),
        ("now", bk_time),
        ("new_start", bk_time),
        ("reason", c_char_p),
    ]


# --- include/booking/sys/store.h -------------------------------------------

class bk_store_token(Structure):
    _fields_ = [
        ("version", c_uint),
        ("id", bk_id),
        ("booking", bk_id),
        ("provider", bk_id),
        ("action", c_int),
        ("hash", c_ubyte * 32),
        ("expires_at", bk_time),
        ("used_at", bk_time),
        ("created_at", bk_time),
    ]


class bk_store_sink(Structure):
    _fields_ = [
        ("ctx", c_void_p),
        ("provider", CFUNCTYPE(c_int, c_void_p, POINTER(bk_provider))),
        ("service", CFUNCTYPE(c_int, c_void_p, POINTER(bk_service))),
        ("availability", CFUNCTYPE(c_int, c_void_p, POINTER(bk_availability))),
        ("override_day", CFUNCTYPE(c_int, c_void_p, POINTER(bk_override))),
        ("blocked", CFUNCTYPE(c_int, c_void_p, POINTER(bk_blocked))),
        ("booking", CFUNCTYPE(c_int, c_void_p, POINTER(bk_booking))),
        ("keyed_booking", CFUNCTYPE(c_int, c_void_p, POINTER(bk_booking))),
        ("credential", CFUNCTYPE(c_int, c_void_p, POINTER(bk_id), c_char_p)),
        ("token", CFUNCTYPE(c_int, c_void_p, POINTER(bk_store_token))),
    ]


class bk_schedule_request(Structure):
    _fields_ = [
        ("version", c_uint),
        ("provider", bk_id),
        ("service", bk_id),
        ("from", bk_time),
        ("to", bk_time),
        ("first_date", bk_date),
        ("last_date", bk_date),
        ("idempotency_key", c_char_p),
        ("slots_from", bk_time),
        ("slots_to", bk_time),
    ]


class bk_store_booking_query(Structure):
    _fields_ = [
        ("version", c_uint),
        ("provider", bk_id),
        ("from", bk_time),
        ("to", bk_time),
        ("include_cancelled", c_int),
        ("statuses", c_uint),
        ("customer_email_key", c_char_p),
    ]


class bk_store(Structure):
    pass


_S = POINTER(bk_store)
_E = c_void_p  # bk_store_err *: opaque
_SINK = POINTER(bk_store_sink)
_ID = POINTER(bk_id)
_DATE = POINTER(bk_date)
_HASH = POINTER(c_ubyte)

# The backend methods in header order: (name, argument types after `self`,
# ending with the error pointer).  All return int except close.
STORE_METHODS: List[Tuple[str, list]] = [
    ("provider_insert", [POINTER(bk_provider), c_char_p, c_char_p, _E]),
    ("provider_update", [POINTER(bk_provider), c_char_p, c_char_p, _E]),
    ("provider_get", [_ID, _SINK, _E]),
    ("provider_list", [_SINK, _E]),
    ("service_insert", [POINTER(bk_service), _E]),
    ("service_update", [POINTER(bk_service), _E]),
    ("service_get", [_ID, _SINK, _E]),
    ("service_list", [_ID, _SINK, _E]),
    ("availability_insert", [POINTER(bk_availability), _E]),
    ("availability_delete", [_ID, _E]),
    ("availability_list", [_ID, _SINK, _E]),
    ("override_put", [POINTER(bk_override), _E]),
    ("override_delete", [_ID, _DATE, _E]),
    ("override_list", [_ID, _DATE, _DATE, _SINK, _E]),
    ("blocked_insert", [POINTER(bk_blocked), _E]),
    ("blocked_delete", [_ID, _E]),
    ("blocked_list", [_ID, bk_time, bk_time, _SINK, _E]),
    ("booking_insert", [POINTER(bk_booking), c_char_p, _SINK, _E]),
    ("booking_get", [_ID, _SINK, _E]),
    ("booking_list", [POINTER(bk_store_booking_query), _SINK, _E]),
    ("booking_update", [POINTER(bk_booking), c_char_p, c_int64, _E]),
    ("schedule_load", [POINTER(bk_schedule_request), _SINK, _E]),
    ("provider_set_deleted", [_ID, bk_time, _E]),
    ("provider_purge", [bk_time, POINTER(c_size_t), _E]),
    ("provider_password_set", [_ID, c_char_p, c_char_p, _E]),
    ("provider_login", [c_char_p, _SINK, _E]),
    ("token_insert", [POINTER(bk_store_token), _E]),
    ("token_get", [_HASH, _SINK, _E]),
    ("token_redeem", [_HASH, bk_time, POINTER(bk_booking), c_char_p, c_int64, _E]),
    ("booking_find_by_email", [c_char_p, _SINK, _E]),
    ("bookings_erase", [c_char_p, bk_time, bk_time, POINTER(c_size_t), _E]),
    ("booking_archive", [bk_time, c_size_t, bk_time, POINTER(c_size_t), _E]),
]

STORE_CLOSE = CFUNCTYPE(None, _S)
STORE_METHOD_TYPES: Dict[str, Any] = {
    name: CFUNCTYPE(c_int, _S, *args) for name, args in STORE_METHODS
}

bk_store._fields_ = (
    [("version", c_uint), ("name", c_char_p), ("close", STORE_CLOSE)]
    + [(name, STORE_METHOD_TYPES[name]) for name, _ in STORE_METHODS]
)

# Every struct the binding lays out, by its C name, for the layout test.
STRUCTS: Dict[str, Any] = {
    cls.__name__: cls
    for cls in (
        bk_id, bk_date, bk_local_interval, bk_open_options, bk_provider,
        bk_service, bk_availability, bk_override, bk_blocked, bk_slot_query,
        bk_slot, bk_slot_verdict, bk_booking, bk_book_request,
        bk_booking_filter, bk_token_redeem_params, bk_store_token,
        bk_store_sink, bk_schedule_request, bk_store_booking_query, bk_store,
    )
}

# --- functions ---------------------------------------------------------------

_P = POINTER
_DB = c_void_p  # bk_db *: opaque
_OUT_DB = _P(c_void_p)
_CSTR_OUT = _P(c_void_p)  # char **: kept raw so that it can be freed
_SIZE_OUT = _P(c_size_t)

# name -> (return type, argument types).  This table is what the library is
# bound with (see _bind), and BOUND_FUNCTIONS is its key set: a function is
# "bound" exactly when it has a prototype here.
_PROTOTYPES: Dict[str, Tuple[Any, list]] = {
    # version, errors
    "bk_version": (c_char_p, []),
    "bk_version_number": (c_int, []),
    "bk_strerror": (c_char_p, [c_int]),
    "bk_errmsg": (c_char_p, [_DB]),
    "bk_errcode": (c_int, [_DB]),
    # time, zones, ids
    "bk_time_parse_iso": (c_int, [c_char_p, _P(bk_time)]),
    "bk_time_format_iso": (c_int, [bk_time, c_char_p]),
    "bk_time_format": (c_int, [bk_time, c_char_p, c_char_p, c_char_p, c_char_p, c_size_t]),
    "bk_timezone_valid": (c_int, [c_char_p]),
    "bk_timezone_canonical": (c_int, [c_char_p, c_char_p, c_size_t]),
    "bk_timezone_list": (c_int, [_P(_P(c_char_p)), _SIZE_OUT]),
    "bk_timezone_list_free": (None, [_P(c_char_p), c_size_t]),
    "bk_tzdata_version": (c_char_p, []),
    "bk_id_parse": (c_int, [c_char_p, _P(bk_id)]),
    # handles
    "bk_open": (c_int, [_OUT_DB, c_char_p]),
    "bk_open_options_init": (None, [_P(bk_open_options)]),
    "bk_open_ext": (c_int, [_OUT_DB, c_char_p, _P(bk_open_options)]),
    "bk_open_store": (c_int, [_OUT_DB, _P(bk_store)]),
    "bk_store_error": (c_int, [c_void_p, c_int, c_char_p]),  # variadic: printf-style
    "bk_close": (None, [_DB]),
    # providers
    "bk_provider_init": (None, [_P(bk_provider)]),
    "bk_provider_create": (c_int, [_DB, _P(bk_provider), _P(bk_id)]),
    "bk_provider_get": (c_int, [_DB, _P(bk_id), _P(_P(bk_provider))]),
    "bk_provider_update": (c_int, [_DB, _P(bk_provider)]),
    "bk_provider_list": (c_int, [_DB, _P(_P(_P(bk_provider))), _SIZE_OUT]),
    "bk_provider_delete": (c_int, [_DB, _P(bk_id)]),
    "bk_provider_restore": (c_int, [_DB, _P(bk_id)]),
    "bk_provider_purge": (c_int, [_DB, bk_time, _SIZE_OUT]),
    "bk_provider_set_password": (c_int, [_DB, _P(bk_id), c_char_p]),
    "bk_provider_set_password_hash": (c_int, [_DB, _P(bk_id), c_char_p]),
    "bk_provider_verify_password": (c_int, [_DB, c_char_p, c_char_p, _P(bk_id), _P(c_int)]),
    "bk_provider_free": (None, [_P(bk_provider)]),
    "bk_provider_list_free": (None, [_P(_P(bk_provider)), c_size_t]),
    # services
    "bk_service_init": (None, [_P(bk_service)]),
    "bk_service_create": (c_int, [_DB, _P(bk_service), _P(bk_id)]),
    "bk_service_get": (c_int, [_DB, _P(bk_id), _P(_P(bk_service))]),
    "bk_service_update": (c_int, [_DB, _P(bk_service)]),
    "bk_service_list": (c_int, [_DB, _P(bk_id), _P(_P(_P(bk_service))), _SIZE_OUT]),
    "bk_service_deactivate": (c_int, [_DB, _P(bk_id)]),
    "bk_service_free": (None, [_P(bk_service)]),
    "bk_service_list_free": (None, [_P(_P(bk_service)), c_size_t]),
    # weekly availability
    "bk_availability_init": (None, [_P(bk_availability)]),
    "bk_availability_add": (c_int, [_DB, _P(bk_availability), _P(bk_id)]),
    "bk_availability_list": (c_int, [_DB, _P(bk_id), _P(_P(_P(bk_availability))), _SIZE_OUT]),
    "bk_availability_delete": (c_int, [_DB, _P(bk_id)]),
    "bk_availability_free": (None, [_P(bk_availability)]),
    "bk_availability_list_free": (None, [_P(_P(bk_availability)), c_size_t]),
    # overrides
    "bk_override_init": (None, [_P(bk_override)]),
    "bk_override_set": (c_int, [_DB, _P(bk_override)]),
    "bk_override_list": (c_int, [_DB, _P(bk_id), _P(bk_date), _P(bk_date),
                                 _P(_P(_P(bk_override))), _SIZE_OUT]),
    "bk_override_delete": (c_int, [_DB, _P(bk_id), _P(bk_date)]),
    "bk_override_free": (None, [_P(bk_override)]),
    "bk_override_list_free": (None, [_P(_P(bk_override)), c_size_t]),
    # blocked periods
    "bk_blocked_init": (None, [_P(bk_blocked)]),
    "bk_blocked_add": (c_int, [_DB, _P(bk_blocked), _P(bk_id)]),
    "bk_blocked_list": (c_int, [_DB, _P(bk_id), bk_time, bk_time, _P(_P(_P(bk_blocked))), _SIZE_OUT]),
    "bk_blocked_delete": (c_int, [_DB, _P(bk_id)]),
    "bk_blocked_free": (None, [_P(bk_blocked)]),
    "bk_blocked_list_free": (None, [_P(_P(bk_blocked)), c_size_t]),
    # slots
    "bk_slot_query_init": (None, [_P(bk_slot_query)]),
    "bk_slots": (c_int, [_DB, _P(bk_slot_query), _P(_P(bk_slot)), _SIZE_OUT]),
    "bk_slots_free": (None, [_P(bk_slot)]),
    "bk_slot_explain": (c_int, [_DB, _P(bk_slot_query), bk_time, _P(bk_slot_verdict)]),
    "bk_slot_reason_name": (c_char_p, [c_int]),
    # bookings
    "bk_booking_status_name": (c_char_p, [c_int]),
    "bk_booking_status_parse": (c_int, [c_char_p, _P(c_int)]),
    "bk_booking_free": (None, [_P(bk_booking)]),
    "bk_booking_list_free": (None, [_P(_P(bk_booking)), c_size_t]),
    "bk_book_request_init": (None, [_P(bk_book_request)]),
    "bk_book": (c_int, [_DB, _P(bk_book_request), _P(_P(bk_booking))]),
    "bk_booking_import": (c_int, [_DB, _P(bk_booking), _P(bk_id)]),
    "bk_booking_get": (c_int, [_DB, _P(bk_id), _P(_P(bk_booking))]),
    "bk_booking_filter_init": (None, [_P(bk_booking_filter)]),
    "bk_booking_list": (c_int, [_DB, _P(bk_booking_filter), _P(_P(_P(bk_booking))), _SIZE_OUT]),
    "bk_booking_cancel": (c_int, [_DB, _P(bk_id), c_int64, c_char_p, _P(_P(bk_booking))]),
    "bk_booking_confirm": (c_int, [_DB, _P(bk_id), c_int64, _P(_P(bk_booking))]),
    "bk_booking_complete": (c_int, [_DB, _P(bk_id), c_int64, _P(_P(bk_booking))]),
    "bk_booking_mark_no_show": (c_int, [_DB, _P(bk_id), c_int64, _P(_P(bk_booking))]),
    "bk_booking_reschedule": (c_int, [_DB, _P(bk_id), c_int64, bk_time, bk_time, _P(_P(bk_booking))]),
    # tokens
    "bk_token_issue": (c_int, [_DB, _P(bk_id), c_int, bk_time, c_char_p]),
    "bk_token_redeem_params_init": (None, [_P(bk_token_redeem_params)]),
    "bk_token_redeem": (c_int, [_DB, c_char_p, _P(bk_token_redeem_params), _P(_P(bk_booking)), _P(c_int)]),
    # customer data, retention, archive
    "bk_customer_export": (c_int, [_DB, c_char_p, _CSTR_OUT]),
    "bk_customer_erase": (c_int, [_DB, c_char_p, _SIZE_OUT]),
    "bk_bookings_anonymise": (c_int, [_DB, bk_time, _SIZE_OUT]),
    "bk_booking_archive": (c_int, [_DB, bk_time, c_size_t, _SIZE_OUT]),
    # calendars and display
    "bk_string_free": (None, [c_void_p]),
    "bk_booking_ical": (c_int, [_DB, _P(bk_id), c_uint, _CSTR_OUT]),
    "bk_provider_ical_feed": (c_int, [_DB, _P(bk_id), bk_time, bk_time, c_uint, _CSTR_OUT]),
    "bk_slot_format": (c_int, [_P(bk_slot), c_char_p, c_char_p, c_uint, c_char_p, c_size_t]),
    "bk_booking_format": (c_int, [_DB, _P(bk_id), c_char_p, c_char_p, c_uint, c_char_p, c_size_t]),
}

#: The C functions this binding declares and calls (the coverage test
#: compares it with the library's exported symbols).
BOUND_FUNCTIONS: FrozenSet[str] = frozenset(_PROTOTYPES)


class LibraryNotFound(OSError):
    """libbooking.so.1 could not be located (see find_library)."""


class _Lib:
    """The loaded library: one attribute per bound function."""

    def __init__(self, cdll: ctypes.CDLL, path: str) -> None:
        self.path = path
        self.cdll = cdll
        #: Functions of BOUND_FUNCTIONS this library does not export (it is
        #: older than the binding); calling one raises booking.Misuse.
        self.missing: FrozenSet[str] = frozenset()
        missing = set()
        for name, (restype, argtypes) in _PROTOTYPES.items():
            try:
                fn = getattr(cdll, name)
            except AttributeError:
                missing.add(name)
                setattr(self, name, _missing_function(name, path))
                continue
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name, fn)
        self.missing = frozenset(missing)

    def __getattr__(self, name: str) -> Any:
        # Only reached for a name without a prototype: a bug in the binding.
        raise AttributeError(f"libbooking binding: {name} has no prototype in booking._ffi")


def _missing_function(name: str, path: str) -> Callable[..., Any]:
    def call(*_args: Any) -> Any:
        from .errors import Misuse

        raise Misuse(-12, f"{name}: not exported by {path} (a libbooking older than this binding)")

    return call


_lock = threading.Lock()
_lib: Optional[_Lib] = None


def _candidates(path: Optional[str]) -> List[str]:
    if path:
        return [path]
    env = os.environ.get("BOOKING_LIBRARY")
    if env:
        return [env]
    found = []
    pkg_config = shutil.which("pkg-config")
    if pkg_config:
        try:
            libdir = subprocess.run(
                [pkg_config, "--variable=libdir", "booking"],
                check=True, capture_output=True, text=True, timeout=30,
            ).stdout.strip()
        except (subprocess.SubprocessError, OSError):
            libdir = ""
        if libdir:
            found.append(os.path.join(libdir, "libbooking.so.1"))
    name = ctypes.util.find_library("booking")
    if name:
        found.append(name)
    return found


def find_library(path: Optional[str] = None) -> str:
    """Where libbooking is: `path` if given, else $BOOKING_LIBRARY, else the
    libdir of `pkg-config booking` (the installed tree), else what
    ctypes.util.find_library("booking") finds (the linker's search path)."""
    for candidate in _candidates(path):
        if os.sep not in candidate or os.path.exists(candidate):
            return candidate
    raise LibraryNotFound(
        "libbooking.so.1 not found: set BOOKING_LIBRARY to its path, call "
        "booking.load_library(path), or install libbooking so that "
        "`pkg-config --variable=libdir booking` names its directory"
    )


def load(path: Optional[str] = None) -> _Lib:
    """Loads libbooking (once per process; see find_library) and binds it."""
    global _lib
    with _lock:
        if _lib is not None:
            if path and os.path.realpath(path) != os.path.realpath(_lib.path):
                raise RuntimeError(f"libbooking is already loaded from {_lib.path}")
            return _lib
        where = find_library(path)
        try:
            cdll = ctypes.CDLL(where)
        except OSError as e:
            raise LibraryNotFound(f"cannot load {where}: {e}") from e
        _lib = _Lib(cdll, where)
        return _lib


def lib() -> _Lib:
    """The bound library, loading it on first use."""
    return _lib if _lib is not None else load()
