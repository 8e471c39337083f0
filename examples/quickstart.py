"""libbooking from Python: Anna in Berlin, Mondays to Fridays 9-17, a booking, the same slot refused."""
from datetime import datetime, time, timedelta, timezone
import booking

with booking.open("memory:") as db:
    anna = db.create_provider(username="anna", email="anna@praxis.example",
                              full_name="Dr. Anna Schmidt", timezone="Europe/Berlin")
    consult = db.create_service(anna, "Consultation", timedelta(minutes=30), buffer_after=timedelta(minutes=10))
    for day in range(booking.Weekday.MONDAY, booking.Weekday.SATURDAY):
        db.add_availability(anna, day, time(9), time(17))
    now = datetime(2026, 3, 20, 12, tzinfo=timezone.utc)
    slots = db.slots(anna, consult, datetime(2026, 3, 30, tzinfo=timezone.utc),
                     datetime(2026, 3, 31, tzinfo=timezone.utc), now=now)
    print(len(slots), "slots on Monday 30 March; the first:", booking.format_slot(slots[0], "Europe/Berlin", "de_DE"))
    b = db.book(anna, consult, slots[0].start, customer_name="Jamie", customer_email="jamie@example.com", now=now)
    print("booked", b.id, b.status.label, db.format_booking(b, zone="America/New_York"))
    try:
        db.book(anna, consult, slots[0].start, customer_name="Sam", customer_email="sam@example.com", now=now)
    except booking.Conflict as e:
        print("the same slot again:", type(e).__name__, "-", e.message)
    else:
        raise SystemExit("double-booked!")
