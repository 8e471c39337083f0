# frozen_string_literal: true

require "monitor"
require_relative "booking/version"
require_relative "booking/errors"
require_relative "booking/records"
require_relative "booking/ffi"
require_relative "booking/convert"
require_relative "booking/database"

# libbooking for Ruby: appointment booking with free-slot queries that are
# right across time zones and DST, and atomic bookings.
#
#   Booking.open("memory:") do |db|
#     anna = db.create_provider(username: "anna", email: "anna@example.com",
#                               full_name: "Anna Schmidt", timezone: "Europe/Berlin")
#     ...
#   end
#
# The library is found through $BOOKING_LIBRARY, `pkg-config booking`, or the
# dynamic linker's search path (see Booking.load_library).  Errors are
# exceptions derived from Booking::Error, carrying the library's code and
# message.
module Booking
  CV = Convert
  private_constant :CV

  class << self
    # Loads libbooking from +path+ (else $BOOKING_LIBRARY, else the libdir of
    # `pkg-config booking`, else the linker's search path); returns the path
    # used.  Optional: the first call into the library does it.
    def load_library(path = nil)
      C.load!(path)
    end

    # Opens a store: "memory:" (private), "memory:NAME" (shared in this
    # process) or a PostgreSQL URI / conninfo.  With a block, yields the
    # Database, closes it afterwards and returns the block's value.  The
    # keyword options are those of bk_open_options (PostgreSQL only).
    def open(uri, schema: nil, migrate: nil, booking_partitions: nil)
      keep = CV::Keep.new
      out = ::FFI::MemoryPointer.new(:pointer)
      u = keep.str(uri, "uri")
      rc = if schema.nil? && migrate.nil? && booking_partitions.nil?
             C.bk_open(out, u)
           else
             opts = C::BkOpenOptions.new
             C.bk_open_options_init(opts)
             opts[:schema] = keep.str(schema, "schema") unless schema.nil?
             opts[:migrate] = CV.bool(migrate) unless migrate.nil?
             opts[:booking_partitions] = CV.int(booking_partitions, "booking_partitions") unless booking_partitions.nil?
             C.bk_open_ext(out, u, opts)
           end
      raise error(rc, nil) unless rc.zero?

      db = Database.new(out.read_pointer, uri)
      return db unless block_given?

      begin
        yield db
      ensure
        db.close
      end
    end

    # Opens a handle over a storage backend built by the caller (see
    # Booking::LowLevel).  The handle owns the store: the library calls its
    # close method at Database#close, or at once if opening fails.  The
    # Database keeps the store and its callbacks alive.
    def open_store(store, keepalive = nil)
      raise CV.type_error("store", "a Booking::C::BkStore", store) unless store.is_a?(C::BkStore)

      out = ::FFI::MemoryPointer.new(:pointer)
      rc = C.bk_open_store(out, store)
      raise error(rc, nil) unless rc.zero?

      name = CV.str_at(store[:name])
      db = Database.new(out.read_pointer, "<store #{name}>", [store, keepalive])
      return db unless block_given?

      begin
        yield db
      ensure
        db.close
      end
    end

    # bk_store_error for backends written in Ruby: records +code+ and
    # +message+ in the bk_store_err * a backend method received; returns code.
    def store_error(err, code, message)
      keep = CV::Keep.new
      C.bk_store_error(err || ::FFI::Pointer::NULL, CV.int(code, "code"), keep.str("%s", "fmt"),
                       :pointer, keep.str(message, "message"))
    end

    # The exception for status +code+, with the message of the call that just
    # failed on +handle+ (nil: this thread's handle-less slot).
    def error(code, handle)
      message = C.bk_errmsg(handle || ::FFI::Pointer::NULL)
      message = C.bk_strerror(code) if message.nil? || message.empty?
      error_class(code).new(code, message.dup.force_encoding(Encoding::UTF_8))
    end

    # --- calls without a handle ---

    def version
      C.bk_version
    end

    def version_number
      C.bk_version_number
    end

    def strerror(code)
      C.bk_strerror(CV.int(code, "code"))
    end

    # [code, message] of this thread's last handle-less call.
    def last_error
      [C.bk_errcode(::FFI::Pointer::NULL), C.bk_errmsg(::FFI::Pointer::NULL)]
    end

    # Parses "YYYY-MM-DDTHH:MM:SSZ" into a UTC Time.
    def parse_time_iso(text)
      keep = CV::Keep.new
      out = ::FFI::MemoryPointer.new(:int64)
      check(C.bk_time_parse_iso(keep.str(text, "text"), out))
      CV.from_time(out.read(:int64))
    end

    # +time+ as "YYYY-MM-DDTHH:MM:SSZ".
    def format_time_iso(time)
      buf = ::FFI::MemoryPointer.new(:char, C::ISO_SIZE)
      check(C.bk_time_format_iso(CV.time(time, "t"), buf))
      buf.read_string
    end

    # +time+ for a reader in +zone+ with ICU date formatting (+locale+ e.g.
    # "de_DE", default en_US; +skeleton+ an ICU skeleton such as "yMMMdEEEjmz").
    def format_time(time, zone, locale: nil, skeleton: nil)
      keep = CV::Keep.new
      t = CV.time(time, "t")
      z = keep.str(zone, "zone")
      loc = keep.str(locale, "locale")
      sk = keep.str(skeleton, "skeleton")
      Buffer.formatted(-> { C.bk_errmsg(::FFI::Pointer::NULL) }, ->(rc) { error(rc, nil) }) do |buf, n|
        C.bk_time_format(t, z, loc, sk, buf, n)
      end
    end

    # The slot [start, end) (a Slot or [start, end]) as a range for a reader
    # in +zone+: "Mon, Mar 30, 2026, 3:00 – 3:30 AM EDT".  +style+ :name,
    # :offset or :long.
    def format_slot(slot, zone, locale: nil, style: nil)
      keep = CV::Keep.new
      start, finish = slot.to_a
      s = C::BkSlot.new
      s[:start] = CV.time(start, "slot.start")
      s[:end] = CV.time(finish, "slot.end")
      z = keep.str(zone, "zone")
      loc = keep.str(locale, "locale")
      st = style.nil? ? 0 : CV.symbol_code(ZONE_STYLES, style, "style")
      Buffer.formatted(-> { C.bk_errmsg(::FFI::Pointer::NULL) }, ->(rc) { error(rc, nil) }) do |buf, n|
        C.bk_slot_format(s, z, loc, st, buf, n)
      end
    end

    # Whether +zone+ is an IANA zone id the library (ICU) knows.
    def valid_timezone?(zone)
      keep = CV::Keep.new
      rc = C.bk_timezone_valid(keep.str(zone, "zone"))
      return false if rc == -1

      check(rc)
      true
    end

    # The canonical IANA id of a zone ("US/Eastern" -> "America/New_York").
    def canonical_timezone(zone)
      keep = CV::Keep.new
      z = keep.str(zone, "zone")
      Buffer.formatted(-> { C.bk_errmsg(::FFI::Pointer::NULL) }, ->(rc) { error(rc, nil) }) do |buf, n|
        C.bk_timezone_canonical(z, buf, n)
      end
    end

    # Every zone a user may pick: canonical ids of places plus "UTC", sorted.
    def timezones
      out = ::FFI::MemoryPointer.new(:pointer)
      n = ::FFI::MemoryPointer.new(:size_t)
      begin
        check(C.bk_timezone_list(out, n))
        out.read_pointer.get_array_of_string(0, n.read(:size_t)).map { |z| z.force_encoding(Encoding::UTF_8) }
      ensure
        C.bk_timezone_list_free(out.read_pointer, n.read(:size_t)) unless out.read_pointer.null?
      end
    end

    # The tz database release ICU uses in this process ("2024a").
    def tzdata_version
      C.bk_tzdata_version
    end

    # +text+ if it is a well-formed record id (a UUID), else InvalidInput.
    def parse_id(text)
      keep = CV::Keep.new
      out = C::BkId.new
      check(C.bk_id_parse(keep.str(text, "text"), out))
      CV.id_of(out)
    end

    # The library's name of a status (:no_show or 5 -> "no_show").
    def status_name(status)
      code = CV.symbol_code(STATUSES, status, "status")
      ptr = C.bk_booking_status_name(code)
      raise CV.bad("status", "#{status.inspect} is not a booking status") if ptr.null?

      ptr.read_string
    end

    # The status Symbol of a name ("no_show" -> :no_show); InvalidInput otherwise.
    def parse_status(name)
      keep = CV::Keep.new
      out = ::FFI::MemoryPointer.new(:int)
      check(C.bk_booking_status_parse(keep.str(name, "name"), out))
      STATUSES.key(out.read_int)
    end

    # The library's name of a slot reason (:blocked or 4 -> "blocked").
    def slot_reason_name(reason)
      C.bk_slot_reason_name(CV.symbol_code(SLOT_REASONS, reason, "reason"))
    end

    private

    def check(rc)
      raise error(rc, nil) unless rc.zero?
    end
  end
end
