# frozen_string_literal: true

# bk_open_store and bk_store_error through Booking::LowLevel: a storage
# backend written in Ruby, which also proves the vtable and sink layouts (a
# method at the wrong offset would be called for the wrong operation).
require_relative "test_helper"
require "booking/lowlevel"

class LowLevelTest < Minitest::Test
  ESTORE = -9

  # Every method reports BK_ESTORE naming itself, through bk_store_error.
  def stub_methods(calls)
    Booking::LowLevel::METHODS.to_h do |name|
      [name, lambda do |_self, *args|
        calls << name
        Booking.store_error(args.last, ESTORE, "#{name}: not in this store")
      end]
    end
  end

  def test_unknown_version_is_misuse_and_closes
    closed = []
    store, keep = Booking::LowLevel.make_store("rb", {}, close: ->(_s) { closed << 1 }, version: 999)
    e = assert_raises(Booking::Misuse) { Booking.open_store(store, keep) }
    assert_includes e.message, "999"
    assert_equal [1], closed
  end

  def test_missing_method_is_misuse
    closed = []
    methods = stub_methods([])
    methods.delete(:schedule_load)
    store, keep = Booking::LowLevel.make_store("rb", methods, close: ->(_s) { closed << 1 })
    e = assert_raises(Booking::Misuse) { Booking.open_store(store, keep) }
    assert_includes e.message, "store"
    assert_equal [1], closed
  end

  def test_ruby_backend
    calls = []
    closed = []
    methods = stub_methods(calls)
    keep_records = []
    methods[:provider_get] = lambda do |_self, id_ptr, sink_ptr, _err|
      calls << :provider_get
      p = Booking::C::BkProvider.new
      Booking::C.bk_provider_init(p)
      p.pointer.put_bytes(p.offset_of(:id), id_ptr.get_bytes(0, 37))
      strings = %w[rb rb@example.com Ru\ By Asia/Tokyo].map { |s| FFI::MemoryPointer.from_string(s) }
      keep_records << p << strings
      p[:username], p[:email], p[:full_name], p[:timezone] = strings
      sink = Booking::C::BkStoreSink.new(sink_ptr)
      emit = FFI::Function.new(:int, %i[pointer pointer], sink[:provider])
      emit.call(sink[:ctx], p)
    end
    store, keep = Booking::LowLevel.make_store("ruby", methods, close: ->(_s) { closed << 1 })
    Booking.open_store(store, keep) do |db|
      assert_includes db.inspect, "ruby"
      id = SecureRandom.uuid
      p = db.provider(id)
      assert_equal [id, "rb", "Asia/Tokyo"], [p.id, p.username, p.timezone]
      e = assert_raises(Booking::StoreError) { db.providers }
      assert_equal [ESTORE, "provider_list: not in this store"], [e.code, e.message]
      e = assert_raises(Booking::StoreError) { db.booking(id) }
      assert_equal "booking_get: not in this store", e.message
      assert_equal %i[provider_get provider_list booking_get], calls
      assert_empty closed
    end
    assert_equal [1], closed
  end

  # booking.h: every free function accepts NULL.  (The binding never passes
  # NULL; bk_availability_free, bk_blocked_free and bk_override_free have no
  # single record to free: rows, periods and overrides only come in lists.)
  def test_free_functions_accept_null
    frees = Booking::FFI_FUNCTIONS.select { |n| n.end_with?("_free") }.sort
    assert_operator frees.size, :>=, 15
    frees.each do |name|
      name.include?("list_free") ? Booking::C.public_send(name, nil, 0) : Booking::C.public_send(name, nil)
    end
  end

  def test_store_error_without_err
    assert_equal(-4, Booking.store_error(nil, -4, "dropped"))
  end

  def test_wrong_store_type
    assert_raises(TypeError) { Booking.open_store(Object.new) }
  end
end
