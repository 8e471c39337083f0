"""The public scenarios (tests/scenarios/*.json and rrule/*.json) loaded
through the binding, as tests/test_scenarios.c loads them through C: every
one must give exactly its `expected` slots, and bk_slot_explain must agree
with them.  Read with Python's json, times parsed by Python's datetime."""

from __future__ import annotations

import json
import unittest
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Dict, List, Tuple

import booking
from booking import BookingStatus, SlotReason

from support import SCENARIO_DIR, at, fresh_db, iso


def hhmm(text: str) -> timedelta:
    h, m = text.split(":")
    return timedelta(hours=int(h), minutes=int(m))


def load(db: booking.Database, sc: Dict[str, Any]) -> Tuple[str, str]:
    """Loads a scenario as bkctl does; returns (provider, service)."""
    query = sc["query"]
    provider = db.create_provider(username="scenario", email="scenario@example.com",
                                  full_name="Scenario provider", timezone=sc["provider"]["timezone"])
    svc = sc["service"]
    service = db.create_service(
        provider, "Scenario service", timedelta(minutes=svc["duration"]),
        buffer_before=timedelta(minutes=svc.get("buffer_before", 0)),
        buffer_after=timedelta(minutes=svc.get("buffer_after", 0)),
        slot_step=timedelta(minutes=query.get("step") or 0),
        min_notice=timedelta(minutes=query.get("notice", 0)),
        horizon=timedelta(days=query.get("horizon_days", 0)))
    for row in sc.get("weekly", []):
        db.add_availability(provider, row["weekday"], hhmm(row["start"]), hhmm(row["end"]),
                            is_available=row.get("available", True))
    for o in sc.get("overrides", []):
        db.set_override(provider, date.fromisoformat(o["date"]), [(hhmm(a), hhmm(b)) for a, b in o["intervals"]])
    for b in sc.get("blocked", []):
        db.add_blocked(provider, at(b["start"]), at(b["end"]), rrule=b.get("rrule"))
    for i, b in enumerate(sc.get("bookings", [])):
        db.import_booking(provider, service, at(b["start"]), at(b["end"]), status=BookingStatus.parse(b["status"]),
                          buffer_before=timedelta(minutes=b.get("buffer_before", 0)),
                          buffer_after=timedelta(minutes=b.get("buffer_after", 0)),
                          customer_name=f"Scenario customer {i}", customer_email="customer@example.com")
    return provider, service


def scenario_files() -> List[Path]:
    return sorted(SCENARIO_DIR.glob("*.json")) + sorted((SCENARIO_DIR / "rrule").glob("*.json"))


class ScenarioTest(unittest.TestCase):
    def test_there_are_scenarios(self) -> None:
        self.assertGreaterEqual(len(scenario_files()), 10, f"no scenarios found in {SCENARIO_DIR}")

    def test_every_scenario(self) -> None:
        for path in scenario_files():
            with self.subTest(scenario=path.name):
                self.check(path)

    def check(self, path: Path) -> None:
        sc = json.loads(path.read_text(encoding="utf-8"))
        q = sc["query"]
        start, end, now = at(q["from"]), at(q["to"]), at(q["now"])
        with fresh_db() as db:
            provider, service = load(db, sc)
            got = [[iso(s.start), iso(s.end)] for s in db.slots(provider, service, start, end, now=now)]
            self.assertEqual(got, sc["expected"], path.name)
            # bk_slot_explain agrees: a sample of the expected starts is
            # offered, and the minute after each is not.
            expected = sc["expected"]
            for s, _ in expected[:: len(expected) // 25 + 1] if expected else []:
                v = db.explain_slot(provider, service, start, end, at(s), now=now)
                self.assertIs(v.reason, SlotReason.OFFERED, f"{path.name} {s}: {v.message}")
                off = db.explain_slot(provider, service, start, end, at(s) + timedelta(minutes=1), now=now)
                self.assertIsNot(off.reason, SlotReason.OFFERED, f"{path.name} {s} + 1 min")


if __name__ == "__main__":
    unittest.main()
