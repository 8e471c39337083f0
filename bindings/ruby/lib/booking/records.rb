# frozen_string_literal: true

module Booking
  # Records are plain Structs copied out of the library: instants are UTC
  # Time objects, dates Date objects, durations and local times of day
  # Integer minutes (after local midnight; 1440 ends a day), ids Strings,
  # statuses Symbols.  Change a record's members and pass it to the matching
  # update call.

  # A person or resource that is booked.
  Provider = Struct.new(:id, :username, :email, :full_name, :timezone, :business_name,
                        :description, :avatar_url, :created_at, :updated_at, :deleted_at,
                        keyword_init: true) do
    def deleted?
      !deleted_at.nil?
    end
  end

  # What is booked and how.
  Service = Struct.new(:id, :provider, :name, :description, :duration_minutes,
                       :buffer_before_minutes, :buffer_after_minutes, :slot_step_minutes,
                       :min_notice_minutes, :horizon_days, :price_minor, :currency, :active,
                       :display_order, :requires_confirmation, :created_at, :updated_at,
                       keyword_init: true)

  # One weekly row: working time on +weekday+ (0 = Sunday), or with
  # available false, time cut out of it.
  Availability = Struct.new(:id, :provider, :weekday, :start_minute, :end_minute, :available,
                            keyword_init: true)

  # A date whose working time replaces the weekly rows: +intervals+ is an
  # Array of [start_minute, end_minute]; none means a day off.
  Override = Struct.new(:provider, :date, :intervals, keyword_init: true)

  # A period [start, end) in which nothing may be booked; recurring with +rrule+.
  Blocked = Struct.new(:id, :provider, :start, :end, :rrule, :reason, keyword_init: true)

  # A free slot [start, end), UTC Times.
  Slot = Struct.new(:start, :end) do
    def duration
      self.end - start
    end
  end

  # Whether a start is offered and, if not, why (+reason+ a Symbol).
  SlotVerdict = Struct.new(:reason, :related, :start, :end, :message, keyword_init: true) do
    def offered?
      reason == :offered
    end
  end

  # A booking, as stored.
  BookingRecord = Struct.new(:id, :provider, :service, :start, :end, :buffer_before_minutes,
                             :buffer_after_minutes, :status, :lock_version, :idempotency_key,
                             :customer_name, :customer_email, :customer_phone, :customer_timezone,
                             :notes, :cancellation_reason, :created_at, :updated_at, :confirmed_at,
                             :cancelled_at, :archived_at, keyword_init: true) do
    def live?
      status != :cancelled
    end

    def slot
      Slot.new(start, self.end)
    end
  end

  # What Database#redeem_token did.
  TokenRedemption = Struct.new(:action, :booking, keyword_init: true)

  # A successful Database#verify_password.
  Login = Struct.new(:provider, :rehashed, keyword_init: true)

  STATUSES = { pending: 1, confirmed: 2, cancelled: 3, completed: 4, no_show: 5 }.freeze
  SLOT_REASONS = {
    offered: 0, outside_window: 1, outside_working_time: 2, off_grid: 3, blocked: 4,
    notice: 5, horizon: 6, conflict: 7
  }.freeze
  TOKEN_ACTIONS = { confirm: 1, cancel: 2, reschedule: 3 }.freeze
  WEEKDAYS = {
    sunday: 0, monday: 1, tuesday: 2, wednesday: 3, thursday: 4, friday: 5, saturday: 6
  }.freeze
  ZONE_STYLES = { name: 0x1, offset: 0x2, long: 0x4 }.freeze
end
