# frozen_string_literal: true

require "date"

module Booking
  # Ruby values to C and back.  Input problems the library cannot see (a
  # String that is not UTF-8, a NUL inside one) raise InvalidInput naming
  # the field, like the library's own; a value of the wrong class raises
  # TypeError.  Not public API.
  module Convert
    INT_RANGE = (-(2**31)..(2**31 - 1)).freeze
    INT64_RANGE = (-(2**63)..(2**63 - 1)).freeze
    EINVAL = -1

    module_function

    def bad(field, why)
      InvalidInput.new(EINVAL, "#{field}: #{why}")
    end

    def type_error(field, expected, value)
      TypeError.new("#{field}: expected #{expected}, got #{value.class}")
    end

    # Holds the C copies of a call's strings until the call returns.
    class Keep
      def initialize
        @objects = []
      end

      def <<(obj)
        @objects << obj
        obj
      end

      # A NUL-terminated UTF-8 copy of +value+ (NULL for nil: the library
      # names a required field left out).
      def str(value, field)
        return ::FFI::Pointer::NULL if value.nil?
        raise Convert.type_error(field, "a String", value) unless value.is_a?(String) || value.is_a?(Symbol)

        text = value.to_s
        begin
          text = text.encode(Encoding::UTF_8) unless text.encoding == Encoding::UTF_8
        rescue EncodingError => e
          raise Convert.bad(field, "not convertible to UTF-8 (#{e.message})")
        end
        raise Convert.bad(field, "not valid UTF-8") unless text.valid_encoding?
        raise Convert.bad(field, "contains a NUL character") if text.include?("\0")

        self << ::FFI::MemoryPointer.from_string(text)
      end
    end

    # A Time as bk_time (whole seconds, rounded down); nil is BK_TIME_UNSET
    # where the call allows it ("read the clock", "not set").
    def time(value, field, unset_ok: false)
      if value.nil?
        return C::TIME_UNSET if unset_ok

        raise type_error(field, "a Time", value)
      end
      raise type_error(field, "a Time", value) unless value.is_a?(Time)

      value.to_r.floor
    end

    def from_time(value)
      value == C::TIME_UNSET ? nil : Time.at(value).utc
    end

    def int(value, field, range = INT_RANGE)
      raise type_error(field, "an Integer", value) unless value.is_a?(Integer)
      raise bad(field, "#{value} is out of range") unless range.cover?(value)

      value
    end

    def bool(value)
      value ? 1 : 0
    end

    # Minutes after local midnight: an Integer, or "HH:MM" ("24:00" ends a day).
    def minute_of_day(value, field)
      case value
      when Integer then int(value, field)
      when String
        m = /\A(\d{2}):(\d{2})\z/.match(value)
        raise bad(field, "#{value.inspect} is not HH:MM") unless m

        m[1].to_i * 60 + m[2].to_i
      else
        raise type_error(field, "minutes (Integer) or \"HH:MM\"", value)
      end
    end

    def weekday(value, field)
      case value
      when Integer then int(value, field)
      when Symbol then WEEKDAYS.fetch(value) { raise bad(field, "unknown weekday #{value.inspect}") }
      else raise type_error(field, "0..6 or :sunday..:saturday", value)
      end
    end

    def symbol_code(table, value, field)
      case value
      when Symbol, String
        table.fetch(value.to_sym) { raise bad(field, "unknown value #{value.inspect} (#{table.keys.join(', ')})") }
      when Integer then int(value, field)
      else raise type_error(field, "one of #{table.keys.inspect}", value)
      end
    end

    def id_text(value, field)
      return value if value.is_a?(String)
      return value.id if value.respond_to?(:id) && value.id.is_a?(String)

      raise type_error(field, "an id (String or a record)", value)
    end

    # A bk_id filled from an id String or a record's id.
    def id(value, field)
      text = id_text(value, field)
      raise bad(field, "contains a NUL character") if text.include?("\0")
      raise bad(field, "'#{text[0, 40]}' is not a UUID") if text.bytesize > 36

      out = C::BkId.new
      out.pointer.put_bytes(0, text.b)
      out
    end

    def date(value, field)
      raise type_error(field, "a Date", value) unless value.is_a?(Date) && !value.is_a?(DateTime)

      d = C::BkDate.new
      d[:year] = value.year
      d[:month] = value.month
      d[:day] = value.day
      d
    end

    # --- C -> Ruby ---

    def str_at(ptr)
      return nil if ptr.null?

      ptr.read_string.force_encoding(Encoding::UTF_8)
    end

    def id_of(struct)
      struct.pointer.get_string(0, 37).force_encoding(Encoding::US_ASCII)
    end

    def opt_id(struct)
      text = id_of(struct)
      text.empty? ? nil : text
    end

    def status_symbol(code)
      STATUSES.key(code) || code
    end

    def provider(p)
      Provider.new(
        id: id_of(p[:id]), username: str_at(p[:username]), email: str_at(p[:email]),
        full_name: str_at(p[:full_name]), timezone: str_at(p[:timezone]),
        business_name: str_at(p[:business_name]), description: str_at(p[:description]),
        avatar_url: str_at(p[:avatar_url]), created_at: from_time(p[:created_at]),
        updated_at: from_time(p[:updated_at]), deleted_at: from_time(p[:deleted_at])
      )
    end

    def service(s)
      Service.new(
        id: id_of(s[:id]), provider: id_of(s[:provider]), name: str_at(s[:name]),
        description: str_at(s[:description]), duration_minutes: s[:duration_minutes],
        buffer_before_minutes: s[:buffer_before_minutes], buffer_after_minutes: s[:buffer_after_minutes],
        slot_step_minutes: s[:slot_step_minutes], min_notice_minutes: s[:min_notice_minutes],
        horizon_days: s[:horizon_days], price_minor: s[:price_minor], currency: str_at(s[:currency]),
        active: s[:active] != 0, display_order: s[:display_order],
        requires_confirmation: s[:requires_confirmation] != 0,
        created_at: from_time(s[:created_at]), updated_at: from_time(s[:updated_at])
      )
    end

    def availability(a)
      Availability.new(id: id_of(a[:id]), provider: id_of(a[:provider]), weekday: a[:weekday],
                       start_minute: a[:start_minute], end_minute: a[:end_minute],
                       available: a[:is_available] != 0)
    end

    def override(o)
      n = o[:n_intervals]
      intervals = (0...n).map do |i|
        iv = C::BkLocalInterval.new(o[:intervals] + i * C::BkLocalInterval.size)
        [iv[:start_minute], iv[:end_minute]]
      end
      Override.new(provider: id_of(o[:provider]),
                   date: Date.new(o[:date][:year], o[:date][:month], o[:date][:day]),
                   intervals: intervals)
    end

    def blocked(b)
      rrule = str_at(b[:rrule])
      Blocked.new(id: id_of(b[:id]), provider: id_of(b[:provider]), start: from_time(b[:start]),
                  end: from_time(b[:end]), rrule: rrule.nil? || rrule.empty? ? nil : rrule,
                  reason: str_at(b[:reason]))
    end

    def booking(b)
      BookingRecord.new(
        id: id_of(b[:id]), provider: id_of(b[:provider]), service: id_of(b[:service]),
        start: from_time(b[:start]), end: from_time(b[:end]),
        buffer_before_minutes: b[:buffer_before_minutes], buffer_after_minutes: b[:buffer_after_minutes],
        status: status_symbol(b[:status]), lock_version: b[:lock_version],
        idempotency_key: str_at(b[:idempotency_key]), customer_name: str_at(b[:customer_name]),
        customer_email: str_at(b[:customer_email]), customer_phone: str_at(b[:customer_phone]),
        customer_timezone: str_at(b[:customer_timezone]), notes: str_at(b[:notes]),
        cancellation_reason: str_at(b[:cancellation_reason]), created_at: from_time(b[:created_at]),
        updated_at: from_time(b[:updated_at]), confirmed_at: from_time(b[:confirmed_at]),
        cancelled_at: from_time(b[:cancelled_at]), archived_at: from_time(b[:archived_at])
      )
    end

    def slot(s)
      Slot.new(from_time(s[:start]), from_time(s[:end]))
    end
  end
end
