# frozen_string_literal: true

# The public scenarios (tests/scenarios/*.json and rrule/*.json) loaded
# through the binding, as tests/test_scenarios.c loads them through C: every
# one must give exactly its `expected` slots, and bk_slot_explain must agree.
# Read with Ruby's json, times parsed by Ruby.
require_relative "test_helper"

class ScenarioTest < Minitest::Test
  include BookingTest

  def self.files
    (Dir[File.join(SCENARIO_DIR, "*.json")].sort + Dir[File.join(SCENARIO_DIR, "rrule", "*.json")].sort)
  end

  def test_there_are_scenarios
    assert_operator self.class.files.size, :>=, 10, "no scenarios found in #{SCENARIO_DIR}"
  end

  files.each do |path|
    define_method("test_scenario_#{File.basename(path, '.json')}") { check(path) }
  end

  def load(db, sc)
    q = sc["query"]
    provider = db.create_provider(username: "scenario", email: "scenario@example.com", full_name: "Scenario provider",
                                  timezone: sc["provider"]["timezone"])
    svc = sc["service"]
    service = db.create_service(provider: provider, name: "Scenario service", duration_minutes: svc["duration"],
                                buffer_before_minutes: svc.fetch("buffer_before", 0),
                                buffer_after_minutes: svc.fetch("buffer_after", 0),
                                slot_step_minutes: q["step"] || 0, min_notice_minutes: q.fetch("notice", 0),
                                horizon_days: q.fetch("horizon_days", 0))
    sc.fetch("weekly", []).each do |row|
      db.add_availability(provider: provider, weekday: row["weekday"], start: row["start"], end: row["end"],
                          available: row.fetch("available", true))
    end
    sc.fetch("overrides", []).each do |o|
      db.set_override(provider: provider, date: Date.iso8601(o["date"]), intervals: o["intervals"])
    end
    sc.fetch("blocked", []).each do |b|
      db.add_blocked(provider: provider, start: at(b["start"]), end: at(b["end"]), rrule: b["rrule"])
    end
    sc.fetch("bookings", []).each_with_index do |b, i|
      db.import_booking(provider: provider, service: service, start: at(b["start"]), end: at(b["end"]),
                        status: Booking.parse_status(b["status"]), buffer_before_minutes: b.fetch("buffer_before", 0),
                        buffer_after_minutes: b.fetch("buffer_after", 0), customer_name: "Scenario customer #{i}",
                        customer_email: "customer@example.com")
    end
    [provider, service]
  end

  def check(path)
    sc = JSON.parse(File.read(path, encoding: "UTF-8"))
    q = sc["query"]
    from = at(q["from"])
    to = at(q["to"])
    now = at(q["now"])
    name = File.basename(path)
    fresh_db do |db|
      provider, service = load(db, sc)
      got = db.slots(provider: provider, service: service, from: from, to: to, now: now).map { |s| [iso(s.start), iso(s.end)] }
      assert_equal sc["expected"], got, name
      expected = sc["expected"]
      expected.each_slice(expected.size / 25 + 1).map(&:first).each do |start, _|
        v = db.explain_slot(provider: provider, service: service, from: from, to: to, start: at(start), now: now)
        assert_equal :offered, v.reason, "#{name} #{start}: #{v.message}"
        off = db.explain_slot(provider: provider, service: service, from: from, to: to, start: at(start) + 60, now: now)
        refute_equal :offered, off.reason, "#{name} #{start} + 1 min"
      end
    end
  end
end
