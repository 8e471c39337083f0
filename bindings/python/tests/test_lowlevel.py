"""bk_open_store and bk_store_error through booking.lowlevel: a storage
backend written in Python, which also proves the vtable and sink layouts
(a method at the wrong offset would be called for the wrong operation)."""

from __future__ import annotations

import ctypes
import unittest
import uuid
from typing import List

import booking
from booking import _ffi, lowlevel

BK_ESTORE = -9


def stub_methods(calls: List[str]):
    """Every method reports BK_ESTORE naming itself, through bk_store_error."""
    def stub(name: str):
        def method(_self, *args):
            calls.append(name)
            return lowlevel.store_error(args[-1], BK_ESTORE, f"{name}: not in this store")
        return method
    return {name: stub(name) for name in lowlevel.METHODS}


class LowLevelTest(unittest.TestCase):
    def test_unknown_version_is_misuse_and_closes(self) -> None:
        closed: List[int] = []
        store = lowlevel.make_store("py", {}, close=lambda s: closed.append(1), version=999)
        with self.assertRaises(booking.Misuse) as cm:
            booking.open_store(store)
        self.assertIn("999", cm.exception.message)
        self.assertEqual(closed, [1])

    def test_missing_method_is_misuse(self) -> None:
        closed: List[int] = []
        methods = stub_methods([])
        del methods["schedule_load"]
        store = lowlevel.make_store("py", methods, close=lambda s: closed.append(1))
        with self.assertRaises(booking.Misuse) as cm:
            booking.open_store(store)
        self.assertIn("store", cm.exception.message)
        self.assertEqual(closed, [1])

    def test_python_backend(self) -> None:
        calls: List[str] = []
        closed: List[int] = []
        methods = stub_methods(calls)
        keep = []

        def provider_get(_self, id_ptr, sink_ptr, _err):
            calls.append("provider_get")
            p = _ffi.bk_provider()
            booking._api._L().bk_provider_init(ctypes.byref(p))
            p.id = id_ptr.contents
            p.username, p.email, p.full_name, p.timezone = b"py", b"py@example.com", b"Py Thon", b"Asia/Tokyo"
            keep.append(p)
            sink = sink_ptr.contents
            return sink.provider(sink.ctx, ctypes.byref(p))

        methods["provider_get"] = provider_get
        store = lowlevel.make_store("python", methods, close=lambda s: closed.append(1))
        db = booking.open_store(store)
        with db:
            self.assertIn("python", repr(db))
            pid = str(uuid.uuid4())
            p = db.get_provider(pid)
            self.assertEqual((p.id, p.username, p.timezone), (pid, "py", "Asia/Tokyo"))
            with self.assertRaises(booking.StoreError) as cm:
                db.list_providers()
            self.assertEqual(cm.exception.code, BK_ESTORE)
            self.assertEqual(cm.exception.message, "provider_list: not in this store")
            with self.assertRaises(booking.StoreError) as cm:
                db.get_booking(pid)
            self.assertEqual(cm.exception.message, "booking_get: not in this store")
            self.assertEqual(calls, ["provider_get", "provider_list", "booking_get"])
            self.assertEqual(closed, [])
        self.assertEqual(closed, [1])  # bk_close called the backend's close

    def test_free_functions_accept_null(self) -> None:
        # booking.h: every free function accepts NULL.  (The binding itself
        # never passes NULL; bk_availability_free, bk_blocked_free and
        # bk_override_free have no single record to free, since rows,
        # periods and overrides only come in lists.)
        lib = booking._api._L()
        frees = sorted(n for n in booking.BOUND_FUNCTIONS if n.endswith("_free"))
        self.assertGreaterEqual(len(frees), 15)
        for name in frees:
            fn = getattr(lib, name)
            fn(None, 0) if "list_free" in name else fn(None)

    def test_store_error_without_err(self) -> None:
        self.assertEqual(lowlevel.store_error(None, -4, "dropped"), -4)

    def test_wrong_store_type(self) -> None:
        with self.assertRaises(TypeError):
            booking.open_store(object())


if __name__ == "__main__":
    unittest.main()
