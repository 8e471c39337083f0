# frozen_string_literal: true

module Booking
  # A libbooking call failed.  +code+ is its BK_E* status (a negative
  # Integer), +message+ what exactly was wrong (bk_errmsg: the field at fault
  # and why), +name+ the code's C name.  Rescue Booking::Error for all.
  class Error < StandardError
    NAMES = {
      -1 => "BK_EINVAL", -2 => "BK_ENOTFOUND", -3 => "BK_ECONFLICT", -4 => "BK_EUNAVAILABLE",
      -5 => "BK_ESTALE", -6 => "BK_ESTATE", -7 => "BK_ENOMEM", -8 => "BK_EEXISTS",
      -9 => "BK_ESTORE", -10 => "BK_ECONNECTION", -11 => "BK_EUNKNOWN", -12 => "BK_EMISUSE",
      -13 => "BK_EEXPIRED", -14 => "BK_EUSED", -15 => "BK_EDENIED"
    }.freeze

    attr_reader :code

    def initialize(code, message)
      @code = code
      super(message)
    end

    def name
      NAMES.fetch(code) { "BK_E(#{code})" }
    end
  end

  # BK_EINVAL: a malformed or out-of-range field; the message names it.
  class InvalidInput < Error; end
  # BK_ENOTFOUND: the provider, service, booking or other record does not exist.
  class NotFound < Error; end
  # BK_ECONFLICT: the booking's occupied range overlaps a live booking.
  class Conflict < Error; end
  # BK_EUNAVAILABLE: the start is not offered (working time, blocked, notice, horizon, grid).
  class Unavailable < Error; end
  # BK_ESTALE: the record changed since the caller read it (lock_version).
  class Stale < Error; end
  # BK_ESTATE: the booking's status does not allow that move.
  class BadState < Error; end
  # BK_ENOMEM.
  class OutOfMemory < Error; end
  # BK_EEXISTS: a unique value (provider username or email) is taken.
  class Exists < Error; end
  # BK_ESTORE: the storage backend failed.
  class StoreError < Error; end
  # BK_ECONNECTION: the connection to the store was lost; the call did not happen.
  class ConnectionError < Error; end
  # BK_EUNKNOWN: the connection was lost while committing; retry with the same idempotency key.
  class CommitUnknown < Error; end
  # BK_EMISUSE: the library used against its rules (a closed handle, ...).
  class Misuse < Error; end
  # BK_EEXPIRED: a booking token is past its expiry.
  class Expired < Error; end
  # BK_EUSED: a booking token was already redeemed.
  class Used < Error; end
  # BK_EDENIED: a provider login failed.
  class Denied < Error; end

  ERROR_CLASSES = {
    -1 => InvalidInput, -2 => NotFound, -3 => Conflict, -4 => Unavailable, -5 => Stale,
    -6 => BadState, -7 => OutOfMemory, -8 => Exists, -9 => StoreError, -10 => ConnectionError,
    -11 => CommitUnknown, -12 => Misuse, -13 => Expired, -14 => Used, -15 => Denied
  }.freeze

  # The exception class of a status code (Error for one this binding does
  # not know: a newer library).
  def self.error_class(code)
    ERROR_CLASSES.fetch(code, Error)
  end
end
