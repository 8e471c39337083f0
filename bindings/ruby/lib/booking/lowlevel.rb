# frozen_string_literal: true

require_relative "../booking"

module Booking
  # For storage-backend authors: the bk_store vtable of
  # include/booking/sys/store.h, bk_open_store (Booking.open_store) and
  # bk_store_error (Booking.store_error).  Applications never need this.
  module LowLevel
    STORE_VERSION = C::STORE_VERSION
    METHODS = C::STORE_METHODS.keys.freeze

    module_function

    # Builds a bk_store from Ruby callables: each method gets the C
    # arguments (self first, pointers as FFI::Pointer) and returns a BK_*
    # status; methods left out stay NULL, which bk_open_store refuses
    # (Booking::Misuse).  Returns [store, keepalive]: pass both to
    # Booking.open_store so the callbacks live as long as the handle.
    def make_store(name, methods, close: nil, version: STORE_VERSION)
      store = C::BkStore.new
      keep = [::FFI::MemoryPointer.from_string(name)]
      store[:version] = version
      store[:name] = keep.first
      if close
        fn = ::FFI::Function.new(:void, [:pointer], close)
        keep << fn
        store[:close] = fn
      end
      methods.each do |method, body|
        args = C::STORE_METHODS.fetch(method) { raise ArgumentError, "#{method}: not a bk_store method" }
        fn = ::FFI::Function.new(:int, [:pointer] + args, body)
        keep << fn
        store[method] = fn
      end
      [store, keep]
    end
  end
end
