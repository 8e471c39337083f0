"""For storage-backend authors: the bk_store vtable of
include/booking/sys/store.h as ctypes, bk_open_store and bk_store_error.

Applications never need this module.  A backend is a `Store` whose members
are ctypes callbacks (`Store.method_type(name)` gives each one's prototype);
`booking.open_store(store)` opens a Database over it, and a method reports
an error with `store_error(err, code, message)`.  The Database keeps the
Store and its callbacks alive until it is closed.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from . import _ffi
from ._api import open_store, store_error

__all__ = ["Store", "STORE_VERSION", "METHODS", "make_store", "open_store", "store_error"]

Store = _ffi.bk_store
STORE_VERSION = _ffi.BK_STORE_VERSION
#: The backend methods in the order of the vtable (close excluded).
METHODS = tuple(name for name, _ in _ffi.STORE_METHODS)


def method_type(name: str) -> Any:
    """The ctypes prototype of a backend method ("close" included)."""
    return _ffi.STORE_CLOSE if name == "close" else _ffi.STORE_METHOD_TYPES[name]


Store.method_type = staticmethod(method_type)  # type: ignore[attr-defined]


def make_store(name: str, methods: Dict[str, Callable[..., Any]], *,
               close: Optional[Callable[[Any], None]] = None, version: int = STORE_VERSION) -> "_ffi.bk_store":
    """Builds a Store from Python callables (each gets the C arguments,
    `self` first, and returns a BK_* status); methods left out stay NULL,
    which bk_open_store refuses as BK_EMISUSE."""
    store = Store()
    store.version = version
    store._name_bytes = name.encode("utf-8")  # kept alive with the struct
    store.name = store._name_bytes
    callbacks = []
    if close is not None:
        cb = _ffi.STORE_CLOSE(close)
        callbacks.append(cb)
        store.close = cb
    for method, fn in methods.items():
        if method not in _ffi.STORE_METHOD_TYPES:
            raise ValueError(f"{method}: not a bk_store method")
        cb = _ffi.STORE_METHOD_TYPES[method](fn)
        callbacks.append(cb)
        setattr(store, method, cb)
    store._callbacks = callbacks
    return store
