#!/usr/bin/python3
"""Independent validation of libbooking's iCalendar output.

Usage: ical_validate.py [DIR]       (DIR defaults to $BK_ICS_DIR)

DIR holds .ics files written by tests/test_calendar.c (suite ical_validate)
and expected.json, which says what each file must mean:

    {"files": [{"name": "x.ics", "method": "REQUEST", "tzid": null | "Europe/Berlin",
                "events": [{"uid": ..., "start": "2026-03-30T07:00:00Z", "end": ...,
                            "local": true | false, "sequence": 0, "status": "CONFIRMED",
                            "summary": ..., "description": null | ...,
                            "organizer": {"cn": ..., "email": ...},
                            "attendee": null | {"cn": ..., "email": ...},
                            "contact": null | {"name": ..., "email": ...}}]}]}

Each file is read with Debian's python3-icalendar (not the library's own
code) and checked:

  - the raw bytes: CRLF line ends only, no physical line longer than 75
    octets, continuation lines start with a space, valid UTF-8;
  - METHOD, VERSION, PRODID; one VEVENT per expected event, in order, with
    UID, SEQUENCE, STATUS, SUMMARY, DESCRIPTION (unescaped by icalendar),
    ORGANIZER and ATTENDEE (address and CN) or CONTACT (ALTREP and text);
  - DTSTART/DTEND are timezone-aware and equal the expected UTC instants;
    TZID where local times are expected, UTC ("Z") otherwise;
  - with a TZID: exactly one VTIMEZONE of that TZID, and the local times
    resolve to the expected instants through that VTIMEZONE alone
    (icalendar's Timezone.to_tz()), through pytz, and through the system's
    zoneinfo; each of its observances agrees with the system's zoneinfo
    (the offset before and after the transition it names).

Prints one line per failure and exits 1 if there is any, else prints a
summary and exits 0.
"""

import datetime
import json
import os
import sys

try:
    import icalendar
    import pytz
except ImportError as e:  # pragma: no cover - environment problem
    print("ical_validate: cannot import icalendar/pytz (%s): apt-get install python3-icalendar" % e)
    sys.exit(2)
try:
    import zoneinfo
except ImportError:  # python < 3.9
    zoneinfo = None

UTC = datetime.timezone.utc
failures = []


def fail(where, msg):
    failures.append("%s: %s" % (where, msg))


def parse_utc(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def check_raw(name, raw):
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(name, "not valid UTF-8: %s" % e)
    if not raw.endswith(b"\r\n"):
        fail(name, "does not end with CRLF")
    body = raw[:-2] if raw.endswith(b"\r\n") else raw
    lines = body.split(b"\r\n")
    for i, line in enumerate(lines, 1):
        if b"\r" in line or b"\n" in line:
            fail(name, "line %d: bare CR or LF" % i)
        if len(line) > 75:
            fail(name, "line %d: %d octets (more than 75)" % (i, len(line)))
        if not line:
            fail(name, "line %d: empty" % i)
        if i == 1 and line.startswith(b" "):
            fail(name, "the first line is a continuation")
        # A fold must not cut a UTF-8 sequence: every physical line decodes alone.
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            fail(name, "line %d: a UTF-8 sequence is split by folding" % i)


def unfolded_lines(raw):
    """The logical lines of the raw text (RFC 5545 3.1 unfolding)."""
    text = raw.decode("utf-8", "replace").replace("\r\n ", "").replace("\r\n\t", "")
    return text.split("\r\n")


def raw_value(lines, uid, prop_name):
    """The raw (still escaped) value of prop_name, without parameters, in
    the VEVENT whose UID is uid."""
    block = None
    for line in lines:
        if line == "BEGIN:VEVENT":
            block = {}
        elif line == "END:VEVENT":
            if block is not None and block.get("UID") == uid:
                return block.get(prop_name)
            block = None
        elif block is not None:
            name, sep, value = line.partition(":")
            if sep and ";" not in name:
                block.setdefault(name, value)
    return None


def param(prop, key):
    v = prop.params.get(key)
    return None if v is None else str(v)


def aware_utc(where, prop_name, dt):
    if not isinstance(dt, datetime.datetime):
        fail(where, "%s is not a date-time: %r" % (prop_name, dt))
        return None
    if dt.tzinfo is None or dt.utcoffset() is None:
        fail(where, "%s is not timezone-aware: %r" % (prop_name, dt))
        return None
    return dt.astimezone(UTC)


def localize(tz, naive):
    """A naive local time read in tz: pytz-style zones need localize()."""
    if hasattr(tz, "localize"):
        return tz.localize(naive, is_dst=None)
    return naive.replace(tzinfo=tz)


def local_value(component, prop_name):
    """The property's local wall time as written (naive), or None for UTC."""
    line = component[prop_name].to_ical().decode()
    if line.endswith("Z"):
        return None
    return datetime.datetime.strptime(line, "%Y%m%dT%H%M%S")


def check_vtimezone(name, vtz, tzid):
    """Each observance against the system's zoneinfo; returns the VTIMEZONE as a tzinfo."""
    sys_tz = zoneinfo.ZoneInfo(tzid) if zoneinfo else None
    n = 0
    for sub in vtz.subcomponents:
        if sub.name not in ("STANDARD", "DAYLIGHT"):
            fail(name, "VTIMEZONE holds a %s" % sub.name)
            continue
        n += 1
        start = sub["DTSTART"].dt
        off_from = sub["TZOFFSETFROM"].td
        off_to = sub["TZOFFSETTO"].td
        instant = (start - off_from).replace(tzinfo=UTC)
        if sys_tz is not None:
            after = instant.astimezone(sys_tz).utcoffset()
            before = (instant - datetime.timedelta(seconds=1)).astimezone(sys_tz).utcoffset()
            if after != off_to:
                fail(name, "VTIMEZONE %s at %s: TZOFFSETTO %s, zoneinfo says %s" % (sub.name, start, off_to, after))
            if n > 1 and before != off_from:
                fail(name, "VTIMEZONE %s at %s: TZOFFSETFROM %s, zoneinfo says %s" % (sub.name, start, off_from, before))
            is_dst = bool(instant.astimezone(sys_tz).dst())
            if is_dst != (sub.name == "DAYLIGHT"):
                fail(name, "VTIMEZONE observance at %s is %s, zoneinfo says dst=%s" % (start, sub.name, is_dst))
    if n == 0:
        fail(name, "VTIMEZONE without observances")
    return vtz.to_tz()


def check_file(directory, spec):
    name = spec["name"]
    with open(os.path.join(directory, name), "rb") as f:
        raw = f.read()
    check_raw(name, raw)
    try:
        cal = icalendar.Calendar.from_ical(raw)
    except Exception as e:  # noqa: BLE001 - any parse error is a failure
        fail(name, "icalendar cannot parse it: %s" % e)
        return 0
    if cal.name != "VCALENDAR":
        fail(name, "top component is %s" % cal.name)
    for key, want in (("VERSION", "2.0"), ("PRODID", "-//libbooking//libbooking 1.0//EN"), ("METHOD", spec["method"])):
        got = str(cal.get(key)) if key in cal else None
        if got != want:
            fail(name, "%s is %r, expected %r" % (key, got, want))

    tzid = spec["tzid"]
    vtzs = [c for c in cal.subcomponents if c.name == "VTIMEZONE"]
    vtz_tz = None
    if tzid is None:
        if vtzs:
            fail(name, "VTIMEZONE present although every time is UTC")
    else:
        if len(vtzs) != 1:
            fail(name, "%d VTIMEZONEs, expected 1" % len(vtzs))
        elif str(vtzs[0]["TZID"]) != tzid:
            fail(name, "VTIMEZONE TZID %s, expected %s" % (vtzs[0]["TZID"], tzid))
        else:
            vtz_tz = check_vtimezone(name, vtzs[0], tzid)

    lines = unfolded_lines(raw)
    events = [c for c in cal.subcomponents if c.name == "VEVENT"]
    if len(events) != len(spec["events"]):
        fail(name, "%d VEVENTs, expected %d" % (len(events), len(spec["events"])))
        return 0
    checked = 0
    for i, (ev, want) in enumerate(zip(events, spec["events"])):
        where = "%s VEVENT %d" % (name, i + 1)
        if str(ev.get("UID")) != want["uid"]:
            fail(where, "UID %r, expected %r" % (ev.get("UID"), want["uid"]))
        if "SEQUENCE" not in ev or int(ev["SEQUENCE"]) != want["sequence"]:
            fail(where, "SEQUENCE %r, expected %d" % (ev.get("SEQUENCE"), want["sequence"]))
        if str(ev.get("STATUS")) != want["status"]:
            fail(where, "STATUS %r, expected %r" % (ev.get("STATUS"), want["status"]))
        if str(ev.get("SUMMARY")) != want["summary"]:
            fail(where, "SUMMARY %r, expected %r" % (ev.get("SUMMARY"), want["summary"]))
        if "DTSTAMP" not in ev or aware_utc(where, "DTSTAMP", ev["DTSTAMP"].dt) is None:
            fail(where, "no UTC DTSTAMP")
        desc = str(ev["DESCRIPTION"]) if "DESCRIPTION" in ev else None
        if desc != want["description"]:
            fail(where, "DESCRIPTION %r, expected %r" % (desc, want["description"]))
        # icalendar reads some unescaped text leniently; the raw values must
        # be exactly the RFC 5545 3.3.11 escaping (icalendar's own escaper).
        for prop_name, key in (("SUMMARY", "summary"), ("DESCRIPTION", "description")):
            if want[key] is None:
                continue
            got_raw = raw_value(lines, want["uid"], prop_name)
            want_raw = icalendar.vText(want[key]).to_ical().decode("utf-8")
            if got_raw != want_raw:
                fail(where, "raw %s %r, expected the escaping %r" % (prop_name, got_raw, want_raw))

        org = ev.get("ORGANIZER")
        if org is None or str(org) != "mailto:" + want["organizer"]["email"] or param(org, "CN") != want["organizer"]["cn"]:
            fail(where, "ORGANIZER %r (CN %r), expected %r" % (org, param(org, "CN") if org is not None else None,
                                                                want["organizer"]))
        att = ev.get("ATTENDEE")
        if want["attendee"] is None:
            if att is not None:
                fail(where, "ATTENDEE present in a %s" % spec["method"])
        elif (att is None or str(att) != "mailto:" + want["attendee"]["email"] or param(att, "CN") != want["attendee"]["cn"]
              or param(att, "ROLE") != "REQ-PARTICIPANT"):
            fail(where, "ATTENDEE %r (CN %r), expected %r" % (att, param(att, "CN") if att is not None else None,
                                                              want["attendee"]))
        contact = ev.get("CONTACT")
        if want["contact"] is None:
            if contact is not None:
                fail(where, "unexpected CONTACT %r" % contact)
        elif (contact is None or str(contact) != want["contact"]["name"]
              or param(contact, "ALTREP") != "mailto:" + want["contact"]["email"]):
            fail(where, "CONTACT %r (ALTREP %r), expected %r" % (contact, param(contact, "ALTREP") if contact is not None
                                                                 else None, want["contact"]))

        for prop_name, key in (("DTSTART", "start"), ("DTEND", "end")):
            expected = parse_utc(want[key])
            if prop_name not in ev:
                fail(where, "no %s" % prop_name)
                continue
            prop = ev[prop_name]
            got = aware_utc(where, prop_name, prop.dt)
            if got is not None and got != expected:
                fail(where, "%s is %s, expected %s" % (prop_name, got.isoformat(), expected.isoformat()))
            ptzid = param(prop, "TZID")
            if want["local"]:
                if ptzid != tzid:
                    fail(where, "%s TZID %r, expected %r" % (prop_name, ptzid, tzid))
                    continue
                naive = local_value(ev, prop_name)
                if naive is None:
                    fail(where, "%s is UTC, expected a local time" % prop_name)
                    continue
                # The local time through the file's own VTIMEZONE, pytz and zoneinfo.
                readers = [("VTIMEZONE", vtz_tz), ("pytz", pytz.timezone(tzid))]
                if zoneinfo:
                    readers.append(("zoneinfo", zoneinfo.ZoneInfo(tzid)))
                for label, tz in readers:
                    if tz is None:
                        continue
                    try:
                        resolved = localize(tz, naive).astimezone(UTC)
                    except Exception as e:  # noqa: BLE001 - pytz raises for ambiguous/nonexistent times
                        fail(where, "%s %s via %s: %s" % (prop_name, naive, label, e))
                        continue
                    if resolved != expected:
                        fail(where, "%s %s via %s is %s, expected %s" % (prop_name, naive, label, resolved.isoformat(),
                                                                         expected.isoformat()))
            elif ptzid is not None or local_value(ev, prop_name) is not None:
                fail(where, "%s is not in UTC (TZID %r)" % (prop_name, ptzid))
        checked += 1
    return checked


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BK_ICS_DIR")
    if not directory:
        print("usage: ical_validate.py DIR (or BK_ICS_DIR=DIR)")
        return 2
    with open(os.path.join(directory, "expected.json"), encoding="utf-8") as f:
        expected = json.load(f)
    files = events = 0
    for spec in expected["files"]:
        events += check_file(directory, spec)
        files += 1
    for line in failures:
        print("ical_validate: FAIL: %s" % line)
    print("ical_validate: %d files, %d events checked with icalendar %s; %d failures"
          % (files, events, getattr(icalendar, "__version__", "?"), len(failures)))
    return 1 if failures or files == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
