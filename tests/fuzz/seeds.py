#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets, tests/fuzz/corpus/<target>/.

The seeds are committed; this script is how they were made, so that a
change to a target's input format can remake them (run it from anywhere:
python3 tests/fuzz/seeds.py).  Text targets get readable text; the binary
ones (fuzz_fields, fuzz_token, fuzz_model) get bytes laid out as their
fz_* readers (fuzz.h) consume them, written here by small encoders.
tests/fuzz/run.sh fuzzes from these seeds plus what earlier runs found.
"""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as fh:
        fh.write(data)


def u8(v):
    return bytes([v & 0xFF])


def u32(v):
    return struct.pack(">I", v & 0xFFFFFFFF)


def rng(lo, hi, v):
    """fz_range(lo, hi) reading the value v (lo <= v <= hi)."""
    assert lo <= v <= hi, (lo, hi, v)
    return u8(v - lo) if hi - lo + 1 <= 0x100 else u32(v - lo)


def fzstr(s):
    """fz_str: two length bytes, then the bytes; None is 0xffff."""
    if s is None:
        return b"\xff\xff"
    if isinstance(s, str):
        s = s.encode("utf-8")
    return struct.pack(">H", len(s)) + s


# --- fuzz_time: zone, instant, locale, skeleton lines, then size and style
TIME = [
    ("ny_spring_forward", "America/New_York", "2026-03-08T07:30:00Z", "en_US", "yMMMdEEEjmz", 200, 0),
    ("berlin_fall_back", "Europe/Berlin", "2026-10-25T00:30:00Z", "de_DE", "HHmm", 64, 1),
    ("kathmandu", "Asia/Kathmandu", "2030-03-31T01:30:00Z", "ne_NP", "yMMMMdjmm", 100, 2),
    ("alias_us_eastern", "US/Eastern", "2026-01-01T12:00:00Z", "en", "jmz", 30, 4),
    ("alias_calcutta", "Asia/Calcutta", "1947-08-14T18:30:00Z", "hi_IN", "yMMMdEEEE", 150, 0),
    ("fixed_offset", "Etc/GMT+5", "2000-02-29T23:59:59Z", "fr_CA", "EEEEMMMMdy", 120, 0),
    ("apia_skipped_day", "Pacific/Apia", "2011-12-30T10:00:00Z", "ja_JP@calendar=japanese", "GyMMMd", 180, 1),
    ("range_start", "UTC", "1900-01-01T00:00:00Z", "root", "yMdHms", 40, 2),
    ("range_end", "Zulu", "2199-12-31T23:59:59Z", "zh_Hant_TW", "yMMMdjmz", 90, 4),
    ("lord_howe", "Australia/Lord_Howe", "2026-04-04T15:00:00Z", "en_AU", "jmmz", 60, 1),
    ("bad_instant", "Europe/Berlim", "2026-02-30T00:00:00Z", "de DE", "\u00e4", 10, 9),
    ("bcp47_locale", "America/St_Johns", "2026-11-01T03:30:00Z", "sr-Latn-RS", "yMMMdjm", 120, 2),
    ("posix_locale", "Asia/Tokyo", "2026-06-10T00:00:00Z", "en_US.UTF-8", "", 80, 0),
]
for name, zone, iso, locale, skel, size, style in TIME:
    write("fuzz_time", name, ("%s\n%s\n%s\n%s\n" % (zone, iso, locale, skel)).encode() + rng(1, 300, size)
          + u8(style))

# --- fuzz_rrule: zone, first start, then minutes (u32), sub-window offset
# (u32) and length (u8), then the rule text
RRULE = [
    ("weekday_lunch_ny", "America/New_York", "2026-03-02T17:00:00Z", 60, 5, 14, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
    ("daily_count", "Europe/Berlin", "2026-03-25T11:00:00Z", 30, 0, 10, "FREQ=DAILY;COUNT=10"),
    ("monthly_last_friday", "UTC", "2026-01-30T09:00:00Z", 120, 40, 60, "FREQ=MONTHLY;BYDAY=-1FR"),
    ("yearly_bymonth", "Australia/Lord_Howe", "2026-04-04T14:00:00Z", 90, 300, 60,
     "FREQ=YEARLY;BYMONTH=4;BYDAY=1SA"),
    ("until_interval", "America/St_Johns", "2026-10-30T12:30:00Z", 45, 2, 20,
     "RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20261120T120000Z"),
    ("exdate_lines", "Europe/Berlin", "2026-03-23T08:00:00Z", 60, 0, 30,
     "RRULE:FREQ=WEEKLY;BYDAY=MO\nEXDATE:20260330T070000Z,20260406T070000Z"),
    ("bysetpos", "Asia/Kathmandu", "2026-01-30T04:15:00Z", 60, 60, 60,
     "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"),
    ("bymonthday_negative", "Pacific/Apia", "2011-12-31T10:00:00Z", 30, 0, 40, "FREQ=MONTHLY;BYMONTHDAY=-1"),
    ("wkst", "UTC", "2026-03-01T10:00:00Z", 30, 0, 30, "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,TU;WKST=SU"),
    ("refused_hourly", "UTC", "2026-03-01T10:00:00Z", 30, 0, 30, "FREQ=HOURLY"),
    ("refused_count_until", "UTC", "2026-03-01T10:00:00Z", 30, 0, 30,
     "FREQ=DAILY;COUNT=3;UNTIL=20260310T000000Z"),
    ("start_off_rule", "Europe/Berlin", "2026-03-03T08:00:00Z", 30, 0, 30, "FREQ=WEEKLY;BYDAY=MO"),
]
for name, zone, start, minutes, sub_off, sub_days, rule in RRULE:
    write("fuzz_rrule", name, ("%s\n%s\n" % (zone, start)).encode() + rng(1, 3 * 1440, minutes)
          + rng(0, 400, sub_off) + rng(1, 60, sub_days) + rule.encode())

# --- fuzz_scenario: the public scenario files as they are
scen_dir = os.path.join(ROOT, "tests", "scenarios")
for sub in ("", "rrule"):
    d = os.path.join(scen_dir, sub)
    for fn in sorted(os.listdir(d)):
        if fn.endswith(".json"):
            with open(os.path.join(d, fn), "rb") as fh:
                write("fuzz_scenario", (sub + "_" if sub else "") + fn[:-5], fh.read())
write("fuzz_scenario", "bad_json", '{"provider": {"timezone": "UTC"}, "weekly": [')
write("fuzz_scenario", "unknown_key", '{"provider": {"timezone": "UTC"}, "colour": "blue"}')

# --- fuzz_fields: provider fields, zone pick, optional fields, customer fields, flags
FIELDS = [
    ("plain", ["ada", "ada@example.org", "Ada Lovelace"], 1, None,
     ["Analytical Engines", "Notes on the engine", "https://example.org/ada.png"],
     ["Charles Babbage", "charles@example.org", "+44 20 7946 0000", "Europe/London", "First visit", "key-1"], 1),
    ("unicode_nfd", ["Jose\u0301", "jose\u0301@example.org", "Jos\u00e9 \u00c1lvarez"], 2, None,
     [None, None, None], ["Zo\u00eb \u6771\u4eac", "ZOE@Example.ORG", None, None, "line one\nline two; comma, \\", None],
     0),
    ("long_lines", ["x" * 64, "y" * 240 + "@ex.org", "\u00e9" * 100], 3, None, ["b" * 200, "d" * 300, None],
     ["\u20ac" * 60, "c@d", "1" * 50, "Asia/Kathmandu", "\u6f22" * 300, "k" * 200], 1),
    ("bad_email", ["bob", "bob.example.org", "Bob"], 0, None, [None, None, None],
     ["C", "c@d", None, None, None, None], 0),
    ("bad_utf8", ["b\xffob", "bob@example.org", "Bob"], 0, None, [None, None, None],
     ["C", "c@d", None, None, None, None], 0),
    ("zone_text", ["zed", "zed@example.org", "Zed"], 0xF0, "America/Argentina/Buenos_Aires", [None, "", ""],
     ["Customer", "cust@example.org", "", "Pacific/Chatham", "", ""], 1),
]
for name, (user, email, full), zone_pick, zone_text, opt, cust, flags in FIELDS:
    data = fzstr(user.encode("latin-1") if "\xff" in user else user) + fzstr(email) + fzstr(full) + u8(zone_pick)
    if zone_pick >= 0xF0:
        data += fzstr(zone_text)
    for s in opt:
        data += fzstr(s)
    for s in cust:
        data += fzstr(s)
    write("fuzz_fields", name, data + u8(flags))

# --- fuzz_token: action, mode, position, byte, then text
TOKENS = [
    ("text_malformed", 1, 0, 0, 0, "bkt1_short"),
    ("text_wellformed_other", 2, 0, 0, 0, "bkt1_" + "A" * 42 + "E"),
    ("text_noncanonical_last", 3, 0, 0, 0, "bkt1_" + "A" * 42 + "B"),
    ("text_uuid", 1, 0, 0, 0, "123e4567-E89B-12d3-a456-426614174000"),
    ("text_argon2id", 2, 0, 0, 0, "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"),
    ("mutate_one_char", 1, 1, 20, ord("Z"), ""),
    ("mutate_prefix", 2, 1, 3, ord("2"), ""),
    ("mutate_truncate", 3, 1, 30, 0, ""),
    ("mutate_same", 1, 1, 0, ord("b"), ""),
]
for name, action, mode, pos, byte, text in TOKENS:
    write("fuzz_token", name, u8(action - 1) + u8(mode) + u8(pos) + u8(byte) + text.encode())


# --- fuzz_model: zone, week, starting schedule, then operations
class Ops:
    """Encodes operations as fuzz_model.c's op_* functions read them.  The
    caller keeps track of counts (rows, bookings, ...) itself: an op on an
    empty list reads nothing but its code."""
    ADD_ROW, DEL_ROW, SET_OV, DEL_OV, ADD_BL, DEL_BL, SERVICE = 0, 3, 4, 5, 6, 7, 8
    BOOK, IMPORT, MOVE, RESCHEDULE, CLOCK = 9, 12, 13, 15, 16

    def __init__(self, zone, week, start):
        self.b = u8(zone) + u8(week) + u8(start)

    def add_row(self, weekday, start_q, len_q, available=True):
        self.b += u8(self.ADD_ROW) + rng(0, 7, weekday) + rng(0, 95, start_q) + rng(0, 40, len_q) + rng(0, 3, 1 if available else 0)

    def del_row(self, i):
        self.b += u8(self.DEL_ROW) + u8(i)

    def set_override(self, day, intervals):
        self.b += u8(self.SET_OV) + rng(-2, 8, day) + rng(0, 4, len(intervals))
        for s, n in intervals:
            self.b += rng(0, 95, s) + rng(0, 40, n)

    def del_override(self, i):
        self.b += u8(self.DEL_OV) + u8(i)

    def add_blocked(self, start5, len5):
        self.b += u8(self.ADD_BL) + rng(-288, 8 * 288, start5) + rng(0, 72, len5)

    def del_blocked(self, i):
        self.b += u8(self.DEL_BL) + u8(i)

    def service(self, dur_q, step_q=0, bb5=0, ba5=0, notice30=0, horizon=0, confirm=0, active=True):
        self.b += u8(self.SERVICE) + rng(0, 8, dur_q)
        self.b += u8(0) if step_q == 0 else u8(1) + rng(1, 8, step_q)
        self.b += rng(0, 6, bb5) + rng(0, 6, ba5) + rng(0, 8, notice30)
        self.b += u8(0) + rng(1, 8, horizon) if horizon else u8(1)
        self.b += rng(0, 1, confirm) + rng(0, 7, 1 if active else 0)

    def _start(self, slot=None, at5=None, near=None):
        if slot is not None:
            return u8(1) + u32(slot)
        if near is not None:  # (booking index, quarter hours from its start); needs a booking
            return u8(3) + u8(near[0]) + rng(-4, 4, near[1])
        return u8(0) + rng(0, 7 * 288 - 1, at5)

    def book(self, slot=None, at5=None, near=None, bad=False):
        self.b += u8(self.BOOK) + self._start(slot, at5, near) + rng(0, 9, 0 if bad else 1)

    def import_(self, at5, len5, bb5=0, ba5=0, status=2):
        self.b += u8(self.IMPORT) + rng(0, 7 * 288 - 1, at5) + rng(1, 36, len5) + rng(0, 6, bb5) + rng(0, 6, ba5) + rng(1, 5, status)

    def move(self, i, to, stale=0):
        self.b += u8(self.MOVE) + u8(i) + rng(2, 5, to) + (u8(0) + rng(-2, 2, stale) if stale else u8(1))

    def reschedule(self, i, slot=None, at5=None, near=None, stale=0):
        self.b += u8(self.RESCHEDULE) + u8(i) + self._start(slot, at5, near) + (u8(0) + rng(-2, 2, stale) if stale else u8(1))

    def clock(self, quarters):
        self.b += u8(self.CLOCK) + rng(1, 96, quarters)


PENDING, CONFIRMED, CANCELLED, COMPLETED, NO_SHOW = 1, 2, 3, 4, 5
N_ZONES, N_WEEKS = 7, 7


def lifecycle(zone, week, start):
    o = Ops(zone, week, start)
    o.service(2, bb5=2, ba5=1, confirm=1)       # 30 min, 10/5 buffers, pending bookings
    o.book(slot=0)
    o.book(slot=5)
    o.book(slot=0)
    o.book(at5=100)                              # anywhere: mostly refused
    o.book(near=(0, 1))                          # a quarter past the first: conflicts (or off the grid)
    o.book(near=(1, 2))                          # half an hour after the second: its buffer
    o.move(0, CONFIRMED)
    o.move(0, CONFIRMED)                         # again: BK_ESTATE
    o.move(1, CANCELLED, stale=1)                # stale: BK_ESTALE
    o.move(1, CANCELLED)
    o.move(0, COMPLETED)
    o.move(2, NO_SHOW)                           # pending: BK_ESTATE
    o.reschedule(2, slot=40)
    o.reschedule(1, slot=3)                      # cancelled: BK_ESTATE
    o.book(slot=7, bad=True)
    o.clock(40)
    o.book(slot=1)
    return o.b


def calendar_edits(zone, week, start):
    o = Ops(zone, week, start)
    o.add_row(1, 36, 32)                         # Monday 09:00-17:00
    o.add_row(1, 48, 4, available=False)         # lunch cut out
    o.add_row(7, 0, 4)                           # weekday 7: BK_EINVAL
    o.set_override(2, [(40, 8), (60, 12)])
    o.set_override(3, [])                        # a day off
    o.add_blocked(300, 24)
    o.add_blocked(400, 0)                        # end == start: BK_EINVAL
    o.service(3, step_q=1, notice30=2, horizon=3)
    o.book(slot=2)
    o.book(slot=9)
    o.import_(500, 6, status=CONFIRMED)
    o.import_(500, 6, status=CANCELLED)
    o.del_row(0)
    o.del_override(0)
    o.del_blocked(0)
    o.book(slot=0)
    o.service(0)                                 # duration 0: BK_EINVAL
    o.service(2, active=False)
    o.book(slot=0)                               # inactive: BK_EINVAL
    o.service(2)
    o.book(slot=0)
    return o.b


def dense(zone, week, start):
    o = Ops(zone, week, start)
    o.service(1, bb5=1, ba5=1)                   # 15 min
    for k in range(20):
        o.book(slot=k * 3)
    for k in range(0, 20, 4):
        o.reschedule(k, slot=k + 100)
    o.import_(50, 3, status=PENDING)
    o.book(at5=50)
    for k in range(0, 20, 2):
        o.book(near=(k, 1))
        o.reschedule(k + 1, near=(k, -1))
    return o.b


for z in range(N_ZONES):
    for wk in range(N_WEEKS):
        write("fuzz_model", "lifecycle_z%d_w%d" % (z, wk), lifecycle(z, wk, 2 if (z + wk) % 2 else 3))
    write("fuzz_model", "calendar_z%d" % z, calendar_edits(z, z % N_WEEKS, 0))
    write("fuzz_model", "dense_z%d" % z, dense(z, (z + 3) % N_WEEKS, 2))

if __name__ == "__main__":
    for t in sorted(os.listdir(CORPUS)):
        print("%s: %d seeds" % (t, len(os.listdir(os.path.join(CORPUS, t)))))
