# frozen_string_literal: true

# Bad input raises the exception of its family, carrying the library's code
# and a message that names the field.
require_relative "test_helper"

class HierarchyTest < Minitest::Test
  def test_every_code_has_its_class
    expected = {
      -1 => Booking::InvalidInput, -2 => Booking::NotFound, -3 => Booking::Conflict, -4 => Booking::Unavailable,
      -5 => Booking::Stale, -6 => Booking::BadState, -7 => Booking::OutOfMemory, -8 => Booking::Exists,
      -9 => Booking::StoreError, -10 => Booking::ConnectionError, -11 => Booking::CommitUnknown,
      -12 => Booking::Misuse, -13 => Booking::Expired, -14 => Booking::Used, -15 => Booking::Denied
    }
    expected.each do |code, cls|
      assert_same cls, Booking.error_class(code)
      assert cls < Booking::Error
      e = cls.new(code, "m")
      assert_match(/\ABK_E/, e.name)
      refute_empty Booking.strerror(code)
    end
    assert_same Booking::Error, Booking.error_class(-99)
    assert_equal expected.size, expected.values.uniq.size
    assert Booking::Error < StandardError
  end

  def test_message_and_code
    e = Booking::Conflict.new(-3, "start: overlaps booking x")
    assert_equal "start: overlaps booking x", e.message
    assert_equal [-3, "BK_ECONFLICT"], [e.code, e.name]
  end
end

class BadInputTest < Minitest::Test
  include BookingTest::DbCase

  def test_provider_fields_named
    base = { username: "u1", email: "u1@example.com", full_name: "U", timezone: "UTC" }
    {
      "username" => { username: "" }, "email" => { email: "no-at-sign" }, "full_name" => { full_name: nil },
      "timezone" => { timezone: "Europe/Berlim" }, "business_name" => { business_name: "x" * 201 },
      "avatar_url" => { avatar_url: "x" * 2001 }
    }.each do |field, change|
      assert_invalid(field) { @db.create_provider(**base.merge(change)) }
    end
    assert_equal 1, @db.providers.size
  end

  def test_strings_the_library_cannot_see
    e = assert_invalid("full_name") do
      @db.create_provider(username: "u2", email: "u2@example.com", full_name: "a\0b", timezone: "UTC")
    end
    assert_includes e.message, "NUL"
    assert_invalid("notes") { book(at("2026-03-30T07:00:00Z"), notes: "\xff\xfe".dup.force_encoding("UTF-8")) }
  end

  def test_service_fields_named
    assert_invalid("duration") { @db.create_service(provider: @anna, name: "S", duration_minutes: 0) }
    assert_invalid("currency") { @db.create_service(provider: @anna, name: "S", duration_minutes: 30, currency: "euro") }
    assert_invalid("horizon") { @db.create_service(provider: @anna, name: "S", duration_minutes: 30, horizon_days: 4000) }
    assert_invalid("price_minor") { @db.create_service(provider: @anna, name: "S", duration_minutes: 30, price_minor: -1) }
    assert_invalid("duration") { @db.create_service(provider: @anna, name: "S", duration_minutes: 2**40) }
    assert_invalid("name") { @db.create_service(provider: @anna, name: nil, duration_minutes: 30) }
    assert_invalid("provider") { @db.create_service(provider: "not-a-uuid", name: "S", duration_minutes: 30) }
    assert_invalid("provider") { @db.create_service(provider: "x" * 60, name: "S", duration_minutes: 30) }
    assert_raises(Booking::NotFound) { @db.create_service(provider: SecureRandom.uuid, name: "S", duration_minutes: 30) }
  end

  def test_times_and_dates
    assert_invalid("start") { @db.add_availability(provider: @anna, weekday: 1, start: "9am", end: "17:00") }
    assert_invalid("start") { @db.add_availability(provider: @anna, weekday: 1, start: "18:00", end: "17:00") }
    assert_invalid("weekday") { @db.add_availability(provider: @anna, weekday: 7, start: "09:00", end: "17:00") }
    assert_invalid("weekday") { @db.add_availability(provider: @anna, weekday: :funday, start: "09:00", end: "17:00") }
    assert_invalid("end") { @db.add_availability(provider: @anna, weekday: 1, start: "09:00", end: "25:00") }
    assert_invalid("intervals") { @db.set_override(provider: @anna, date: Date.new(2026, 3, 30), intervals: [%w[12:00 10:00]]) }
    assert_invalid("n_intervals") do
      @db.set_override(provider: @anna, date: Date.new(2026, 3, 30), intervals: [%w[00:00 00:10]] * 49)
    end
    assert_invalid("to") do
      @db.slots(provider: @anna, service: @consult, from: at("2026-03-24T00:00:00Z"), to: at("2026-03-23T00:00:00Z"), now: NOW)
    end
    assert_invalid("to") do
      @db.slots(provider: @anna, service: @consult, from: at("2026-01-01T00:00:00Z"), to: at("2027-06-01T00:00:00Z"), now: NOW)
    end
    assert_invalid("status") do
      @db.import_booking(provider: @anna, service: @consult, start: at("2026-03-23T08:00:00Z"), end: at("2026-03-23T08:30:00Z"),
                         status: :lost, customer_name: "X", customer_email: "x@example.com")
    end
  end

  def test_wrong_ruby_types_are_type_errors
    assert_raises(TypeError) do
      @db.slots(provider: @anna, service: @consult, from: "2026-03-23", to: at("2026-03-24T00:00:00Z"))
    end
    assert_raises(TypeError) { @db.create_service(provider: @anna, name: "S", duration_minutes: 30.0) }
    assert_raises(TypeError) { @db.set_override(provider: @anna, date: Time.now) }
    assert_raises(TypeError) { @db.provider(42) }
    assert_raises(ArgumentError) { @db.book(provider: @anna, service: @consult, start: Time.now) } # missing keywords
  end

  def test_not_found_family
    missing = SecureRandom.uuid
    calls = [
      -> { @db.provider(missing) }, -> { @db.service(missing) }, -> { @db.booking(missing) },
      -> { @db.delete_blocked(missing) }, -> { @db.delete_provider(missing) }, -> { @db.restore_provider(missing) },
      -> { @db.deactivate_service(missing) }, -> { @db.services(missing) },
      -> { @db.set_password(missing, "long enough password") }, -> { @db.cancel(missing, lock_version: 1) }
    ]
    calls.each do |call|
      e = assert_raises(Booking::NotFound, &call)
      assert_equal(-2, e.code)
      refute_empty e.message
    end
  end

  def test_unavailable_reasons
    %w[2026-03-30T06:00:00Z 2026-03-30T07:10:00Z 2026-03-28T09:00:00Z].each do |time|
      e = assert_raises(Booking::Unavailable) { book(at(time)) }
      assert_equal(-4, e.code)
    end
    assert_raises(Booking::Unavailable) do
      @db.book(provider: @anna, service: @consult, start: at("2026-03-30T07:00:00Z"), customer_name: "C",
               customer_email: "c@example.com", now: at("2026-03-30T07:30:00Z"))
    end
  end

  def test_denied_for_unknown_login
    assert_raises(Booking::Denied) { @db.verify_password("nobody", "whatever password") }
  end

  def test_handleless_message_slot
    e = assert_raises(Booking::InvalidInput) { Booking.parse_time_iso("yesterday") }
    assert_equal [-1, e.message], Booking.last_error
  end
end
