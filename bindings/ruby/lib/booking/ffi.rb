# frozen_string_literal: true

require "ffi"

module Booking
  # The C side: struct layouts, function prototypes and the library loader.
  #
  # Everything here mirrors include/booking.h and include/booking/sys/store.h
  # exactly; the test suite compiles a C program from STRUCTS and compares
  # every offset and size with the compiler's, so a member added to the header
  # but not here fails a test instead of corrupting memory.  Not public API.
  module C
    extend ::FFI::Library

    TIME_UNSET = -(2**63)
    TIME_MIN = -2_208_988_800
    TIME_MAX = 7_258_118_400
    ISO_SIZE = 21
    TOKEN_SIZE = 49
    OVERRIDE_MAX_INTERVALS = 48
    BOOKING_VERSION = 1
    SLOT_VERDICT_VERSION = 1
    STORE_VERSION = 2
    ICAL_LOCAL_TIME = 0x1

    class BkId < ::FFI::Struct
      layout :s, [:char, 37]
    end

    class BkDate < ::FFI::Struct
      layout :year, :int, :month, :int, :day, :int
    end

    class BkLocalInterval < ::FFI::Struct
      layout :start_minute, :int, :end_minute, :int
    end

    class BkOpenOptions < ::FFI::Struct
      layout :version, :uint, :schema, :pointer, :migrate, :int, :booking_partitions, :int
    end

    class BkProvider < ::FFI::Struct
      layout :version, :uint, :id, BkId,
             :username, :pointer, :email, :pointer, :full_name, :pointer, :timezone, :pointer,
             :business_name, :pointer, :description, :pointer, :avatar_url, :pointer,
             :created_at, :int64, :updated_at, :int64, :deleted_at, :int64
    end

    class BkService < ::FFI::Struct
      layout :version, :uint, :id, BkId, :provider, BkId,
             :name, :pointer, :description, :pointer,
             :duration_minutes, :int, :buffer_before_minutes, :int, :buffer_after_minutes, :int,
             :slot_step_minutes, :int, :min_notice_minutes, :int, :horizon_days, :int,
             :price_minor, :int64, :currency, :pointer,
             :active, :int, :display_order, :int, :requires_confirmation, :int,
             :created_at, :int64, :updated_at, :int64
    end

    class BkAvailability < ::FFI::Struct
      layout :version, :uint, :id, BkId, :provider, BkId,
             :weekday, :int, :start_minute, :int, :end_minute, :int, :is_available, :int
    end

    class BkOverride < ::FFI::Struct
      layout :version, :uint, :provider, BkId, :date, BkDate, :n_intervals, :size_t, :intervals, :pointer
    end

    class BkBlocked < ::FFI::Struct
      layout :version, :uint, :id, BkId, :provider, BkId, :start, :int64, :end, :int64,
             :rrule, :pointer, :reason, :pointer
    end

    class BkSlotQuery < ::FFI::Struct
      layout :version, :uint, :provider, BkId, :service, BkId, :from, :int64, :to, :int64, :now, :int64
    end

    class BkSlot < ::FFI::Struct
      layout :start, :int64, :end, :int64
    end

    class BkSlotVerdict < ::FFI::Struct
      layout :version, :uint, :reason, :int, :related, BkId, :start, :int64, :end, :int64,
             :message, [:char, 256]
    end

    class BkBooking < ::FFI::Struct
      layout :version, :uint, :id, BkId, :provider, BkId, :service, BkId,
             :start, :int64, :end, :int64,
             :buffer_before_minutes, :int, :buffer_after_minutes, :int, :status, :int,
             :lock_version, :int64,
             :idempotency_key, :pointer, :customer_name, :pointer, :customer_email, :pointer,
             :customer_phone, :pointer, :customer_timezone, :pointer, :notes, :pointer,
             :cancellation_reason, :pointer,
             :created_at, :int64, :updated_at, :int64, :confirmed_at, :int64, :cancelled_at, :int64,
             :archived_at, :int64
    end

    class BkBookRequest < ::FFI::Struct
      layout :version, :uint, :provider, BkId, :service, BkId, :start, :int64, :now, :int64,
             :idempotency_key, :pointer, :customer_name, :pointer, :customer_email, :pointer,
             :customer_phone, :pointer, :customer_timezone, :pointer, :notes, :pointer
    end

    class BkBookingFilter < ::FFI::Struct
      layout :version, :uint, :provider, BkId, :from, :int64, :to, :int64,
             :include_cancelled, :int, :statuses, :uint, :customer_email, :pointer
    end

    class BkTokenRedeemParams < ::FFI::Struct
      layout :version, :uint, :now, :int64, :new_start, :int64, :reason, :pointer
    end

    # --- include/booking/sys/store.h ---

    class BkStoreToken < ::FFI::Struct
      layout :version, :uint, :id, BkId, :booking, BkId, :provider, BkId, :action, :int,
             :hash, [:uchar, 32], :expires_at, :int64, :used_at, :int64, :created_at, :int64
    end

    class BkStoreSink < ::FFI::Struct
      layout :ctx, :pointer, :provider, :pointer, :service, :pointer, :availability, :pointer,
             :override_day, :pointer, :blocked, :pointer, :booking, :pointer, :keyed_booking, :pointer,
             :credential, :pointer, :token, :pointer
    end

    class BkScheduleRequest < ::FFI::Struct
      layout :version, :uint, :provider, BkId, :service, BkId, :from, :int64, :to, :int64,
             :first_date, BkDate, :last_date, BkDate, :idempotency_key, :pointer,
             :slots_from, :int64, :slots_to, :int64
    end

    class BkStoreBookingQuery < ::FFI::Struct
      layout :version, :uint, :provider, BkId, :from, :int64, :to, :int64,
             :include_cancelled, :int, :statuses, :uint, :customer_email_key, :pointer
    end

    # The backend methods in vtable order, with their argument types after
    # `self` (all return int).
    STORE_METHODS = {
      provider_insert: %i[pointer pointer pointer pointer],
      provider_update: %i[pointer pointer pointer pointer],
      provider_get: %i[pointer pointer pointer],
      provider_list: %i[pointer pointer],
      service_insert: %i[pointer pointer],
      service_update: %i[pointer pointer],
      service_get: %i[pointer pointer pointer],
      service_list: %i[pointer pointer pointer],
      availability_insert: %i[pointer pointer],
      availability_delete: %i[pointer pointer],
      availability_list: %i[pointer pointer pointer],
      override_put: %i[pointer pointer],
      override_delete: %i[pointer pointer pointer],
      override_list: %i[pointer pointer pointer pointer pointer],
      blocked_insert: %i[pointer pointer],
      blocked_delete: %i[pointer pointer],
      blocked_list: %i[pointer int64 int64 pointer pointer],
      booking_insert: %i[pointer pointer pointer pointer],
      booking_get: %i[pointer pointer pointer],
      booking_list: %i[pointer pointer pointer],
      booking_update: %i[pointer pointer int64 pointer],
      schedule_load: %i[pointer pointer pointer],
      provider_set_deleted: %i[pointer int64 pointer],
      provider_purge: %i[int64 pointer pointer],
      provider_password_set: %i[pointer pointer pointer pointer],
      provider_login: %i[pointer pointer pointer],
      token_insert: %i[pointer pointer],
      token_get: %i[pointer pointer pointer],
      token_redeem: %i[pointer int64 pointer pointer int64 pointer],
      booking_find_by_email: %i[pointer pointer pointer],
      bookings_erase: %i[pointer int64 int64 pointer pointer],
      booking_archive: %i[int64 size_t int64 pointer pointer]
    }.freeze

    class BkStore < ::FFI::Struct
      layout(*([:version, :uint, :name, :pointer, :close, :pointer] +
               STORE_METHODS.keys.flat_map { |m| [m, :pointer] }))
    end

    # Every struct the binding lays out, by its C name, for the layout test.
    STRUCTS = {
      "bk_id" => BkId, "bk_date" => BkDate, "bk_local_interval" => BkLocalInterval,
      "bk_open_options" => BkOpenOptions, "bk_provider" => BkProvider, "bk_service" => BkService,
      "bk_availability" => BkAvailability, "bk_override" => BkOverride, "bk_blocked" => BkBlocked,
      "bk_slot_query" => BkSlotQuery, "bk_slot" => BkSlot, "bk_slot_verdict" => BkSlotVerdict,
      "bk_booking" => BkBooking, "bk_book_request" => BkBookRequest,
      "bk_booking_filter" => BkBookingFilter, "bk_token_redeem_params" => BkTokenRedeemParams,
      "bk_store_token" => BkStoreToken, "bk_store_sink" => BkStoreSink,
      "bk_schedule_request" => BkScheduleRequest, "bk_store_booking_query" => BkStoreBookingQuery,
      "bk_store" => BkStore
    }.freeze

    P = :pointer
    # name => [argument types, return type].  This table is what the library
    # is attached with (see C.load!), and FFI_FUNCTIONS is its key set: a
    # function is "bound" exactly when it has a prototype here.
    PROTOTYPES = {
      bk_version: [[], :string],
      bk_version_number: [[], :int],
      bk_strerror: [[:int], :string],
      bk_errmsg: [[P], :string],
      bk_errcode: [[P], :int],
      bk_time_parse_iso: [[P, P], :int],
      bk_time_format_iso: [[:int64, P], :int],
      bk_time_format: [[:int64, P, P, P, P, :size_t], :int],
      bk_timezone_valid: [[P], :int],
      bk_timezone_canonical: [[P, P, :size_t], :int],
      bk_timezone_list: [[P, P], :int],
      bk_timezone_list_free: [[P, :size_t], :void],
      bk_tzdata_version: [[], :string],
      bk_id_parse: [[P, P], :int],
      bk_open: [[P, P], :int],
      bk_open_options_init: [[P], :void],
      bk_open_ext: [[P, P, P], :int],
      bk_open_store: [[P, P], :int],
      bk_store_error: [[P, :int, P, :varargs], :int],
      bk_close: [[P], :void],
      bk_provider_init: [[P], :void],
      bk_provider_create: [[P, P, P], :int],
      bk_provider_get: [[P, P, P], :int],
      bk_provider_update: [[P, P], :int],
      bk_provider_list: [[P, P, P], :int],
      bk_provider_delete: [[P, P], :int],
      bk_provider_restore: [[P, P], :int],
      bk_provider_purge: [[P, :int64, P], :int],
      bk_provider_set_password: [[P, P, P], :int],
      bk_provider_set_password_hash: [[P, P, P], :int],
      bk_provider_verify_password: [[P, P, P, P, P], :int],
      bk_provider_free: [[P], :void],
      bk_provider_list_free: [[P, :size_t], :void],
      bk_service_init: [[P], :void],
      bk_service_create: [[P, P, P], :int],
      bk_service_get: [[P, P, P], :int],
      bk_service_update: [[P, P], :int],
      bk_service_list: [[P, P, P, P], :int],
      bk_service_deactivate: [[P, P], :int],
      bk_service_free: [[P], :void],
      bk_service_list_free: [[P, :size_t], :void],
      bk_availability_init: [[P], :void],
      bk_availability_add: [[P, P, P], :int],
      bk_availability_list: [[P, P, P, P], :int],
      bk_availability_delete: [[P, P], :int],
      bk_availability_free: [[P], :void],
      bk_availability_list_free: [[P, :size_t], :void],
      bk_override_init: [[P], :void],
      bk_override_set: [[P, P], :int],
      bk_override_list: [[P, P, P, P, P, P], :int],
      bk_override_delete: [[P, P, P], :int],
      bk_override_free: [[P], :void],
      bk_override_list_free: [[P, :size_t], :void],
      bk_blocked_init: [[P], :void],
      bk_blocked_add: [[P, P, P], :int],
      bk_blocked_list: [[P, P, :int64, :int64, P, P], :int],
      bk_blocked_delete: [[P, P], :int],
      bk_blocked_free: [[P], :void],
      bk_blocked_list_free: [[P, :size_t], :void],
      bk_slot_query_init: [[P], :void],
      bk_slots: [[P, P, P, P], :int],
      bk_slots_free: [[P], :void],
      bk_slot_explain: [[P, P, :int64, P], :int],
      bk_slot_reason_name: [[:int], :string],
      bk_booking_status_name: [[:int], :pointer],
      bk_booking_status_parse: [[P, P], :int],
      bk_booking_free: [[P], :void],
      bk_booking_list_free: [[P, :size_t], :void],
      bk_book_request_init: [[P], :void],
      bk_book: [[P, P, P], :int],
      bk_booking_import: [[P, P, P], :int],
      bk_booking_get: [[P, P, P], :int],
      bk_booking_filter_init: [[P], :void],
      bk_booking_list: [[P, P, P, P], :int],
      bk_booking_cancel: [[P, P, :int64, P, P], :int],
      bk_booking_confirm: [[P, P, :int64, P], :int],
      bk_booking_complete: [[P, P, :int64, P], :int],
      bk_booking_mark_no_show: [[P, P, :int64, P], :int],
      bk_booking_reschedule: [[P, P, :int64, :int64, :int64, P], :int],
      bk_token_issue: [[P, P, :int, :int64, P], :int],
      bk_token_redeem_params_init: [[P], :void],
      bk_token_redeem: [[P, P, P, P, P], :int],
      bk_customer_export: [[P, P, P], :int],
      bk_customer_erase: [[P, P, P], :int],
      bk_bookings_anonymise: [[P, :int64, P], :int],
      bk_booking_archive: [[P, :int64, :size_t, P], :int],
      bk_string_free: [[P], :void],
      bk_booking_ical: [[P, P, :uint, P], :int],
      bk_provider_ical_feed: [[P, P, :int64, :int64, :uint, P], :int],
      bk_slot_format: [[P, P, P, :uint, P, :size_t], :int],
      bk_booking_format: [[P, P, P, P, :uint, P, :size_t], :int]
    }.freeze

    class LibraryNotFound < LoadError; end

    @loaded = nil
    @missing = [].freeze
    @mutex = Mutex.new

    class << self
      # The path libbooking was loaded from (nil before the first call).
      attr_reader :loaded

      # Functions of FFI_FUNCTIONS the loaded library does not export (it is
      # older than the binding); calling one raises Booking::Misuse.
      attr_reader :missing

      # Where libbooking is: +path+ if given, else $BOOKING_LIBRARY, else the
      # libdir of `pkg-config booking` (the installed tree), else the name
      # for the dynamic linker's search path.
      def find_library(path = nil)
        return path if path && !path.empty?

        env = ENV.fetch("BOOKING_LIBRARY", "")
        return env unless env.empty?

        libdir = pkg_config_libdir
        if libdir
          candidate = File.join(libdir, "libbooking.so.1")
          return candidate if File.exist?(candidate)
        end
        "libbooking.so.1"
      end

      # Loads and attaches the library once per process.
      def load!(path = nil)
        @mutex.synchronize do
          if @loaded
            if path && File.realpath(path) != File.realpath(@loaded)
              raise LibraryNotFound, "libbooking is already loaded from #{@loaded}"
            end
            return @loaded
          end
          where = find_library(path)
          begin
            ffi_lib where
          rescue LoadError => e
            raise LibraryNotFound,
                  "libbooking.so.1 not found (#{e.message.lines.first.strip}): set BOOKING_LIBRARY " \
                  "to its path, call Booking.load_library(path), or install libbooking so that " \
                  "`pkg-config --variable=libdir booking` names its directory"
          end
          missing = []
          PROTOTYPES.each do |name, (args, ret)|
            attach_function name, args, ret
          rescue ::FFI::NotFoundError
            missing << name
            define_singleton_method(name) do |*|
              raise Booking::Misuse.new(-12, "#{name}: not exported by #{where} (a libbooking older than this binding)")
            end
          end
          @missing = missing.freeze
          @loaded = where
        end
      end

      private

      def pkg_config_libdir
        out = IO.popen(%w[pkg-config --variable=libdir booking], err: File::NULL, &:read)
        $?.success? && !out.strip.empty? ? out.strip : nil
      rescue SystemCallError
        nil
      end

      # The first call of any bound function loads the library; after that
      # the attached methods answer directly.
      def method_missing(name, *args, &block)
        return super unless PROTOTYPES.key?(name) && !@loaded

        load!
        public_send(name, *args, &block)
      end

      def respond_to_missing?(name, include_private = false)
        PROTOTYPES.key?(name) || super
      end
    end
  end

  # The C functions this binding calls (the coverage test compares them with
  # the library's exported symbols).
  FFI_FUNCTIONS = C::PROTOTYPES.keys.map(&:to_s).freeze
end
