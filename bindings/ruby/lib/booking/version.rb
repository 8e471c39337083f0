# frozen_string_literal: true

module Booking
  # The binding's version: the libbooking release it was written against.
  VERSION = "1.0.0"
end
