# frozen_string_literal: true

# The Ruby binding against the library: every public call, Ruby values in and
# out, answers checked against what the C API promises.
require_relative "test_helper"

def plain(text)
  # ICU writes thin and narrow no-break spaces; compared as plain spaces.
  text.tr("\u2009\u202f\u00a0", "   ")
end

class HandleTest < Minitest::Test
  include BookingTest

  def test_block_form_closes
    kept = nil
    result = Booking.open("memory:") do |db|
      kept = db
      refute db.closed?
      db.providers.size
    end
    assert_equal 0, result
    assert kept.closed?
    kept.close # idempotent
    e = assert_raises(Booking::Misuse) { kept.providers }
    assert_equal(-12, e.code)
    assert_includes e.message, "closed"
  end

  def test_block_form_closes_on_exception
    kept = nil
    assert_raises(RuntimeError) do
      Booking.open("memory:") do |db|
        kept = db
        raise "boom"
      end
    end
    assert kept.closed?
  end

  def test_named_memory_store_is_shared
    name = "memory:rb-#{SecureRandom.uuid}"
    Booking.open(name) do |a|
      Booking.open(name) do |b|
        id = a.create_provider(username: "shared", email: "s@example.com", full_name: "S", timezone: "UTC")
        assert_equal "shared", b.provider(id).username
      end
    end
    Booking.open(name) { |c| assert_empty c.providers }
  end

  def test_open_ext_options_and_bad_uri
    Booking.open("memory:", schema: "app", migrate: false, booking_partitions: 0) { |db| assert_empty db.providers }
    e = assert_raises(Booking::InvalidInput) { Booking.open("nosuch:thing") }
    assert_includes e.message, "uri"
    assert_equal(-1, Booking.last_error[0])
  end

  def test_unreachable_server_is_connection_error
    e = assert_raises(Booking::ConnectionError) { Booking.open("postgresql://bk@127.0.0.1:1/none?connect_timeout=5") }
    assert_equal(-10, e.code)
  end

  def test_last_error_of_handle
    Booking.open("memory:") do |db|
      assert_raises(Booking::NotFound) { db.provider(SecureRandom.uuid) }
      code, message = db.last_error
      assert_equal(-2, code)
      assert_includes message, "provider"
    end
  end
end

class HandlelessTest < Minitest::Test
  include BookingTest

  def test_version
    assert_match(/\A\d+\.\d+\.\d+\z/, Booking.version)
    major, minor, patch = Booking.version.split(".").map(&:to_i)
    assert_equal major * 10_000 + minor * 100 + patch, Booking.version_number
  end

  def test_strerror
    refute_equal Booking.strerror(-3), Booking.strerror(-4)
    assert_equal Booking.strerror(12_345), Booking.strerror(54_321)
  end

  def test_iso_round_trip
    t = Booking.parse_time_iso("2026-03-29T01:30:00Z")
    assert_equal Time.utc(2026, 3, 29, 1, 30), t
    assert t.utc?
    assert_equal "2026-03-29T01:30:00Z", Booking.format_time_iso(t.getlocal("+02:00"))
    assert_equal "1901-01-01T00:00:00Z", Booking.format_time_iso(Time.utc(1901))
    assert_raises(Booking::InvalidInput) { Booking.parse_time_iso("2026-03-29 01:30") }
    assert_raises(Booking::InvalidInput) { Booking.format_time_iso(Time.utc(2200)) }
  end

  def test_format_time
    t = at("2026-03-30T07:00:00Z")
    assert_equal "09:00", Booking.format_time(t, "Europe/Berlin", locale: "de_DE", skeleton: "HHmm")
    assert_includes Booking.format_time(t, "America/New_York", skeleton: "jmm"), "3:00"
    long = Booking.format_time(t, "Europe/Berlin", locale: "de_DE", skeleton: "EEEEMMMMdyyyyHHmmsszzzz")
    assert_includes long, "Mitteleuropäische Sommerzeit"
    assert_raises(Booking::InvalidInput) { Booking.format_time(t, "Mars/Olympus") }
  end

  def test_zones
    assert Booking.valid_timezone?("Asia/Kathmandu")
    refute Booking.valid_timezone?("Europe/Berlim")
    assert_equal "America/New_York", Booking.canonical_timezone("US/Eastern")
    assert_equal "Asia/Kolkata", Booking.canonical_timezone("Asia/Calcutta")
    assert_raises(Booking::InvalidInput) { Booking.canonical_timezone("Nowhere/Special") }
    zones = Booking.timezones
    assert_equal zones.sort_by(&:b), zones
    assert_includes zones, "Europe/Berlin"
    assert_includes zones, "UTC"
    refute_includes zones, "US/Eastern"
    assert_match(/\A(\d{4}[a-z]|unknown)\z/, Booking.tzdata_version)
  end

  def test_parse_id
    u = SecureRandom.uuid
    assert_equal u, Booking.parse_id(u)
    assert_raises(Booking::InvalidInput) { Booking.parse_id("not-a-uuid") }
  end

  def test_status_and_reason_names
    assert_equal "no_show", Booking.status_name(:no_show)
    assert_equal :cancelled, Booking.parse_status("cancelled")
    assert_raises(Booking::InvalidInput) { Booking.parse_status("canceled") }
    assert_raises(Booking::InvalidInput) { Booking.status_name(9) }
    assert_equal "blocked", Booking.slot_reason_name(:blocked)
    assert_equal "offered", Booking.slot_reason_name(0)
  end

  def test_format_slot
    slot = Booking::Slot.new(at("2026-03-30T07:00:00Z"), at("2026-03-30T07:30:00Z"))
    assert_equal "2026年3月30日(月) 16時00分～16時30分(JST)",
                 Booking.format_slot(slot, "Asia/Tokyo", locale: "ja_JP", style: :name)
    assert_includes Booking.format_slot(slot, "Europe/Berlin", locale: "de_DE", style: :offset), "GMT+2"
    assert_raises(Booking::InvalidInput) { Booking.format_slot([slot.end, slot.start], "UTC") }
  end
end

class ProviderTest < Minitest::Test
  include BookingTest::DbCase

  def test_create_get_update_list
    p = @db.provider(@anna)
    assert_equal [@anna, "anna", "Praxis Schmidt", nil], [p.id, p.username, p.business_name, p.description]
    assert p.created_at.utc?
    refute p.deleted?
    p.full_name = "Dr. Anna Schmidt-Lang"
    p.description = "Allgemeinmedizin"
    @db.update_provider(p)
    q = @db.provider(p) # a record works as an id
    assert_equal ["Dr. Anna Schmidt-Lang", "Allgemeinmedizin"], [q.full_name, q.description]
    ben = @db.create_provider(username: "ben", email: "ben@example.com", full_name: "Ben", timezone: "America/New_York")
    assert_equal [@anna, ben], @db.providers.map(&:id)
  end

  def test_unicode_round_trip
    id = @db.create_provider(username: "zoë", email: "zoë@exämple.com", full_name: "Zoë Ångström 日本",
                             timezone: "Asia/Tokyo")
    p = @db.provider(id)
    assert_equal "Zoë Ångström 日本", p.full_name
    assert_equal Encoding::UTF_8, p.full_name.encoding
    # Latin-1 text is converted, not passed as raw bytes.
    id2 = @db.create_provider(username: "lat", email: "lat@example.com", full_name: "Ren\xE9".dup.force_encoding("ISO-8859-1"),
                              timezone: "UTC")
    assert_equal "René", @db.provider(id2).full_name
  end

  def test_duplicate_is_exists
    e = assert_raises(Booking::Exists) do
      @db.create_provider(username: "ANNA", email: "other@example.com", full_name: "A", timezone: "UTC")
    end
    assert_includes e.message, "username"
  end

  def test_soft_delete_restore_purge
    @db.delete_provider(@anna)
    assert_empty @db.providers
    assert @db.provider(@anna).deleted?
    assert_raises(Booking::NotFound) do
      @db.slots(provider: @anna, service: @consult, from: at("2026-03-23T00:00:00Z"), to: at("2026-03-24T00:00:00Z"), now: NOW)
    end
    @db.restore_provider(@anna)
    assert_equal 1, @db.providers.size
    assert_equal 0, @db.purge_providers(Time.now + 86_400)
    @db.delete_provider(@anna)
    assert_equal 1, @db.purge_providers(Time.now + 86_400)
    assert_raises(Booking::NotFound) { @db.provider(@anna) }
  end

  def test_passwords
    @db.set_password(@anna, "correct horse battery")
    login = @db.verify_password("ANNA@praxis.example", "correct horse battery")
    assert_equal [@anna, false], [login.provider, login.rehashed]
    e = assert_raises(Booking::Denied) { @db.verify_password("anna", "wrong horse battery") }
    assert_equal(-15, e.code)
    refute_includes e.message, "horse"
    assert_invalid("password") { @db.set_password(@anna, "short") }
    assert_raises(Booking::InvalidInput) { @db.set_password_hash(@anna, "$2b$10$notargon") }
    @db.set_password_hash(@anna, weak_argon2id("imported password"))
    assert_raises(Booking::Denied) { @db.verify_password("anna", "correct horse battery") }
    assert @db.verify_password("anna", "imported password").rehashed
    refute @db.verify_password("anna", "imported password").rehashed
  end

  module Sodium
    extend FFI::Library
    ffi_lib ["sodium", "libsodium.so.23"]
    attach_function :sodium_init, [], :int
    attach_function :crypto_pwhash_argon2id_str, %i[pointer string ulong_long ulong_long size_t], :int
  end

  # An Argon2id hash with libsodium's smallest limits (opslimit 1, 8 KiB),
  # made by libsodium itself: "a hash made elsewhere".
  def weak_argon2id(password)
    assert Sodium.sodium_init >= 0
    out = FFI::MemoryPointer.new(:char, 128)
    assert_equal 0, Sodium.crypto_pwhash_argon2id_str(out, password, password.bytesize, 1, 8192)
    out.read_string
  end
end

class ServiceTest < Minitest::Test
  include BookingTest::DbCase

  def test_defaults_come_from_the_library
    s = @db.service(@consult)
    assert_equal [30, 10, 0, "EUR", true, false, 6000],
                 [s.duration_minutes, s.buffer_after_minutes, s.buffer_before_minutes, s.currency, s.active,
                  s.requires_confirmation, s.price_minor]
  end

  def test_update_list_deactivate
    s = @db.service(@consult)
    s.name = "Long consultation"
    s.duration_minutes = 60
    s.horizon_days = 30
    s.description = "bring x-rays"
    @db.update_service(s)
    t = @db.service(@consult)
    assert_equal ["Long consultation", 60, 30, "bring x-rays"], [t.name, t.duration_minutes, t.horizon_days, t.description]
    second = @db.create_service(provider: @anna, name: "Check-up", duration_minutes: 15, display_order: -1,
                                requires_confirmation: true, currency: "USD")
    assert_equal [second, @consult], @db.services(@anna).map(&:id)
    @db.deactivate_service(second)
    refute @db.service(second).active
    assert_raises(Booking::InvalidInput) do
      @db.slots(provider: @anna, service: second, from: at("2026-03-23T00:00:00Z"), to: at("2026-03-24T00:00:00Z"), now: NOW)
    end
    assert_raises(ArgumentError) { @db.create_service(provider: @anna, name: "X", duration_minutes: 5, colour: "red") }
  end
end

class ScheduleTest < Minitest::Test
  include BookingTest::DbCase

  def test_availability_rows
    cut = @db.add_availability(provider: @anna, weekday: :monday, start: 720, end: "13:00", available: false)
    rows = @db.availability(@anna)
    assert_equal 6, rows.size
    monday = rows.select { |r| r.weekday == 1 }
    assert_equal [[540, 1020, true], [720, 780, false]], monday.map { |r| [r.start_minute, r.end_minute, r.available] }
    slots = @db.slots(provider: @anna, service: @consult, from: at("2026-03-23T00:00:00Z"), to: at("2026-03-24T00:00:00Z"), now: NOW)
    assert_equal 14, slots.size
    @db.delete_availability(cut)
    assert_equal 5, @db.availability(@anna).size
    assert_raises(Booking::NotFound) { @db.delete_availability(cut) }
  end

  def test_end_of_day
    @db.add_availability(provider: @anna, weekday: :saturday, start: "23:00", end: "24:00")
    slots = @db.slots(provider: @anna, service: @consult, from: at("2026-03-28T00:00:00Z"), to: at("2026-03-29T00:00:00Z"), now: NOW)
    assert_equal ["2026-03-28T22:00:00Z", "2026-03-28T22:30:00Z"], slots.map { |s| iso(s.start) }
    assert_equal 1800, slots.first.duration
  end

  def test_overrides
    @db.set_override(provider: @anna, date: Date.new(2026, 3, 29), intervals: [["10:00", "12:00"]])
    @db.set_override(provider: @anna, date: Date.new(2026, 3, 30))
    got = @db.overrides(@anna, from: Date.new(2026, 3, 1), to: Date.new(2026, 3, 31))
    assert_equal [[Date.new(2026, 3, 29), [[600, 720]]], [Date.new(2026, 3, 30), []]], got.map { |o| [o.date, o.intervals] }
    slots = @db.slots(provider: @anna, service: @consult, from: at("2026-03-29T00:00:00Z"), to: at("2026-03-31T00:00:00Z"), now: NOW)
    assert_equal %w[2026-03-29T08:00:00Z 2026-03-29T08:30:00Z 2026-03-29T09:00:00Z 2026-03-29T09:30:00Z],
                 slots.map { |s| iso(s.start) }
    @db.delete_override(@anna, Date.new(2026, 3, 30))
    assert_equal 1, @db.overrides(@anna, from: Date.new(2026, 3, 1), to: Date.new(2026, 3, 31)).size
  end

  def test_blocked_periods
    bid = @db.add_blocked(provider: @anna, start: at("2026-03-23T08:00:00Z"), end: at("2026-03-23T09:00:00Z"), reason: "meeting")
    rid = @db.add_blocked(provider: @anna, start: at("2026-03-24T11:00:00Z"), end: at("2026-03-24T12:00:00Z"),
                          rrule: "FREQ=DAILY;COUNT=3")
    got = @db.blocked(@anna, from: at("2026-03-01T00:00:00Z"), to: at("2026-04-01T00:00:00Z"))
    assert_equal [[bid, "meeting", nil], [rid, nil, "FREQ=DAILY;COUNT=3"]], got.map { |b| [b.id, b.reason, b.rrule] }
    v = @db.explain_slot(provider: @anna, service: @consult, from: at("2026-03-23T00:00:00Z"), to: at("2026-03-24T00:00:00Z"),
                         start: at("2026-03-23T08:30:00Z"), now: NOW)
    assert_equal [:blocked, bid, false], [v.reason, v.related, v.offered?]
    refute_empty v.message
    e = assert_raises(Booking::InvalidInput) do
      @db.add_blocked(provider: @anna, start: at("2026-03-23T08:00:00Z"), end: at("2026-03-23T09:00:00Z"), rrule: "FREQ=HOURLY")
    end
    assert_includes e.message, "rrule"
    @db.delete_blocked(bid)
    assert_equal 1, @db.blocked(@anna, from: at("2026-03-01T00:00:00Z"), to: at("2026-04-01T00:00:00Z")).size
  end
end

class BookingLifeTest < Minitest::Test
  include BookingTest::DbCase

  MONDAY_0900 = BookingTest.at("2026-03-30T07:00:00Z") # 09:00 Berlin, after the change

  def test_book_conflict_and_slots
    b = book(MONDAY_0900, customer_timezone: "America/New_York", notes: "first visit")
    assert_equal [:confirmed, MONDAY_0900, 1800, 10, 1, "first visit", nil],
                 [b.status, b.start, b.end - b.start, b.buffer_after_minutes, b.lock_version, b.notes, b.cancelled_at]
    e = assert_raises(Booking::Conflict) { book(MONDAY_0900, email: "else@example.com") }
    assert_equal(-3, e.code)
    assert_includes e.message, b.id
    assert_raises(Booking::Unavailable) { book(at("2026-03-29T07:00:00Z")) }
    starts = @db.slots(provider: @anna, service: @consult, from: at("2026-03-30T00:00:00Z"), to: at("2026-03-31T00:00:00Z"),
                       now: NOW).map(&:start)
    refute_includes starts, MONDAY_0900
    refute_includes starts, MONDAY_0900 + 1800
    assert_equal 14, starts.size
    assert_equal b, @db.booking(b.id)
  end

  def test_pending_life_cycle_and_stale
    svc = @db.create_service(provider: @anna, name: "Surgery", duration_minutes: 60, requires_confirmation: true)
    b = @db.book(provider: @anna, service: svc, start: MONDAY_0900, customer_name: "Kim", customer_email: "kim@example.com", now: NOW)
    assert_equal :pending, b.status
    c = @db.confirm(b)
    assert_equal [:confirmed, 2], [c.status, c.lock_version]
    refute_nil c.confirmed_at
    assert_raises(Booking::Stale) { @db.complete(b) }
    assert_raises(Booking::InvalidInput) { @db.complete(b.id) }
    done = @db.complete(b.id, lock_version: c.lock_version)
    assert_equal :completed, done.status
    e = assert_raises(Booking::BadState) { @db.cancel(done) }
    assert_equal(-6, e.code)
  end

  def test_cancel_no_show_reschedule
    b = book(MONDAY_0900)
    moved = @db.reschedule(b, MONDAY_0900 + 7200, now: NOW)
    assert_equal [b.id, MONDAY_0900 + 7200, 2], [moved.id, moved.start, moved.lock_version]
    assert_raises(Booking::Unavailable) { @db.reschedule(moved, MONDAY_0900 + 420, now: NOW) }
    gone = @db.cancel(moved, reason: "called in sick")
    assert_equal [:cancelled, "called in sick"], [gone.status, gone.cancellation_reason]
    refute gone.live?
    other = book(MONDAY_0900 + 7200, email: "x@example.com")
    assert_equal :no_show, @db.mark_no_show(other).status
  end

  def test_idempotency_key
    a = book(MONDAY_0900, idempotency_key: "order-1234")
    b = book(MONDAY_0900, idempotency_key: "order-1234")
    assert_equal a.id, b.id
    assert_raises(Booking::InvalidInput) { book(MONDAY_0900 + 3600, idempotency_key: "order-1234") }
  end

  def test_list_filters
    a = book(MONDAY_0900)
    b = book(MONDAY_0900 + 3600, email: "pat@example.com")
    @db.cancel(b)
    assert_equal [a.id, b.id], @db.bookings(@anna).map(&:id)
    assert_equal [a.id], @db.bookings(@anna, include_cancelled: false).map(&:id)
    assert_equal [b.id], @db.bookings(@anna, statuses: [:cancelled]).map(&:id)
    assert_equal [b.id], @db.bookings(@anna, customer_email: "PAT@example.com").map(&:id)
    assert_equal [b.id], @db.bookings(@anna, from: MONDAY_0900 + 2700, to: MONDAY_0900 + 5400).map(&:id)
  end

  def test_import
    id = @db.import_booking(provider: @anna, service: @consult, start: at("2026-03-23T08:05:00Z"), end: at("2026-03-23T08:20:00Z"),
                            status: :completed, customer_name: "Old", customer_email: "o@example.com", buffer_before_minutes: 5)
    b = @db.booking(id)
    assert_equal [:completed, 5, 1], [b.status, b.buffer_before_minutes, b.lock_version]
    assert_raises(Booking::Conflict) do
      @db.import_booking(provider: @anna, service: @consult, start: at("2026-03-23T08:10:00Z"), end: at("2026-03-23T08:40:00Z"),
                         status: :confirmed, customer_name: "New", customer_email: "n@example.com")
    end
  end

  def test_tokens
    b = book(MONDAY_0900)
    soon = Time.now + 86_400
    t = @db.issue_token(b, :reschedule, soon)
    assert_match(/\Abkt1_[A-Za-z0-9_-]{43}\z/, t)
    r = @db.redeem_token(t, now: NOW, new_start: MONDAY_0900 + 10_800)
    assert_equal [:reschedule, MONDAY_0900 + 10_800], [r.action, r.booking.start]
    assert_raises(Booking::Used) { @db.redeem_token(t, now: NOW, new_start: MONDAY_0900) }
    c = @db.issue_token(b, :cancel, soon)
    assert_raises(Booking::Expired) { @db.redeem_token(c, now: soon + 1) }
    r = @db.redeem_token(c, reason: "by link")
    assert_equal [:cancelled, "by link"], [r.booking.status, r.booking.cancellation_reason]
    assert_raises(Booking::NotFound) { @db.redeem_token("bkt1_#{'A' * 43}") }
    assert_invalid("token") { @db.redeem_token("bkt1_short") }
    assert_raises(Booking::BadState) { @db.issue_token(b, :confirm, soon) }
  end

  def test_customer_data
    a = book(MONDAY_0900, email: "Jamie@Example.com", customer_phone: "+49 30 1234")
    doc = @db.export_customer("jamie@example.com")
    assert_equal "libbooking.customer-export", doc["format"]
    assert_equal [a.id], doc["bookings"].map { |x| x["id"] }
    assert_empty @db.export_customer("nobody@example.com")["bookings"]
    assert_equal 1, @db.erase_customer("jamie@example.com")
    erased = @db.booking(a.id)
    assert_equal ["erased", "erased@#{a.id}.invalid", nil, a.start],
                 [erased.customer_name, erased.customer_email, erased.customer_phone, erased.start]
    b = book(MONDAY_0900 + 3600, email: "k@example.com")
    assert_equal 0, @db.anonymise_bookings(b.start)
    assert_equal 1, @db.anonymise_bookings(b.end + 1)
  end

  def test_archive
    done = @db.complete(book(MONDAY_0900))
    assert_equal 1, @db.archive_bookings(done.end + 1, batch_size: 1)
    refute_nil @db.booking(done.id).archived_at
    assert_equal [done.id], @db.bookings(@anna).map(&:id)
    assert_invalid("batch_size") { @db.archive_bookings(done.end, batch_size: 0) }
  end

  def test_ical_and_display
    b = book(MONDAY_0900, customer_timezone: "America/New_York")
    ics = @db.booking_ical(b)
    assert ics.start_with?("BEGIN:VCALENDAR\r\n")
    assert_includes ics, "UID:#{b.id}@libbooking\r\n"
    assert_includes ics, "DTSTART:20260330T070000Z\r\n"
    local = @db.booking_ical(b, local_time: true)
    assert_includes local, "DTSTART;TZID=Europe/Berlin:20260330T090000\r\n"
    assert_includes local, "BEGIN:VTIMEZONE"
    feed = @db.provider_ical_feed(@anna, from: at("2026-03-01T00:00:00Z"), to: at("2026-04-01T00:00:00Z"))
    assert_includes feed, "METHOD:PUBLISH"
    assert_equal 1, feed.scan("BEGIN:VEVENT").size
    assert_equal "Mon, Mar 30, 2026, 3:00 – 3:30 AM EDT", plain(@db.format_booking(b, style: :name))
    assert_equal "Mo., 30. März 2026, 09:00–09:30 Uhr Mitteleuropäische Sommerzeit",
                 plain(@db.format_booking(b, zone: "Europe/Berlin", locale: "de_DE", style: :long))
    assert_raises(Booking::NotFound) { @db.booking_ical(SecureRandom.uuid) }
    assert_raises(Booking::NotFound) { @db.format_booking(SecureRandom.uuid) }
  end

  def test_times_in_any_offset
    b = book(Time.new(2026, 3, 30, 9, 0, 0, "+02:00"))
    assert_equal MONDAY_0900, b.start
    assert_raises(Booking::Conflict) { book(Time.new(2026, 3, 30, 3, 0, 0, "-04:00"), email: "ny@example.com") }
  end

  def test_one_database_from_many_threads
    results = Queue.new
    threads = (0...8).map do |i|
      Thread.new do
        book(MONDAY_0900, email: "t#{i}@example.com")
        results << :ok
      rescue Booking::Conflict
        results << :conflict
      end
    end
    threads.each(&:join)
    got = Array.new(results.size) { results.pop }
    assert_equal [:conflict] * 7 + [:ok], got.sort
  end
end
