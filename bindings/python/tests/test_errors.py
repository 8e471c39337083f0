"""Bad input raises the exception of its family, carrying the library's code
and a message that names the field."""

from __future__ import annotations

import pickle
import unittest
import uuid
from datetime import date, datetime, time, timedelta

import booking
from booking import errors

from support import NOW, UTC, DbCase, at, minutes


class HierarchyTest(unittest.TestCase):
    def test_every_code_has_its_class(self) -> None:
        expected = {
            -1: booking.InvalidInput, -2: booking.NotFound, -3: booking.Conflict, -4: booking.Unavailable,
            -5: booking.Stale, -6: booking.BadState, -7: booking.OutOfMemory, -8: booking.Exists,
            -9: booking.StoreError, -10: booking.ConnectionError, -11: booking.CommitUnknown,
            -12: booking.Misuse, -13: booking.Expired, -14: booking.Used, -15: booking.Denied,
        }
        for code, cls in expected.items():
            self.assertIs(errors.error_class(code), cls)
            self.assertTrue(issubclass(cls, booking.Error))
            e = cls(code, "m")
            self.assertTrue(e.name.startswith("BK_E"))
            # Each name is the one bk_strerror describes (not checked
            # textually: a description, not an identifier).
            self.assertTrue(booking.strerror(code))
        self.assertIs(errors.error_class(-99), booking.Error)  # a newer library's code
        self.assertEqual(len({errors.error_class(c) for c in expected}), len(expected))

    def test_builtin_families(self) -> None:
        self.assertTrue(issubclass(booking.InvalidInput, ValueError))
        self.assertTrue(issubclass(booking.NotFound, LookupError))
        self.assertTrue(issubclass(booking.OutOfMemory, MemoryError))
        self.assertTrue(issubclass(booking.ConnectionError, ConnectionError))
        self.assertTrue(issubclass(booking.Denied, PermissionError))

    def test_str_repr_pickle(self) -> None:
        e = booking.Conflict(-3, "start: overlaps booking x")
        self.assertEqual(str(e), "start: overlaps booking x [BK_ECONFLICT]")
        self.assertEqual(repr(e), "Conflict(-3, 'start: overlaps booking x')")
        back = pickle.loads(pickle.dumps(e))
        self.assertIs(type(back), booking.Conflict)
        self.assertEqual((back.code, back.message), (-3, "start: overlaps booking x"))


class BadInputTest(DbCase):
    def assertInvalid(self, field: str, fn, *args, **kw) -> booking.InvalidInput:
        with self.assertRaises(booking.InvalidInput) as cm:
            fn(*args, **kw)
        self.assertEqual(cm.exception.code, -1)
        self.assertIn(field, cm.exception.message)
        return cm.exception

    def test_provider_fields_named(self) -> None:
        base = dict(username="u1", email="u1@example.com", full_name="U", timezone="UTC")
        cases = {
            "username": dict(username=""),
            "email": dict(email="no-at-sign"),
            "full_name": dict(full_name=None),
            "timezone": dict(timezone="Europe/Berlim"),
            "business_name": dict(business_name="x" * 201),
            "avatar_url": dict(avatar_url="x" * 2001),
        }
        for field, change in cases.items():
            with self.subTest(field=field):
                self.assertInvalid(field, self.db.create_provider, **{**base, **change})
        self.assertEqual(len(self.db.list_providers()), 1)  # nothing stored

    def test_strings_the_library_cannot_see(self) -> None:
        e = self.assertInvalid("full_name", self.db.create_provider, username="u2", email="u2@example.com",
                               full_name="a\0b", timezone="UTC")
        self.assertIn("NUL", e.message)
        self.assertInvalid("notes", self.book_at, "2026-03-30T07:00:00Z", notes="\udcff")  # lone surrogate

    def book_at(self, when: str, **kw):
        return self.db.book(self.anna, self.consult, at(when), customer_name="C", customer_email="c@example.com",
                            now=NOW, **kw)

    def test_service_fields_named(self) -> None:
        self.assertInvalid("duration", self.db.create_service, self.anna, "S", minutes(0))
        self.assertInvalid("duration", self.db.create_service, self.anna, "S", timedelta(seconds=90))
        self.assertInvalid("currency", self.db.create_service, self.anna, "S", minutes(30), currency="euro")
        self.assertInvalid("horizon", self.db.create_service, self.anna, "S", minutes(30),
                           horizon=timedelta(hours=36))
        self.assertInvalid("price_minor", self.db.create_service, self.anna, "S", minutes(30), price_minor=-1)
        self.assertInvalid("name", self.db.create_service, self.anna, None, minutes(30))
        self.assertInvalid("provider", self.db.create_service, "not-a-uuid", "S", minutes(30))
        self.assertInvalid("provider", self.db.create_service, "x" * 60, "S", minutes(30))
        with self.assertRaises(booking.NotFound):
            self.db.create_service(str(uuid.uuid4()), "S", minutes(30))

    def test_times_and_dates(self) -> None:
        e = self.assertInvalid("start", self.db.book, self.anna, self.consult, datetime(2026, 3, 30, 9),
                               customer_name="C", customer_email="c@example.com", now=NOW)
        self.assertIn("naive", e.message)
        self.assertInvalid("start", self.db.add_availability, self.anna, 1, time(9, 0, 30), time(17))
        self.assertInvalid("start", self.db.add_availability, self.anna, 1, time(18), time(17))
        self.assertInvalid("weekday", self.db.add_availability, self.anna, 7, time(9), time(17))
        self.assertInvalid("end", self.db.add_availability, self.anna, 1, time(9), timedelta(hours=25))
        self.assertInvalid("intervals", self.db.set_override, self.anna, date(2026, 3, 30), [(time(12), time(10))])
        self.assertInvalid("n_intervals", self.db.set_override, self.anna, date(2026, 3, 30),
                           [(time(0), time(0, 10))] * 49)
        self.assertInvalid("to", self.db.slots, self.anna, self.consult, at("2026-03-24T00:00:00Z"),
                           at("2026-03-23T00:00:00Z"), now=NOW)
        self.assertInvalid("to", self.db.slots, self.anna, self.consult, at("2026-01-01T00:00:00Z"),
                           at("2027-06-01T00:00:00Z"), now=NOW)  # over BK_SLOT_WINDOW_MAX

    def test_wrong_python_types_are_type_errors(self) -> None:
        with self.assertRaises(TypeError):
            self.db.slots(self.anna, self.consult, "2026-03-23", at("2026-03-24T00:00:00Z"))
        with self.assertRaises(TypeError):
            self.db.create_service(self.anna, "S", 30)  # minutes must be a timedelta
        with self.assertRaises(TypeError):
            self.db.set_override(self.anna, datetime(2026, 3, 30, tzinfo=UTC))
        with self.assertRaises(TypeError):
            self.db.create_provider(username=b"bytes", email="b@example.com", full_name="B", timezone="UTC")
        with self.assertRaises(TypeError):
            self.db.get_provider(42)

    def test_not_found_family(self) -> None:
        missing = str(uuid.uuid4())
        for call in (lambda: self.db.get_provider(missing), lambda: self.db.get_service(missing),
                     lambda: self.db.get_booking(missing), lambda: self.db.delete_blocked(missing),
                     lambda: self.db.delete_provider(missing), lambda: self.db.restore_provider(missing),
                     lambda: self.db.deactivate_service(missing), lambda: self.db.list_services(missing),
                     lambda: self.db.set_password(missing, "long enough password"),
                     lambda: self.db.cancel_booking(missing, lock_version=1)):
            with self.subTest(call=call):
                with self.assertRaises(booking.NotFound) as cm:
                    call()
                self.assertEqual(cm.exception.code, -2)
                self.assertTrue(cm.exception.message)

    def test_unavailable_reasons(self) -> None:
        for when in ("2026-03-30T06:00:00Z",   # 08:00 Berlin: before work
                     "2026-03-30T07:10:00Z",   # off the grid
                     "2026-03-28T09:00:00Z"):  # Saturday
            with self.subTest(when=when):
                with self.assertRaises(booking.Unavailable) as cm:
                    self.book_at(when)
                self.assertEqual(cm.exception.code, -4)
        with self.assertRaises(booking.Unavailable):  # notice: in the past of `now`
            self.db.book(self.anna, self.consult, at("2026-03-30T07:00:00Z"), customer_name="C",
                         customer_email="c@example.com", now=at("2026-03-30T07:30:00Z"))

    def test_denied_for_unknown_login(self) -> None:
        with self.assertRaises(booking.Denied):
            self.db.verify_password("nobody", "whatever password")

    def test_handleless_message_slot(self) -> None:
        with self.assertRaises(booking.InvalidInput) as cm:
            booking.parse_time_iso("yesterday")
        self.assertEqual(booking.last_error(), (-1, cm.exception.message))


if __name__ == "__main__":
    unittest.main()
