# frozen_string_literal: true

require_relative "lib/booking/version"

Gem::Specification.new do |s|
  s.name = "booking"
  s.version = Booking::VERSION
  s.summary = "Appointment booking (libbooking) for Ruby: slots across time zones and DST, atomic bookings"
  s.description = "Ruby binding of libbooking over the ffi gem. Needs libbooking.so.1 installed " \
                  "(found through BOOKING_LIBRARY, pkg-config booking, or the dynamic linker)."
  s.license = "MIT"
  s.authors = ["libbooking authors"]
  s.homepage = "https://example.invalid/libbooking"
  s.required_ruby_version = ">= 2.7"
  s.files = Dir["lib/**/*.rb"] + ["README.md"]
  s.require_paths = ["lib"]
  s.add_runtime_dependency "ffi", ">= 1.13"
  s.add_development_dependency "minitest", ">= 5.10"
end
