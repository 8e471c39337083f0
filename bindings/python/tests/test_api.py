"""The Python binding against the library: every public call, Python values
in and out, answers checked against what the C API promises."""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import gc
import threading
import unittest
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import booking
from booking import BookingStatus, SlotReason, TokenAction, Weekday, ZoneStyle

from support import NOW, UTC, DbCase, at, iso, minutes

BERLIN = ZoneInfo("Europe/Berlin")


def weak_argon2id(password: str) -> str:
    sodium = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
    assert sodium.sodium_init() >= 0
    out = ctypes.create_string_buffer(128)  # crypto_pwhash_STRBYTES
    raw = password.encode()
    sodium.crypto_pwhash_argon2id_str.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong,
                                                  ctypes.c_ulonglong, ctypes.c_size_t]
    # opslimit 1, memlimit 8 KiB: the smallest Argon2id libsodium makes.
    assert sodium.crypto_pwhash_argon2id_str(out, raw, len(raw), 1, 8192) == 0
    return out.value.decode()


def plain(text: str) -> str:
    return text.replace("\u2009", " ").replace("\u202f", " ").replace("\u00a0", " ")


class HandleTest(unittest.TestCase):
    def test_context_manager_closes(self) -> None:
        with booking.open("memory:") as db:
            self.assertFalse(db.closed)
            self.assertEqual(db.list_providers(), [])
        self.assertTrue(db.closed)
        db.close()  # idempotent
        with self.assertRaises(booking.Misuse) as cm:
            db.list_providers()
        self.assertEqual(cm.exception.code, -12)
        self.assertIn("closed", cm.exception.message)

    def test_named_memory_store_is_shared(self) -> None:
        name = f"memory:py-{uuid.uuid4()}"
        with booking.open(name) as a, booking.open(name) as b:
            pid = a.create_provider(username="shared", email="s@example.com", full_name="S",
                                    timezone="UTC")
            self.assertEqual(b.get_provider(pid).username, "shared")
        with booking.open(name) as c:  # the last handle closed: the store is gone
            self.assertEqual(c.list_providers(), [])

    def test_open_ext_options_and_bad_uri(self) -> None:
        # Options are PostgreSQL's; the memory backend ignores them, and the
        # call goes through bk_open_ext.
        with booking.open("memory:", schema="app", migrate=False, booking_partitions=0) as db:
            self.assertEqual(db.list_providers(), [])
        with self.assertRaises(booking.InvalidInput) as cm:
            booking.open("nosuch:thing")
        self.assertIn("uri", cm.exception.message)
        self.assertEqual(booking.last_error()[0], -1)

    def test_unreachable_server_is_connection_error(self) -> None:
        # Port 1 on loopback refuses at once: no server, no wait.
        with self.assertRaises(booking.ConnectionError) as cm:
            booking.open("postgresql://bk@127.0.0.1:1/none?connect_timeout=5")
        self.assertEqual(cm.exception.code, -10)
        self.assertIsInstance(cm.exception, OSError)  # the builtin family too

    def test_garbage_collected_handle_is_closed(self) -> None:
        db = booking.open("memory:")
        fin = db._finalizer
        del db
        gc.collect()
        self.assertFalse(fin.alive)

    def test_last_error_of_handle(self) -> None:
        with booking.open("memory:") as db:
            with self.assertRaises(booking.NotFound):
                db.get_provider(str(uuid.uuid4()))
            code, message = db.last_error
            self.assertEqual(code, -2)
            self.assertIn("provider", message)


class HandlelessTest(unittest.TestCase):
    def test_version(self) -> None:
        self.assertRegex(booking.version(), r"^\d+\.\d+\.\d+$")
        major, minor, patch = (int(x) for x in booking.version().split("."))
        self.assertEqual(booking.version_number(), major * 10000 + minor * 100 + patch)

    def test_strerror(self) -> None:
        self.assertNotEqual(booking.strerror(-3), booking.strerror(-4))
        self.assertEqual(booking.strerror(12345), booking.strerror(54321))  # "unknown status"

    def test_iso_round_trip(self) -> None:
        t = booking.parse_time_iso("2026-03-29T01:30:00Z")
        self.assertEqual(t, datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
        self.assertEqual(booking.format_time_iso(t.astimezone(BERLIN)), "2026-03-29T01:30:00Z")
        self.assertEqual(booking.format_time_iso(datetime(1901, 1, 1, tzinfo=UTC)), "1901-01-01T00:00:00Z")
        with self.assertRaises(booking.InvalidInput):
            booking.parse_time_iso("2026-03-29 01:30")
        with self.assertRaises(booking.InvalidInput) as cm:
            booking.format_time_iso(datetime(2200, 1, 1, tzinfo=UTC))
        self.assertEqual(cm.exception.code, -1)

    def test_format_time(self) -> None:
        t = at("2026-03-30T07:00:00Z")
        self.assertEqual(booking.format_time(t, "Europe/Berlin", "de_DE", "HHmm"), "09:00")
        self.assertIn("3:00", booking.format_time(t, "America/New_York", "en_US", "jmm"))
        with self.assertRaises(booking.InvalidInput):
            booking.format_time(t, "Mars/Olympus")

    def test_format_time_grows_its_buffer(self) -> None:
        # A skeleton that makes long text: the binding must retry with the
        # size the library says it needs, not truncate.
        long = booking.format_time(at("2026-03-30T07:00:00Z"), "Europe/Berlin", "de_DE",
                                   "EEEEMMMMdyyyyHHmmsszzzz" * 1)
        self.assertIn("Mitteleuropäische Sommerzeit", long)

    def test_zones(self) -> None:
        self.assertTrue(booking.is_valid_timezone("Asia/Kathmandu"))
        self.assertFalse(booking.is_valid_timezone("Europe/Berlim"))
        self.assertEqual(booking.canonical_timezone("US/Eastern"), "America/New_York")
        self.assertEqual(booking.canonical_timezone("Asia/Calcutta"), "Asia/Kolkata")
        with self.assertRaises(booking.InvalidInput):
            booking.canonical_timezone("Nowhere/Special")
        zones = booking.timezones()
        self.assertEqual(zones, sorted(zones, key=lambda z: z.encode()))
        self.assertIn("Europe/Berlin", zones)
        self.assertIn("UTC", zones)
        self.assertNotIn("US/Eastern", zones)
        self.assertRegex(booking.tzdata_version(), r"^\d{4}[a-z]$|^unknown$")

    def test_parse_id(self) -> None:
        u = str(uuid.uuid4())
        self.assertEqual(booking.parse_id(u), u)
        with self.assertRaises(booking.InvalidInput):
            booking.parse_id("not-a-uuid")

    def test_status_and_reason_names(self) -> None:
        self.assertEqual(BookingStatus.NO_SHOW.label, "no_show")
        self.assertIs(BookingStatus.parse("cancelled"), BookingStatus.CANCELLED)
        with self.assertRaises(booking.InvalidInput):
            BookingStatus.parse("canceled")
        self.assertEqual(SlotReason.BLOCKED.label, "blocked")
        self.assertEqual(SlotReason.OFFERED.label, "offered")

    def test_format_slot(self) -> None:
        slot = booking.Slot(at("2026-03-30T07:00:00Z"), at("2026-03-30T07:30:00Z"))
        self.assertEqual(booking.format_slot(slot, "Asia/Tokyo", "ja_JP", ZoneStyle.NAME),
                         "2026年3月30日(月) 16時00分～16時30分(JST)")
        self.assertIn("GMT+2", booking.format_slot(slot, "Europe/Berlin", "de_DE", ZoneStyle.OFFSET))
        with self.assertRaises(booking.InvalidInput):
            booking.format_slot((slot.end, slot.start), "UTC")


class ProviderTest(DbCase):
    def test_create_get_update_list(self) -> None:
        p = self.db.get_provider(self.anna)
        self.assertEqual(p.id, self.anna)
        self.assertEqual(p.username, "anna")
        self.assertEqual(p.business_name, "Praxis Schmidt")
        self.assertIsNone(p.description)
        self.assertEqual(p.zone, BERLIN)
        self.assertIsNotNone(p.created_at)
        self.assertEqual(p.created_at.tzinfo, UTC)
        self.assertFalse(p.deleted)
        self.db.update_provider(dataclasses.replace(p, full_name="Dr. Anna Schmidt-Lang",
                                                    description="Allgemeinmedizin"))
        q = self.db.get_provider(uuid.UUID(self.anna))  # a UUID works as an id too
        self.assertEqual(q.full_name, "Dr. Anna Schmidt-Lang")
        self.assertEqual(q.description, "Allgemeinmedizin")
        ben = self.db.create_provider(username="ben", email="ben@example.com", full_name="Ben",
                                      timezone="America/New_York")
        self.assertEqual([p.id for p in self.db.list_providers()], [self.anna, ben])

    def test_unicode_round_trip(self) -> None:
        pid = self.db.create_provider(username="zoë", email="zoë@exämple.com",
                                      full_name="Zoë Ångström 日本", timezone="Asia/Tokyo")
        p = self.db.get_provider(pid)
        self.assertEqual(p.full_name, "Zoë Ångström 日本")
        self.assertEqual(p.username, "zoë")

    def test_duplicate_is_exists(self) -> None:
        with self.assertRaises(booking.Exists) as cm:
            self.db.create_provider(username="ANNA", email="other@example.com", full_name="A",
                                    timezone="UTC")
        self.assertIn("username", cm.exception.message)

    def test_soft_delete_restore_purge(self) -> None:
        self.db.delete_provider(self.anna)
        self.assertEqual(self.db.list_providers(), [])
        self.assertTrue(self.db.get_provider(self.anna).deleted)
        with self.assertRaises(booking.NotFound):
            self.db.slots(self.anna, self.consult, at("2026-03-23T00:00:00Z"), at("2026-03-24T00:00:00Z"),
                          now=NOW)
        self.db.restore_provider(self.anna)
        self.assertEqual(len(self.db.list_providers()), 1)
        self.assertEqual(self.db.purge_providers(datetime.now(UTC) + timedelta(days=1)), 0)
        self.db.delete_provider(self.anna)
        self.assertEqual(self.db.purge_providers(datetime.now(UTC) + timedelta(days=1)), 1)
        with self.assertRaises(booking.NotFound):
            self.db.get_provider(self.anna)

    def test_passwords(self) -> None:
        self.db.set_password(self.anna, "correct horse battery")
        login = self.db.verify_password("ANNA@praxis.example", "correct horse battery")
        self.assertEqual(login.provider, self.anna)
        self.assertFalse(login.rehashed)
        with self.assertRaises(booking.Denied) as cm:
            self.db.verify_password("anna", "wrong horse battery")
        self.assertEqual(cm.exception.code, -15)
        self.assertNotIn("horse", cm.exception.message)  # never the clear text
        with self.assertRaises(booking.InvalidInput) as cm:
            self.db.set_password(self.anna, "short")
        self.assertIn("password", cm.exception.message)
        # A hash made elsewhere with weaker limits (libsodium's minimum, made
        # here through libsodium itself) is accepted and upgraded at the next
        # successful login; a bcrypt one is refused.
        with self.assertRaises(booking.InvalidInput):
            self.db.set_password_hash(self.anna, "$2b$10$notargon")
        self.db.set_password_hash(self.anna, weak_argon2id("imported password"))
        with self.assertRaises(booking.Denied):  # the imported hash replaced the old one
            self.db.verify_password("anna", "correct horse battery")
        self.assertTrue(self.db.verify_password("anna", "imported password").rehashed)
        self.assertFalse(self.db.verify_password("anna", "imported password").rehashed)


class ServiceTest(DbCase):
    def test_defaults_come_from_the_library(self) -> None:
        s = self.db.get_service(self.consult)
        self.assertEqual(s.duration, minutes(30))
        self.assertEqual(s.buffer_after, minutes(10))
        self.assertEqual(s.buffer_before, timedelta(0))
        self.assertEqual(s.currency, "EUR")  # BK_SERVICE_INIT's
        self.assertTrue(s.active)
        self.assertFalse(s.requires_confirmation)
        self.assertEqual(s.price_minor, 6000)

    def test_update_list_deactivate(self) -> None:
        s = self.db.get_service(self.consult)
        self.db.update_service(dataclasses.replace(s, name="Long consultation", duration=minutes(60),
                                                   horizon=timedelta(days=30), description="bring x-rays"))
        t = self.db.get_service(self.consult)
        self.assertEqual((t.name, t.duration, t.horizon, t.description),
                         ("Long consultation", minutes(60), timedelta(days=30), "bring x-rays"))
        second = self.db.create_service(self.anna, "Check-up", minutes(15), display_order=-1,
                                        requires_confirmation=True, currency="USD")
        self.assertEqual([x.id for x in self.db.list_services(self.anna)], [second, self.consult])
        self.db.deactivate_service(second)
        self.assertFalse(self.db.get_service(second).active)
        with self.assertRaises(booking.InvalidInput):  # DESIGN 3.6: an error, never []
            self.db.slots(self.anna, second, at("2026-03-23T00:00:00Z"), at("2026-03-24T00:00:00Z"), now=NOW)


class ScheduleTest(DbCase):
    def test_availability_rows(self) -> None:
        cut = self.db.add_availability(self.anna, Weekday.MONDAY, timedelta(hours=12), timedelta(hours=13),
                                       is_available=False)
        rows = self.db.list_availability(self.anna)
        self.assertEqual(len(rows), 6)
        monday = [r for r in rows if r.weekday is Weekday.MONDAY]
        self.assertEqual([(r.start, r.end, r.is_available) for r in monday],
                         [(timedelta(hours=9), timedelta(hours=17), True),
                          (timedelta(hours=12), timedelta(hours=13), False)])
        slots = self.db.slots(self.anna, self.consult, at("2026-03-23T00:00:00Z"), at("2026-03-24T00:00:00Z"),
                              now=NOW)
        self.assertEqual(len(slots), 14)  # 16 half hours minus lunch
        self.db.delete_availability(cut)
        self.assertEqual(len(self.db.list_availability(self.anna)), 5)
        with self.assertRaises(booking.NotFound):
            self.db.delete_availability(cut)

    def test_end_of_day_is_24h(self) -> None:
        self.db.add_availability(self.anna, Weekday.SATURDAY, time(23), timedelta(hours=24))
        slots = self.db.slots(self.anna, self.consult, at("2026-03-28T00:00:00Z"), at("2026-03-29T00:00:00Z"),
                              now=NOW)
        self.assertEqual([s.astimezone(BERLIN).start.time() for s in slots], [time(23), time(23, 30)])

    def test_overrides(self) -> None:
        self.db.set_override(self.anna, date(2026, 3, 29), [(time(10), time(12))])
        self.db.set_override(self.anna, date(2026, 3, 30))  # a day off
        got = self.db.list_overrides(self.anna, date(2026, 3, 1), date(2026, 3, 31))
        self.assertEqual([(o.date, o.intervals) for o in got],
                         [(date(2026, 3, 29), ((timedelta(hours=10), timedelta(hours=12)),)),
                          (date(2026, 3, 30), ())])
        slots = self.db.slots(self.anna, self.consult, at("2026-03-29T00:00:00Z"), at("2026-03-31T00:00:00Z"),
                              now=NOW)
        # Sunday 29 March, after the spring-forward: 10:00 Berlin is 08:00Z.
        self.assertEqual([iso(s.start) for s in slots], ["2026-03-29T08:00:00Z", "2026-03-29T08:30:00Z",
                                                         "2026-03-29T09:00:00Z", "2026-03-29T09:30:00Z"])
        self.db.delete_override(self.anna, date(2026, 3, 30))
        self.assertEqual(len(self.db.list_overrides(self.anna, date(2026, 3, 1), date(2026, 3, 31))), 1)

    def test_blocked_periods(self) -> None:
        bid = self.db.add_blocked(self.anna, at("2026-03-23T08:00:00Z"), at("2026-03-23T09:00:00Z"),
                                  reason="meeting")
        rid = self.db.add_blocked(self.anna, at("2026-03-24T11:00:00Z"), at("2026-03-24T12:00:00Z"),
                                  rrule="FREQ=DAILY;COUNT=3")
        got = self.db.list_blocked(self.anna, at("2026-03-01T00:00:00Z"), at("2026-04-01T00:00:00Z"))
        self.assertEqual([(b.id, b.reason, b.rrule) for b in got],
                         [(bid, "meeting", None), (rid, None, "FREQ=DAILY;COUNT=3")])
        v = self.db.explain_slot(self.anna, self.consult, at("2026-03-23T00:00:00Z"), at("2026-03-24T00:00:00Z"),
                                 at("2026-03-23T08:30:00Z"), now=NOW)
        self.assertIs(v.reason, SlotReason.BLOCKED)
        self.assertEqual(v.related, bid)
        self.assertFalse(v.offered)
        self.assertTrue(v.message)
        with self.assertRaises(booking.InvalidInput) as cm:
            self.db.add_blocked(self.anna, at("2026-03-23T08:00:00Z"), at("2026-03-23T09:00:00Z"),
                                rrule="FREQ=HOURLY")
        self.assertIn("rrule", cm.exception.message)
        self.db.delete_blocked(bid)
        self.assertEqual(len(self.db.list_blocked(self.anna, at("2026-03-01T00:00:00Z"),
                                                  at("2026-04-01T00:00:00Z"))), 1)


class BookingTest(DbCase):
    MONDAY_0900 = at("2026-03-30T07:00:00Z")  # 09:00 Berlin, after the change

    def test_book_conflict_and_slots(self) -> None:
        b = self.book(self.MONDAY_0900, customer_timezone="America/New_York", notes="first visit")
        self.assertEqual(b.status, BookingStatus.CONFIRMED)
        self.assertEqual(b.start, self.MONDAY_0900)
        self.assertEqual(b.end - b.start, minutes(30))
        self.assertEqual(b.buffer_after, minutes(10))
        self.assertEqual(b.lock_version, 1)
        self.assertEqual(b.notes, "first visit")
        self.assertIsNone(b.cancelled_at)
        with self.assertRaises(booking.Conflict) as cm:
            self.book(self.MONDAY_0900, email="else@example.com")
        self.assertEqual(cm.exception.code, -3)
        self.assertIn(b.id, cm.exception.message)
        with self.assertRaises(booking.Unavailable):
            self.book(at("2026-03-29T07:00:00Z"))  # Sunday
        slots = self.db.slots(self.anna, self.consult, at("2026-03-30T00:00:00Z"), at("2026-03-31T00:00:00Z"),
                              now=NOW)
        starts = [s.start for s in slots]
        self.assertNotIn(self.MONDAY_0900, starts)
        self.assertNotIn(self.MONDAY_0900 + minutes(30), starts)  # inside the buffer
        self.assertEqual(len(slots), 14)
        self.assertEqual(self.db.get_booking(b.id), b)

    def test_pending_life_cycle_and_stale(self) -> None:
        svc = self.db.create_service(self.anna, "Surgery", minutes(60), requires_confirmation=True)
        b = self.db.book(self.anna, svc, self.MONDAY_0900, customer_name="Kim", customer_email="kim@example.com",
                         now=NOW)
        self.assertIs(b.status, BookingStatus.PENDING)
        c = self.db.confirm_booking(b)
        self.assertIs(c.status, BookingStatus.CONFIRMED)
        self.assertEqual(c.lock_version, 2)
        self.assertIsNotNone(c.confirmed_at)
        with self.assertRaises(booking.Stale):
            self.db.complete_booking(b)  # b is the old version
        with self.assertRaises(booking.InvalidInput):
            self.db.complete_booking(b.id)  # an id alone needs lock_version
        done = self.db.complete_booking(b.id, lock_version=c.lock_version)
        self.assertIs(done.status, BookingStatus.COMPLETED)
        with self.assertRaises(booking.BadState) as cm:
            self.db.cancel_booking(done)
        self.assertEqual(cm.exception.code, -6)

    def test_cancel_no_show_reschedule(self) -> None:
        b = self.book(self.MONDAY_0900)
        moved = self.db.reschedule_booking(b, self.MONDAY_0900 + timedelta(hours=2), now=NOW)
        self.assertEqual((moved.id, moved.start, moved.lock_version), (b.id, self.MONDAY_0900 + timedelta(hours=2), 2))
        with self.assertRaises(booking.Unavailable):
            self.db.reschedule_booking(moved, self.MONDAY_0900 + minutes(7), now=NOW)  # off the grid
        gone = self.db.cancel_booking(moved, reason="called in sick")
        self.assertIs(gone.status, BookingStatus.CANCELLED)
        self.assertEqual(gone.cancellation_reason, "called in sick")
        self.assertIsNotNone(gone.cancelled_at)
        other = self.book(self.MONDAY_0900 + timedelta(hours=2), email="x@example.com")  # time freed
        absent = self.db.mark_no_show(other)
        self.assertIs(absent.status, BookingStatus.NO_SHOW)

    def test_idempotency_key(self) -> None:
        a = self.book(self.MONDAY_0900, idempotency_key="order-1234")
        b = self.book(self.MONDAY_0900, idempotency_key="order-1234")
        self.assertEqual(a.id, b.id)
        with self.assertRaises(booking.InvalidInput):
            self.book(self.MONDAY_0900 + timedelta(hours=1), idempotency_key="order-1234")

    def test_list_filters(self) -> None:
        a = self.book(self.MONDAY_0900)
        b = self.book(self.MONDAY_0900 + timedelta(hours=1), email="pat@example.com")
        self.db.cancel_booking(b)
        everything = self.db.list_bookings(self.anna)
        self.assertEqual([x.id for x in everything], [a.id, b.id])
        live = self.db.list_bookings(self.anna, include_cancelled=False)
        self.assertEqual([x.id for x in live], [a.id])
        only_cancelled = self.db.list_bookings(self.anna, statuses=[BookingStatus.CANCELLED])
        self.assertEqual([x.id for x in only_cancelled], [b.id])
        by_email = self.db.list_bookings(self.anna, customer_email="PAT@example.com")
        self.assertEqual([x.id for x in by_email], [b.id])
        window = self.db.list_bookings(self.anna, self.MONDAY_0900 + minutes(45), self.MONDAY_0900 + minutes(90))
        self.assertEqual([x.id for x in window], [b.id])

    def test_import(self) -> None:
        bid = self.db.import_booking(self.anna, self.consult, at("2026-03-23T08:05:00Z"), at("2026-03-23T08:20:00Z"),
                                     status=BookingStatus.COMPLETED, customer_name="Old", customer_email="o@example.com",
                                     buffer_before=minutes(5))
        b = self.db.get_booking(bid)
        self.assertEqual((b.status, b.buffer_before, b.lock_version), (BookingStatus.COMPLETED, minutes(5), 1))
        with self.assertRaises(booking.Conflict):
            self.db.import_booking(self.anna, self.consult, at("2026-03-23T08:10:00Z"), at("2026-03-23T08:40:00Z"),
                                   status=BookingStatus.CONFIRMED, customer_name="New",
                                   customer_email="n@example.com")

    def test_tokens(self) -> None:
        b = self.book(self.MONDAY_0900)
        soon = datetime.now(UTC) + timedelta(days=1)
        t = self.db.issue_token(b, TokenAction.RESCHEDULE, soon)
        self.assertRegex(t, r"^bkt1_[A-Za-z0-9_-]{43}$")
        r = self.db.redeem_token(t, now=NOW, new_start=self.MONDAY_0900 + timedelta(hours=3))
        self.assertIs(r.action, TokenAction.RESCHEDULE)
        self.assertEqual(r.booking.start, self.MONDAY_0900 + timedelta(hours=3))
        with self.assertRaises(booking.Used):
            self.db.redeem_token(t, now=NOW, new_start=self.MONDAY_0900)
        c = self.db.issue_token(b, TokenAction.CANCEL, soon)
        with self.assertRaises(booking.Expired):
            self.db.redeem_token(c, now=soon + timedelta(seconds=1))
        r = self.db.redeem_token(c, reason="by link")  # the failed try did not use it up
        self.assertIs(r.booking.status, BookingStatus.CANCELLED)
        self.assertEqual(r.booking.cancellation_reason, "by link")
        with self.assertRaises(booking.NotFound):
            self.db.redeem_token("bkt1_" + "A" * 43)
        with self.assertRaises(booking.InvalidInput) as cm:
            self.db.redeem_token("bkt1_short")
        self.assertIn("token", cm.exception.message)
        with self.assertRaises(booking.BadState):
            self.db.issue_token(b, TokenAction.CONFIRM, soon)

    def test_customer_data(self) -> None:
        a = self.book(self.MONDAY_0900, email="Jamie@Example.com", customer_phone="+49 30 1234")
        doc = self.db.export_customer("jamie@example.com")
        self.assertEqual(doc["format"], "libbooking.customer-export")
        self.assertEqual([x["id"] for x in doc["bookings"]], [a.id])
        self.assertEqual(self.db.export_customer("nobody@example.com")["bookings"], [])
        self.assertEqual(self.db.erase_customer("jamie@example.com"), 1)
        erased = self.db.get_booking(a.id)
        self.assertEqual(erased.customer_name, "erased")
        self.assertEqual(erased.customer_email, f"erased@{a.id}.invalid")
        self.assertIsNone(erased.customer_phone)
        self.assertEqual(erased.start, a.start)  # the calendar keeps its time
        b = self.book(self.MONDAY_0900 + timedelta(hours=1), email="k@example.com")
        self.assertEqual(self.db.anonymise_bookings(b.start), 0)  # ended after
        self.assertEqual(self.db.anonymise_bookings(b.end + timedelta(seconds=1)), 1)

    def test_archive(self) -> None:
        b = self.book(self.MONDAY_0900)
        done = self.db.complete_booking(b)
        self.assertEqual(self.db.archive_bookings(done.end + timedelta(seconds=1), batch_size=1), 1)
        archived = self.db.get_booking(b.id)
        self.assertIsNotNone(archived.archived_at)
        self.assertEqual([x.id for x in self.db.list_bookings(self.anna)], [b.id])
        with self.assertRaises(booking.InvalidInput) as cm:
            self.db.archive_bookings(done.end, batch_size=0)
        self.assertIn("batch_size", cm.exception.message)

    def test_ical_and_display(self) -> None:
        b = self.book(self.MONDAY_0900, customer_timezone="America/New_York")
        ics = self.db.booking_ical(b)
        self.assertTrue(ics.startswith("BEGIN:VCALENDAR\r\n"))
        self.assertIn(f"UID:{b.id}@libbooking\r\n", ics)
        self.assertIn("DTSTART:20260330T070000Z\r\n", ics)
        local = self.db.booking_ical(b, local_time=True)
        self.assertIn("DTSTART;TZID=Europe/Berlin:20260330T090000\r\n", local)
        self.assertIn("BEGIN:VTIMEZONE", local)
        feed = self.db.provider_ical_feed(self.anna, at("2026-03-01T00:00:00Z"), at("2026-04-01T00:00:00Z"))
        self.assertIn("METHOD:PUBLISH", feed)
        self.assertEqual(feed.count("BEGIN:VEVENT"), 1)
        # ICU writes thin and narrow no-break spaces around the dash and
        # before AM/PM; compared as plain spaces.
        self.assertEqual(plain(self.db.format_booking(b, style=ZoneStyle.NAME)),
                         "Mon, Mar 30, 2026, 3:00 – 3:30 AM EDT")
        self.assertEqual(plain(self.db.format_booking(b, zone="Europe/Berlin", locale="de_DE",
                                                      style=ZoneStyle.LONG)),
                         "Mo., 30. März 2026, 09:00–09:30 Uhr Mitteleuropäische Sommerzeit")
        with self.assertRaises(booking.NotFound):
            self.db.booking_ical(str(uuid.uuid4()))
        with self.assertRaises(booking.NotFound):
            self.db.format_booking(str(uuid.uuid4()))

    def test_aware_datetimes_in_any_zone(self) -> None:
        # 09:00 in Berlin given as a Berlin wall-clock time, or as New York's.
        b = self.book(datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN))
        self.assertEqual(b.start, self.MONDAY_0900)
        with self.assertRaises(booking.Conflict):
            self.book(datetime(2026, 3, 30, 3, 0, tzinfo=ZoneInfo("America/New_York")), email="ny@example.com")

    def test_one_database_from_many_threads(self) -> None:
        # The Database serialises its calls: eight threads racing for the
        # same slot get one booking and seven conflicts.
        results: list = []

        def attempt(i: int) -> None:
            try:
                self.book(self.MONDAY_0900, email=f"t{i}@example.com")
                results.append("ok")
            except booking.Conflict:
                results.append("conflict")

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), ["conflict"] * 7 + ["ok"])


if __name__ == "__main__":
    unittest.main()
