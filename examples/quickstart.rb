# libbooking from Ruby: Anna in Berlin, Mondays to Fridays 9-17, a booking, the same slot refused.
require "booking"

Booking.open("memory:") do |db|
  anna = db.create_provider(username: "anna", email: "anna@praxis.example",
                            full_name: "Dr. Anna Schmidt", timezone: "Europe/Berlin")
  consult = db.create_service(provider: anna, name: "Consultation", duration_minutes: 30, buffer_after_minutes: 10)
  (1..5).each { |day| db.add_availability(provider: anna, weekday: day, start: "09:00", end: "17:00") } # Mon-Fri
  now = Time.utc(2026, 3, 20, 12)
  slots = db.slots(provider: anna, service: consult, from: Time.utc(2026, 3, 30), to: Time.utc(2026, 3, 31), now: now)
  puts "#{slots.size} slots on Monday 30 March; the first: #{Booking.format_slot(slots.first, 'Europe/Berlin', locale: 'de_DE')}"
  b = db.book(provider: anna, service: consult, start: slots.first.start, customer_name: "Jamie", customer_email: "jamie@example.com", now: now)
  puts "booked #{b.id} #{b.status} #{db.format_booking(b, zone: 'America/New_York')}"
  begin
    db.book(provider: anna, service: consult, start: slots.first.start, customer_name: "Sam", customer_email: "sam@example.com", now: now)
    abort "double-booked!"
  rescue Booking::Conflict => e
    puts "the same slot again: #{e.class} - #{e.message}"
  end
end
