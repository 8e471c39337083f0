# frozen_string_literal: true

require "json"

module Booking
  # Calls that run the library's buffer protocol: the message of a too-small
  # buffer says how many bytes are needed, and the call is repeated with that.
  module Buffer
    TOO_SMALL = /\Abuf_size: \d+ bytes is too small, (\d+) needed/.freeze

    module_function

    def formatted(message_of, error_of)
      size = 256
      loop do
        buf = ::FFI::MemoryPointer.new(:char, size)
        rc = yield(buf, size)
        return buf.read_string.force_encoding(Encoding::UTF_8) if rc.zero?

        m = rc == -1 ? TOO_SMALL.match(message_of.call) : nil
        if m && m[1].to_i > size
          size = m[1].to_i
          next
        end
        raise error_of.call(rc)
      end
    end
  end

  # A connection to one store (bk_db).  Use the block form of Booking.open,
  # or close it; one left open is closed when it is garbage-collected.  Calls
  # on one Database are serialised, as the library requires.
  #
  # Ownership: every pointer the library hands out is copied into Ruby objects
  # and freed with its bk_*_free before the method returns, on the error path
  # too.
  class Database
    CV = Convert

    def initialize(pointer, uri, keepalive = nil)
      @handle = ::FFI::AutoPointer.new(pointer, C.method(:bk_close))
      @uri = uri
      @keepalive = keepalive
      @mutex = Monitor.new
    end

    # Closes the handle (idempotent).  Records already returned stay valid.
    def close
      @mutex.synchronize do
        return if @handle.nil?

        handle = @handle
        @handle = nil
        handle.free
      end
      nil
    end

    def closed?
      @handle.nil?
    end

    def inspect
      "#<Booking::Database #{@uri.inspect}#{closed? ? ' closed' : ''}>"
    end

    # [code, message] of the last call on this handle (bk_errcode, bk_errmsg).
    def last_error
      @mutex.synchronize { [C.bk_errcode(live), C.bk_errmsg(live)] }
    end

    # --- providers ---

    # Creates a provider; returns its id.  InvalidInput (field named),
    # Exists (username or email taken).
    def create_provider(username:, email:, full_name:, timezone:, business_name: nil, description: nil,
                        avatar_url: nil)
      keep = CV::Keep.new
      p = C::BkProvider.new
      C.bk_provider_init(p)
      fill_provider(p, keep, username: username, email: email, full_name: full_name, timezone: timezone,
                             business_name: business_name, description: description, avatar_url: avatar_url)
      out = C::BkId.new
      call(:bk_provider_create, p, out)
      CV.id_of(out)
    end

    # Reads a provider (a soft-deleted one too, with deleted_at set).
    def provider(id)
      one(:bk_provider_get, :bk_provider_free, C::BkProvider, :provider, CV.id(id, "id"))
    end

    # Writes every member of +provider+ (a Provider record) back to provider.id.
    def update_provider(provider)
      raise CV.type_error("provider", "a Booking::Provider", provider) unless provider.is_a?(Provider)

      keep = CV::Keep.new
      p = C::BkProvider.new
      C.bk_provider_init(p)
      p[:id] = CV.id(provider.id, "id")
      fill_provider(p, keep, **provider.to_h.slice(:username, :email, :full_name, :timezone, :business_name,
                                                   :description, :avatar_url))
      call(:bk_provider_update, p)
      nil
    end

    # Every provider that is not deleted, by username.
    def providers
      many(:bk_provider_list, :bk_provider_list_free, C::BkProvider, :provider)
    end

    # Soft-deletes a provider.
    def delete_provider(id)
      call(:bk_provider_delete, CV.id(id, "id"))
      nil
    end

    def restore_provider(id)
      call(:bk_provider_restore, CV.id(id, "id"))
      nil
    end

    # Removes for good the providers soft-deleted before +deleted_before+;
    # returns how many.
    def purge_providers(deleted_before)
      count(:bk_provider_purge, CV.time(deleted_before, "deleted_before"))
    end

    def set_password(provider, password)
      keep = CV::Keep.new
      call(:bk_provider_set_password, CV.id(provider, "provider"), keep.str(password, "password"))
      nil
    end

    def set_password_hash(provider, argon2id_hash)
      keep = CV::Keep.new
      call(:bk_provider_set_password_hash, CV.id(provider, "provider"), keep.str(argon2id_hash, "argon2id_hash"))
      nil
    end

    # Checks a login (username or email); Denied if it fails.
    def verify_password(login, password)
      keep = CV::Keep.new
      out = C::BkId.new
      rehashed = ::FFI::MemoryPointer.new(:int)
      call(:bk_provider_verify_password, keep.str(login, "login"), keep.str(password, "password"), out, rehashed)
      Login.new(provider: CV.id_of(out), rehashed: rehashed.read_int != 0)
    end

    # --- services ---

    # Creates a service; returns its id.  Options left out keep the
    # library's defaults (bk_service_init).
    def create_service(provider:, name:, duration_minutes:, **options)
      keep = CV::Keep.new
      s = C::BkService.new
      C.bk_service_init(s)
      s[:provider] = CV.id(provider, "provider")
      fill_service(s, keep, { name: name, duration_minutes: duration_minutes }.merge(options))
      out = C::BkId.new
      call(:bk_service_create, s, out)
      CV.id_of(out)
    end

    def service(id)
      one(:bk_service_get, :bk_service_free, C::BkService, :service, CV.id(id, "id"))
    end

    # Writes every member of +service+ but its provider back to service.id.
    def update_service(service)
      raise CV.type_error("service", "a Booking::Service", service) unless service.is_a?(Service)

      keep = CV::Keep.new
      s = C::BkService.new
      C.bk_service_init(s)
      s[:id] = CV.id(service.id, "id")
      s[:provider] = CV.id(service.provider, "provider")
      fields = service.to_h.reject { |k, _| %i[id provider created_at updated_at].include?(k) }
      fill_service(s, keep, fields, clear: true)
      call(:bk_service_update, s)
      nil
    end

    # A provider's services by display_order, then name (inactive ones too).
    def services(provider)
      many(:bk_service_list, :bk_service_list_free, C::BkService, :service, CV.id(provider, "provider"))
    end

    def deactivate_service(id)
      call(:bk_service_deactivate, CV.id(id, "id"))
      nil
    end

    # --- weekly availability ---

    # Adds a weekly row: working time on +weekday+ (0 = Sunday, or
    # :sunday..:saturday) from +start+ to +end+ (minutes after local midnight
    # or "HH:MM"; 1440 / "24:00" ends the day); with available: false the
    # span is cut out of the day's working time.  Returns its id.
    def add_availability(provider:, weekday:, start:, end:, available: true)
      a = C::BkAvailability.new
      C.bk_availability_init(a)
      a[:provider] = CV.id(provider, "provider")
      a[:weekday] = CV.weekday(weekday, "weekday")
      a[:start_minute] = CV.minute_of_day(start, "start")
      a[:end_minute] = CV.minute_of_day(binding.local_variable_get(:end), "end")
      a[:is_available] = CV.bool(available)
      out = C::BkId.new
      call(:bk_availability_add, a, out)
      CV.id_of(out)
    end

    def availability(provider)
      many(:bk_availability_list, :bk_availability_list_free, C::BkAvailability, :availability,
           CV.id(provider, "provider"))
    end

    def delete_availability(id)
      call(:bk_availability_delete, CV.id(id, "id"))
      nil
    end

    # --- date overrides ---

    # Sets the working time of one Date (replacing the weekly rows):
    # +intervals+ is an Array of [start, end] (minutes or "HH:MM"); none
    # means a day off.
    def set_override(provider:, date:, intervals: [])
      raise CV.type_error("intervals", "an Array of [start, end]", intervals) unless intervals.is_a?(Array)
      if intervals.size > C::OVERRIDE_MAX_INTERVALS
        raise CV.bad("n_intervals", "#{intervals.size} intervals, at most #{C::OVERRIDE_MAX_INTERVALS}")
      end

      o = C::BkOverride.new
      C.bk_override_init(o)
      o[:provider] = CV.id(provider, "provider")
      o[:date] = CV.date(date, "date")
      arr = ::FFI::MemoryPointer.new(C::BkLocalInterval, [intervals.size, 1].max)
      intervals.each_with_index do |pair, i|
        unless pair.is_a?(Array) && pair.size == 2
          raise CV.type_error("intervals[#{i}]", "a [start, end] pair", pair)
        end

        iv = C::BkLocalInterval.new(arr + i * C::BkLocalInterval.size)
        iv[:start_minute] = CV.minute_of_day(pair[0], "intervals[#{i}].start")
        iv[:end_minute] = CV.minute_of_day(pair[1], "intervals[#{i}].end")
      end
      o[:n_intervals] = intervals.size
      o[:intervals] = intervals.empty? ? ::FFI::Pointer::NULL : arr
      call(:bk_override_set, o)
      nil
    end

    # A provider's overrides dated +from+..+to+ (inclusive Dates), by date.
    def overrides(provider, from:, to:)
      many(:bk_override_list, :bk_override_list_free, C::BkOverride, :override, CV.id(provider, "provider"),
           CV.date(from, "from"), CV.date(to, "to"))
    end

    def delete_override(provider, date)
      call(:bk_override_delete, CV.id(provider, "provider"), CV.date(date, "date"))
      nil
    end

    # --- blocked periods ---

    # Blocks [start, end); with an RFC 5545 +rrule+ the period recurs.
    # Returns its id.
    def add_blocked(provider:, start:, end:, rrule: nil, reason: nil)
      keep = CV::Keep.new
      b = C::BkBlocked.new
      C.bk_blocked_init(b)
      b[:provider] = CV.id(provider, "provider")
      b[:start] = CV.time(start, "start")
      b[:end] = CV.time(binding.local_variable_get(:end), "end")
      b[:rrule] = keep.str(rrule, "rrule")
      b[:reason] = keep.str(reason, "reason")
      out = C::BkId.new
      call(:bk_blocked_add, b, out)
      CV.id_of(out)
    end

    # A provider's blocked periods overlapping [from, to), by start.
    def blocked(provider, from:, to:)
      many(:bk_blocked_list, :bk_blocked_list_free, C::BkBlocked, :blocked, CV.id(provider, "provider"),
           CV.time(from, "from"), CV.time(to, "to"))
    end

    def delete_blocked(id)
      call(:bk_blocked_delete, CV.id(id, "id"))
      nil
    end

    # --- slots ---

    # The free slots of +service+ starting in [from, to), sorted (DESIGN.md
    # section 3).  +now+ (default: the clock) decides notice and horizon.
    def slots(provider:, service:, from:, to:, now: nil)
      q = query(provider, service, from, to, now)
      out = ::FFI::MemoryPointer.new(:pointer)
      n = ::FFI::MemoryPointer.new(:size_t)
      begin
        call(:bk_slots, q, out, n)
        arr = out.read_pointer
        (0...n.read(:size_t)).map { |i| CV.slot(C::BkSlot.new(arr + i * C::BkSlot.size)) }
      ensure
        C.bk_slots_free(out.read_pointer) unless out.read_pointer.null?
      end
    end

    # Whether +start+ would be offered by slots(...) with the same window
    # and, if not, why (a SlotVerdict).
    def explain_slot(provider:, service:, from:, to:, start:, now: nil)
      q = query(provider, service, from, to, now)
      v = C::BkSlotVerdict.new
      v[:version] = C::SLOT_VERDICT_VERSION
      call(:bk_slot_explain, q, CV.time(start, "start"), v)
      SlotVerdict.new(reason: SLOT_REASONS.key(v[:reason]) || v[:reason], related: CV.opt_id(v[:related]),
                      start: CV.from_time(v[:start]), end: CV.from_time(v[:end]),
                      message: v[:message].to_s.force_encoding(Encoding::UTF_8))
    end

    # --- bookings ---

    # Books the slot starting at +start+, atomically.  Conflict if it
    # overlaps a live booking, Unavailable if it is not offered.  With an
    # idempotency key, repeating the call returns the first booking.
    def book(provider:, service:, start:, customer_name:, customer_email:, customer_phone: nil,
             customer_timezone: nil, notes: nil, idempotency_key: nil, now: nil)
      keep = CV::Keep.new
      r = C::BkBookRequest.new
      C.bk_book_request_init(r)
      r[:provider] = CV.id(provider, "provider")
      r[:service] = CV.id(service, "service")
      r[:start] = CV.time(start, "start")
      r[:now] = CV.time(now, "now", unset_ok: true)
      r[:idempotency_key] = keep.str(idempotency_key, "idempotency_key")
      r[:customer_name] = keep.str(customer_name, "customer_name")
      r[:customer_email] = keep.str(customer_email, "customer_email")
      r[:customer_phone] = keep.str(customer_phone, "customer_phone")
      r[:customer_timezone] = keep.str(customer_timezone, "customer_timezone")
      r[:notes] = keep.str(notes, "notes")
      one(:bk_book, :bk_booking_free, C::BkBooking, :booking, r)
    end

    # Stores an existing booking as it is (history from another system):
    # only its occupied range is checked against live bookings.  Returns its id.
    def import_booking(provider:, service:, start:, end:, status:, customer_name:, customer_email:,
                       buffer_before_minutes: 0, buffer_after_minutes: 0, idempotency_key: nil,
                       customer_phone: nil, customer_timezone: nil, notes: nil, cancellation_reason: nil,
                       confirmed_at: nil, cancelled_at: nil)
      keep = CV::Keep.new
      # booking.h has no bk_booking_init: as for C callers, the record starts
      # zeroed with its version set and every instant unset.
      b = C::BkBooking.new
      b[:version] = C::BOOKING_VERSION
      b[:created_at] = b[:updated_at] = b[:archived_at] = C::TIME_UNSET
      b[:provider] = CV.id(provider, "provider")
      b[:service] = CV.id(service, "service")
      b[:start] = CV.time(start, "start")
      b[:end] = CV.time(binding.local_variable_get(:end), "end")
      b[:status] = CV.symbol_code(STATUSES, status, "status")
      b[:buffer_before_minutes] = CV.int(buffer_before_minutes, "buffer_before_minutes")
      b[:buffer_after_minutes] = CV.int(buffer_after_minutes, "buffer_after_minutes")
      b[:idempotency_key] = keep.str(idempotency_key, "idempotency_key")
      b[:customer_name] = keep.str(customer_name, "customer_name")
      b[:customer_email] = keep.str(customer_email, "customer_email")
      b[:customer_phone] = keep.str(customer_phone, "customer_phone")
      b[:customer_timezone] = keep.str(customer_timezone, "customer_timezone")
      b[:notes] = keep.str(notes, "notes")
      b[:cancellation_reason] = keep.str(cancellation_reason, "cancellation_reason")
      b[:confirmed_at] = CV.time(confirmed_at, "confirmed_at", unset_ok: true)
      b[:cancelled_at] = CV.time(cancelled_at, "cancelled_at", unset_ok: true)
      out = C::BkId.new
      call(:bk_booking_import, b, out)
      CV.id_of(out)
    end

    def booking(id)
      one(:bk_booking_get, :bk_booking_free, C::BkBooking, :booking, CV.id(id, "id"))
    end

    # A provider's bookings overlapping [from, to) (default: all), by start.
    # +statuses+ (Symbols) limits them to those statuses (then
    # include_cancelled is ignored); +customer_email+ to one customer.
    def bookings(provider, from: nil, to: nil, include_cancelled: true, statuses: nil, customer_email: nil)
      keep = CV::Keep.new
      f = C::BkBookingFilter.new
      C.bk_booking_filter_init(f)
      f[:provider] = CV.id(provider, "provider")
      f[:from] = CV.time(from, "from") unless from.nil?
      f[:to] = CV.time(to, "to") unless to.nil?
      f[:include_cancelled] = CV.bool(include_cancelled)
      unless statuses.nil?
        raise CV.type_error("statuses", "an Array of statuses", statuses) unless statuses.is_a?(Array)

        f[:statuses] = statuses.reduce(0) { |bits, s| bits | (1 << CV.symbol_code(STATUSES, s, "statuses")) }
      end
      f[:customer_email] = keep.str(customer_email, "customer_email")
      many(:bk_booking_list, :bk_booking_list_free, C::BkBooking, :booking, f)
    end

    # pending/confirmed -> cancelled.  Given a BookingRecord, its lock_version
    # is the one expected (Stale if it changed since).  Returns the updated
    # booking.
    def cancel(booking, lock_version: nil, reason: nil)
      keep = CV::Keep.new
      move(:bk_booking_cancel, booking, lock_version, keep.str(reason, "reason"))
    end

    # pending -> confirmed.
    def confirm(booking, lock_version: nil)
      move(:bk_booking_confirm, booking, lock_version)
    end

    # confirmed -> completed.
    def complete(booking, lock_version: nil)
      move(:bk_booking_complete, booking, lock_version)
    end

    # confirmed -> no_show.
    def mark_no_show(booking, lock_version: nil)
      move(:bk_booking_mark_no_show, booking, lock_version)
    end

    # Moves a live booking to +new_start+, keeping its id and status.
    def reschedule(booking, new_start, lock_version: nil, now: nil)
      move(:bk_booking_reschedule, booking, lock_version, CV.time(new_start, "new_start"),
           CV.time(now, "now", unset_ok: true))
    end

    # --- tokens ---

    # A single-use token ("bkt1_...") that lets its holder perform +action+
    # (:confirm, :cancel, :reschedule) on the booking until +expires_at+.
    def issue_token(booking, action, expires_at)
      buf = ::FFI::MemoryPointer.new(:char, C::TOKEN_SIZE)
      call(:bk_token_issue, CV.id(booking, "booking"), CV.symbol_code(TOKEN_ACTIONS, action, "action"),
           CV.time(expires_at, "expires_at"), buf)
      buf.read_string
    end

    # Performs the token's action (new_start: for a reschedule token, reason:
    # for a cancel token) and uses the token up, atomically.
    def redeem_token(token, now: nil, new_start: nil, reason: nil)
      keep = CV::Keep.new
      p = C::BkTokenRedeemParams.new
      C.bk_token_redeem_params_init(p)
      p[:now] = CV.time(now, "now", unset_ok: true)
      p[:new_start] = CV.time(new_start, "new_start", unset_ok: true)
      p[:reason] = keep.str(reason, "reason")
      action = ::FFI::MemoryPointer.new(:int)
      out = ::FFI::MemoryPointer.new(:pointer)
      begin
        call(:bk_token_redeem, keep.str(token, "token"), p, out, action)
        TokenRedemption.new(action: TOKEN_ACTIONS.key(action.read_int),
                            booking: CV.booking(C::BkBooking.new(out.read_pointer)))
      ensure
        C.bk_booking_free(out.read_pointer) unless out.read_pointer.null?
      end
    end

    # --- customer data, retention, archive ---

    # Every booking of a customer, across providers, as the library's JSON
    # export document (parsed into a Hash).
    def export_customer(customer_email)
      JSON.parse(export_customer_json(customer_email))
    end

    def export_customer_json(customer_email)
      keep = CV::Keep.new
      text(:bk_customer_export, keep.str(customer_email, "customer_email"))
    end

    # Erases a customer's personal data from every booking; returns how many.
    def erase_customer(customer_email)
      keep = CV::Keep.new
      count(:bk_customer_erase, keep.str(customer_email, "customer_email"))
    end

    def anonymise_bookings(ended_before)
      count(:bk_bookings_anonymise, CV.time(ended_before, "ended_before"))
    end

    def archive_bookings(ended_before, batch_size: 1000)
      count(:bk_booking_archive, CV.time(ended_before, "ended_before"),
            CV.int(batch_size, "batch_size", 0..(2**63 - 1)))
    end

    # --- calendars and display ---

    # The booking as an RFC 5545 VCALENDAR (CRLF lines) for the customer.
    def booking_ical(booking, local_time: false)
      text(:bk_booking_ical, CV.id(booking, "booking"), local_time ? C::ICAL_LOCAL_TIME : 0)
    end

    # A provider's bookings overlapping [from, to) as one PUBLISH feed.
    def provider_ical_feed(provider, from:, to:, local_time: false)
      text(:bk_provider_ical_feed, CV.id(provider, "provider"), CV.time(from, "from"), CV.time(to, "to"),
           local_time ? C::ICAL_LOCAL_TIME : 0)
    end

    # The booking's [start, end) as Booking.format_slot writes it; zone nil
    # is the customer's zone if known, else the provider's.
    def format_booking(booking, zone: nil, locale: nil, style: nil)
      keep = CV::Keep.new
      id = CV.id(booking, "booking")
      z = keep.str(zone, "zone")
      loc = keep.str(locale, "locale")
      st = style.nil? ? 0 : CV.symbol_code(ZONE_STYLES, style, "style")
      @mutex.synchronize do
        h = live
        Buffer.formatted(-> { C.bk_errmsg(h) }, ->(rc) { Booking.error(rc, h) }) do |buf, n|
          C.bk_booking_format(h, id, z, loc, st, buf, n)
        end
      end
    end

    private

    def live
      raise Misuse.new(-12, "db: the Database is closed") if @handle.nil?

      @handle
    end

    def call(name, *args)
      @mutex.synchronize do
        h = live
        rc = C.public_send(name, h, *args)
        raise Booking.error(rc, h) unless rc.zero?
      end
    end

    def one(fn, free, struct, convert, *args)
      out = ::FFI::MemoryPointer.new(:pointer)
      begin
        call(fn, *args, out)
        CV.public_send(convert, struct.new(out.read_pointer))
      ensure
        C.public_send(free, out.read_pointer) unless out.read_pointer.null?
      end
    end

    def many(fn, free, struct, convert, *args)
      out = ::FFI::MemoryPointer.new(:pointer)
      n = ::FFI::MemoryPointer.new(:size_t)
      begin
        call(fn, *args, out, n)
        arr = out.read_pointer
        arr.null? ? [] : arr.get_array_of_pointer(0, n.read(:size_t)).map { |p| CV.public_send(convert, struct.new(p)) }
      ensure
        C.public_send(free, out.read_pointer, n.read(:size_t)) unless out.read_pointer.null?
      end
    end

    def text(fn, *args)
      out = ::FFI::MemoryPointer.new(:pointer)
      begin
        call(fn, *args, out)
        CV.str_at(out.read_pointer) || ""
      ensure
        C.bk_string_free(out.read_pointer) unless out.read_pointer.null?
      end
    end

    def count(fn, *args)
      n = ::FFI::MemoryPointer.new(:size_t)
      call(fn, *args, n)
      n.read(:size_t)
    end

    def move(fn, booking, lock_version, *extra)
      if lock_version.nil?
        unless booking.is_a?(BookingRecord)
          raise CV.bad("expected_lock_version", "required when a booking is given by id")
        end

        lock_version = booking.lock_version
      end
      one(fn, :bk_booking_free, C::BkBooking, :booking, CV.id(booking, "id"),
          CV.int(lock_version, "expected_lock_version", CV::INT64_RANGE), *extra)
    end

    def query(provider, service, from, to, now)
      q = C::BkSlotQuery.new
      C.bk_slot_query_init(q)
      q[:provider] = CV.id(provider, "provider")
      q[:service] = CV.id(service, "service")
      q[:from] = CV.time(from, "from")
      q[:to] = CV.time(to, "to")
      q[:now] = CV.time(now, "now", unset_ok: true)
      q
    end

    def fill_provider(p, keep, **fields)
      fields.each { |k, v| p[k] = keep.str(v, k.to_s) }
    end

    SERVICE_INTS = %i[duration_minutes buffer_before_minutes buffer_after_minutes slot_step_minutes
                      min_notice_minutes horizon_days display_order].freeze

    # Sets the given members; nil keeps bk_service_init's default (with
    # clear: true, an update, a nil description is written as NULL).
    def fill_service(s, keep, fields, clear: false)
      fields.each do |key, value|
        case key
        when :name, :description, :currency
          s[key] = keep.str(value, key.to_s) if !value.nil? || (clear && key == :description)
        when *SERVICE_INTS
          s[key] = CV.int(value, key.to_s) unless value.nil?
        when :price_minor
          s[key] = CV.int(value, key.to_s, CV::INT64_RANGE) unless value.nil?
        when :active, :requires_confirmation
          s[key] = CV.bool(value) unless value.nil?
        else
          raise ArgumentError, "unknown service option #{key.inspect}"
        end
      end
    end
  end
end
