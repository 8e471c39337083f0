# frozen_string_literal: true

# Shared helpers of the Ruby binding's tests (minitest).
$LOAD_PATH.unshift File.expand_path("../lib", __dir__)
require "booking"
require "minitest"
require "json"
require "securerandom"

module BookingTest
  REPO = File.expand_path("../../..", __dir__)
  SCENARIO_DIR = ENV.fetch("BK_SCENARIO_DIR", File.join(REPO, "tests", "scenarios"))
  INCLUDE_DIR = ENV.fetch("BK_INCLUDE_DIR", File.join(REPO, "include"))

  # A fixed "now" long before the test data, so notice and horizon never
  # depend on the machine's clock.
  NOW = Time.utc(2026, 3, 1)

  # The store the tests open: "memory:" unless BK_TEST_URI names a database
  # (tests/test_bindings.sh pg, through tests/pg/with-fresh-db.sh).
  TEST_URI = ENV.fetch("BK_TEST_URI", "").then { |u| u.empty? ? "memory:" : u }

  module_function

  # An empty store: a private memory store, or a new schema of the test
  # database (the library creates its tables there).
  def fresh_db(&block)
    return Booking.open("memory:", &block) if TEST_URI.start_with?("memory:")

    Booking.open(TEST_URI, schema: "bk_rb_#{SecureRandom.hex(8)}", &block)
  end

  # A UTC Time from "YYYY-MM-DDTHH:MM:SSZ" (parsed by Ruby, not the library).
  def at(text)
    m = /\A(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z\z/.match(text) or raise ArgumentError, text
    Time.utc(*m.captures.map(&:to_i))
  end

  def iso(time)
    time.utc.strftime("%Y-%m-%dT%H:%M:%SZ")
  end

  # A fresh store (see fresh_db) with Anna (Europe/Berlin, Mon-Fri 09:00-17:00) and
  # a 30-minute consultation with a 10-minute buffer after.
  module DbCase
    include BookingTest

    def setup
      @db = fresh_db
      @anna = @db.create_provider(username: "anna", email: "anna@praxis.example", full_name: "Dr. Anna Schmidt",
                                  timezone: "Europe/Berlin", business_name: "Praxis Schmidt")
      @consult = @db.create_service(provider: @anna, name: "Consultation", duration_minutes: 30,
                                    buffer_after_minutes: 10, price_minor: 6000)
      (1..5).each { |wd| @db.add_availability(provider: @anna, weekday: wd, start: "09:00", end: "17:00") }
    end

    def teardown
      @db&.close
    end

    def book(start, email: "jamie@example.com", **kw)
      @db.book(provider: @anna, service: @consult, start: start, customer_name: "Jamie Rivera",
               customer_email: email, now: NOW, **kw)
    end

    def assert_invalid(field, &block)
      e = assert_raises(Booking::InvalidInput, &block)
      assert_equal(-1, e.code)
      assert_includes e.message, field
      e
    end
  end
end
