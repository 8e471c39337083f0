#!/usr/bin/python3
"""Reference occurrences for the RRULE cross-check (tests/test_rrule.c).

Generates random recurring blocked periods (fixed seed) across zones and
prints, one case per line, what DESIGN.md section 3 item 4 says their
occurrences in a window are, computed with an independent implementation:
python3-dateutil's rrule for the recurrence, Python's zoneinfo for the zone.

    rrule_crosscheck.py [--seed N] [--cases N]

Line format (space-separated; rules contain no spaces; instants are seconds
since the epoch, UTC):

    ZONE FIRST_START FIRST_END FROM TO RULE EXDATES EXPECTED

EXDATES and EXPECTED are comma-separated instants, or "-" for none;
EXPECTED lists the starts of the occurrences overlapping [FROM, TO).

How DESIGN's rule is built from dateutil's pieces:
  - dateutil expands in naive local wall time from DTSTART = the first
    occurrence's local start; each later local start goes to UTC with
    zoneinfo and fold=0 (gap: the pre-transition offset, i.e. moved forward;
    overlap: the first occurrence), which is DESIGN section 2's rule.  The
    first occurrence is the period's own UTC start (sometimes the second of
    two equal local times, to test exactly that).
  - UNTIL is compared with each occurrence's UTC start, inclusive.  dateutil
    compares UNTIL in its own (local) terms, so the rule handed to dateutil
    has no UNTIL and the filter is applied here.
  - EXDATE removes occurrences by UTC start after COUNT has counted them.

Rules avoided because dateutil reads them differently from RFC 5545 (and
from the library): BYDAY mixing plain days and ordinals (dateutil
intersects MO and -1FR, RFC 5545 unites them; unit tests cover the union),
and BYSETPOS with FREQ=WEEKLY (dateutil counts positions in the first week
from DTSTART only, the library in the whole week, as in every other
period).  BYDAY ordinals with DAILY/WEEKLY are refused by the library.
"""

import argparse
import datetime as dt
import random
import sys
import types
from zoneinfo import ZoneInfo

from dateutil import rrule as du


class _DatetimeTo2199(types.ModuleType):
    """The datetime module, with MAXYEAR at the library's last year.

    dateutil walks a rule's empty periods until datetime.MAXYEAR (9999),
    UNTIL or not, so a rule that never matches again (FREQ=DAILY;
    INTERVAL=2;BYMONTH=2;BYMONTHDAY=30, or one matching only before DTSTART)
    would take seconds per case; the library knows no year after 2199."""

    MAXYEAR = 2199

    def __getattr__(self, name):
        return getattr(dt, name)


du.datetime = _DatetimeTo2199("datetime")

ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe"]
CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
# Times of day around the zones' transitions (New York and Berlin: gap
# 02:00-03:00; overlaps 01:00-02:00 and 02:00-03:00; Lord Howe: 30-minute
# gap 02:00-02:30 and overlap 01:30-02:00) and ordinary ones.
TIMES = [(0, 0), (1, 0), (1, 30), (1, 45), (2, 0), (2, 15), (2, 30), (2, 45), (3, 0),
         (9, 0), (12, 0), (17, 30), (23, 30)]
# Local times inside each zone's gaps and overlaps.
OVERLAP = {
    "America/New_York": [(1, 0), (1, 30), (1, 45)],
    "Europe/Berlin": [(2, 0), (2, 30), (2, 45)],
    "Australia/Lord_Howe": [(1, 30), (1, 45)],
}
AROUND_CHANGE = {
    "America/New_York": [(1, 0), (1, 30), (1, 45), (2, 0), (2, 30)],
    "Europe/Berlin": [(2, 0), (2, 30), (2, 45)],
    "Australia/Lord_Howe": [(1, 30), (1, 45), (2, 0), (2, 15)],
}
LENGTHS = [900, 1800, 3600, 5400, 7200, 4 * 3600, 86400, 90000, 3 * 86400 + 600]
UTC = dt.timezone.utc


def to_utc(naive, zone, fold=0):
    return int(naive.replace(tzinfo=ZoneInfo(zone), fold=fold).timestamp())


def to_local(ts, zone):
    return dt.datetime.fromtimestamp(ts, ZoneInfo(zone)).replace(tzinfo=None)


def fmt_utc(ts):
    return dt.datetime.fromtimestamp(ts, UTC).strftime("%Y%m%dT%H%M%SZ")


def pick(rng, values, lo=1, hi=3):
    return rng.sample(values, rng.randint(lo, min(hi, len(values))))


def gen_parts(rng):
    """A random rule (without COUNT/UNTIL) as a list of NAME=VALUE parts."""
    freq = rng.choice(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"])
    parts = ["FREQ=" + freq]
    if rng.random() < 0.4:
        parts.append("INTERVAL=%d" % rng.choice([2, 2, 3, 4, 5]))
    months = list(range(1, 13))
    mdays = [1, 2, 3, 10, 15, 28, 29, 30, 31, -1, -2, -3, -7, -31]
    has_by = False
    if freq == "DAILY":
        if rng.random() < 0.4:
            parts.append("BYDAY=" + ",".join(pick(rng, CODES, 1, 5)))
            has_by = True
        if rng.random() < 0.25:
            parts.append("BYMONTH=" + ",".join(map(str, pick(rng, months, 1, 6))))
            has_by = True
        if rng.random() < 0.2:
            parts.append("BYMONTHDAY=" + ",".join(map(str, pick(rng, mdays, 1, 5))))
            has_by = True
    elif freq == "WEEKLY":
        if rng.random() < 0.7:
            parts.append("BYDAY=" + ",".join(pick(rng, CODES, 1, 4)))
        if rng.random() < 0.2:
            parts.append("BYMONTH=" + ",".join(map(str, pick(rng, months, 1, 6))))
    elif freq == "MONTHLY":
        mode = rng.choice(["default", "mday", "plain", "ord", "ord+mday", "plain+mday"])
        if mode in ("mday", "ord+mday", "plain+mday"):
            parts.append("BYMONTHDAY=" + ",".join(map(str, pick(rng, mdays, 1, 4))))
            has_by = True
        if mode in ("plain", "plain+mday"):
            parts.append("BYDAY=" + ",".join(pick(rng, CODES, 1, 3)))
            has_by = True
        if mode in ("ord", "ord+mday"):
            ords = [rng.choice([1, 2, 3, 4, 5, -1, -2, -5]) for _ in range(rng.randint(1, 3))]
            parts.append("BYDAY=" + ",".join("%+d%s" % (o, rng.choice(CODES)) if rng.random() < 0.5
                                             else "%d%s" % (o, rng.choice(CODES)) for o in ords))
            has_by = True
        if rng.random() < 0.2:
            parts.append("BYMONTH=" + ",".join(map(str, pick(rng, months, 2, 8))))
            has_by = True
    else:
        mode = rng.choice(["default", "month", "month+mday", "month+ord", "ord", "mday", "month+plain"])
        if mode.startswith("month"):
            parts.append("BYMONTH=" + ",".join(map(str, pick(rng, months, 1, 3))))
            has_by = True
        if mode in ("month+mday", "mday"):
            parts.append("BYMONTHDAY=" + ",".join(map(str, pick(rng, mdays, 1, 3))))
            has_by = True
        if mode == "month+ord":
            parts.append("BYDAY=" + ",".join("%d%s" % (rng.choice([1, 2, 3, 4, -1, -2]), rng.choice(CODES))
                                             for _ in range(rng.randint(1, 2))))
            has_by = True
        if mode == "ord":
            parts.append("BYDAY=" + ",".join("%d%s" % (rng.choice([1, 2, 10, 20, 26, 52, -1, -2, -10]),
                                                       rng.choice(CODES))
                                             for _ in range(rng.randint(1, 2))))
            has_by = True
        if mode == "month+plain":
            parts.append("BYDAY=" + ",".join(pick(rng, CODES, 1, 2)))
            has_by = True
    if has_by and freq != "WEEKLY" and rng.random() < 0.2:
        parts.append("BYSETPOS=" + ",".join(map(str, pick(rng, [1, 2, 3, -1, -2], 1, 2))))
    if rng.random() < 0.35:
        parts.append("WKST=" + rng.choice(CODES))
    rng.shuffle(parts)  # part order is free in RFC 5545
    return freq, parts


def transition_days(zone, year, fall_back_only=False):
    """The civil days in year on which zone's UTC offset changes (only
    those where it decreases, when fall_back_only)."""
    z = ZoneInfo(zone)
    days = []
    day = dt.datetime(year, 1, 1, 12)
    prev = day.replace(tzinfo=z).utcoffset()
    while day.year == year:
        day += dt.timedelta(days=1)
        off = day.replace(tzinfo=z).utcoffset()
        if off != prev and (off < prev or not fall_back_only):
            days.append(day.date())
        prev = off
    return days


def first_occurrence(parts, base):
    """dateutil's first occurrence at or after base, within 8 years (rules
    rarer than that are redrawn: they would only make empty windows)."""
    bound = base.replace(year=base.year + 8, month=1, day=1)
    rule = du.rrulestr(";".join(parts + ["UNTIL=" + bound.strftime("%Y%m%dT%H%M%S")]), dtstart=base)
    return next(iter(rule), None)


def occurrences(parts, count, first, first_start, zone, stop):
    """(local, UTC start) of every occurrence until the UTC start reaches stop."""
    text = ";".join(parts + (["COUNT=%d" % count] if count else []))
    last = None
    for local in du.rrulestr(text, dtstart=first):
        s = first_start if local == first else to_utc(local, zone, 0)
        if s >= stop:
            return
        if last is not None and s <= last:
            continue  # the same instant twice is one occurrence
        last = s
        yield local, s


def gen_case(rng):
    zone = rng.choice(ZONES)
    # Some periods start at the second of two equal local times: the first
    # occurrence must keep that instant, later ones take the first.
    second_instant = zone != "UTC" and rng.random() < 0.08
    while True:
        freq, parts = gen_parts(rng)
        if second_instant:
            freq = rng.choice(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"])
            parts = ["FREQ=" + freq] + (["INTERVAL=2"] if rng.random() < 0.3 else [])
            day = rng.choice(transition_days(zone, rng.randint(2000, 2035), fall_back_only=True))
            h, m = rng.choice(OVERLAP[zone])
            first = dt.datetime(day.year, day.month, day.day, h, m)
            first_start = to_utc(first, zone, 1)
            break
        h, m = rng.choice(TIMES) if rng.random() < 0.85 else (rng.randint(0, 23), rng.choice([0, 15, 30, 45]))
        year = rng.randint(2000, 2035)
        changes = transition_days(zone, year) if zone != "UTC" else []
        if changes and rng.random() < 0.25:
            # On a transition day itself: a first occurrence in the overlap
            # (maybe its second instant), later ones in the gap.
            day = rng.choice(changes)
            h, m = rng.choice(AROUND_CHANGE[zone])
        else:
            # Transitions are in March/April and October/November: favour them.
            month = rng.choice([3, 3, 4, 10, 10, 11]) if rng.random() < 0.5 else rng.randint(1, 12)
            day = dt.date(year, month, rng.randint(1, 28))
        base = dt.datetime(day.year, day.month, day.day, h, m)
        first = first_occurrence(parts, base)
        if first is None:
            continue
        # The period's start must be a real local time: one in a gap would
        # be a different local time once read back from UTC.
        fold = 0
        if to_utc(first, zone, 0) != to_utc(first, zone, 1) and rng.random() < 0.5:
            fold = 1  # the second of two equal local times
        first_start = to_utc(first, zone, fold)
        if to_local(first_start, zone) != first:
            continue
        break
    length = rng.choice(LENGTHS)

    count = rng.randint(1, 40) if rng.random() < 0.3 else 0
    # Up to 150 occurrences within 12 years: windows and UNTIL are placed
    # around them, so that most windows hold something to compare.
    horizon = first_start + 12 * 366 * 86400
    sample = [s for _, (_, s) in zip(range(150), occurrences(parts, count, first, first_start, zone, horizon))]
    until = None
    if not count and rng.random() < 0.45:
        s = rng.choice(sample)
        until = max(first_start, rng.choice([s, s, s - 1, s + 1, s + rng.randint(0, 40 * 86400)]))

    r = rng.random()
    if second_instant:
        target = first_start
    elif r < 0.3:
        target = rng.choice(sample[:4])
    elif r < 0.9:
        target = rng.choice(sample)
    else:
        # Far from DTSTART, maybe past everything: the lazy jump's case.
        target = first_start + rng.randint(0, 40 * 366 * 86400)
    if until is not None and rng.random() < 0.5:
        target = until
    if rng.random() < 0.8:
        from_ = target - rng.randint(0, length)  # overlaps the target
    else:
        from_ = target - rng.randint(-86400, 3 * 86400)
    if rng.random() < 0.15:
        to = from_ + rng.randint(366, 4 * 366) * 86400  # years: many occurrences, every transition
    else:
        to = from_ + rng.choice([3600, 86400, 7 * 86400, 31 * 86400, rng.randint(86400, 120 * 86400)])
    to = min(to, 7258118400)  # BK_TIME_MAX

    occ = []
    for _, s in occurrences(parts, count, first, first_start, zone, to):
        if until is not None and s > until:
            continue
        if s + length > from_:
            occ.append(s)
    exdates = []
    if rng.random() < 0.3:
        # Some of the window's occurrences (never all: an empty window
        # compares little), sometimes the first occurrence itself.
        pool = occ[:]
        if rng.random() < 0.3:
            pool.append(first_start)
        exdates = sorted(set(rng.sample(pool, min(len(pool) // 2, rng.randint(1, 3)))))
        exdates.append(from_ + 1234)  # not an occurrence: ignored
    expected = [s for s in occ if s not in exdates]

    rule = ";".join(parts + (["COUNT=%d" % count] if count else []) +
                    (["UNTIL=" + fmt_utc(until)] if until is not None else []))
    return "%s %d %d %d %d %s %s %s" % (
        zone, first_start, first_start + length, from_, to, rule,
        ",".join(map(str, exdates)) or "-", ",".join(map(str, expected)) or "-")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20260308)
    ap.add_argument("--cases", type=int, default=400)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out = sys.stdout
    for _ in range(args.cases):
        out.write(gen_case(rng) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
