"""Shared helpers of the Python binding's tests."""

from __future__ import annotations

import os
import unittest
import uuid
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import booking

UTC = timezone.utc
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

#: The public scenarios (tests/scenarios), or where BK_SCENARIO_DIR points.
SCENARIO_DIR = Path(os.environ.get("BK_SCENARIO_DIR", REPO / "tests" / "scenarios"))

#: A fixed "now" long before the test data, so notice and horizon never
#: depend on the machine's clock.
NOW = datetime(2026, 3, 1, tzinfo=UTC)


#: The store the tests open: "memory:" unless BK_TEST_URI names a database
#: (tests/test_bindings.sh pg, through tests/pg/with-fresh-db.sh).
TEST_URI = os.environ.get("BK_TEST_URI") or "memory:"


def fresh_db() -> booking.Database:
    """An empty store: a private memory store, or a new schema of the test
    database (the library creates its tables there)."""
    if TEST_URI.startswith("memory:"):
        return booking.open("memory:")
    return booking.open(TEST_URI, schema="bk_py_" + uuid.uuid4().hex[:16])


def at(text: str) -> datetime:
    """An aware UTC datetime from "YYYY-MM-DDTHH:MM:SSZ"."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


class DbCase(unittest.TestCase):
    """A fresh store (see fresh_db) with Anna (Europe/Berlin, Mon-Fri 09:00-17:00)
    and a 30-minute consultation with a 10-minute buffer after."""

    def setUp(self) -> None:
        self.db = fresh_db()
        self.addCleanup(self.db.close)
        self.anna = self.db.create_provider(username="anna", email="anna@praxis.example",
                                            full_name="Dr. Anna Schmidt", timezone="Europe/Berlin",
                                            business_name="Praxis Schmidt")
        self.consult = self.db.create_service(self.anna, "Consultation", minutes(30),
                                              buffer_after=minutes(10), price_minor=6000)
        for wd in range(1, 6):
            self.db.add_availability(self.anna, wd, time(9), time(17))

    def book(self, start: datetime, email: str = "jamie@example.com", **kw) -> booking.Booking:
        return self.db.book(self.anna, self.consult, start, customer_name="Jamie Rivera",
                            customer_email=email, now=NOW, **kw)
