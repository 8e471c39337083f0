# frozen_string_literal: true

# Runs the Ruby binding's tests (minitest), as tests/test_bindings.sh does:
#
#   BOOKING_LIBRARY=build/lib/libbooking.so.1 ruby bindings/ruby/test/run.rb [FILE ...]
#
# With no FILE, every test_*.rb here, and then one more check: every C
# function the binding binds was called at least once during the run (a
# function bound but unreachable, or reachable but untested, fails it).
#
# Leak mode: with BK_LEAKCOUNT naming bk_leakcount.so (bindings/leakcheck),
# which must also be in LD_PRELOAD, the tests run twice: once to warm the
# library's process-lifetime caches (zone tables), then counted: every block
# libbooking allocated during the second pass must have been freed by the
# end.  That is the one check of the run (plus any failing test).
#
# Appends "passed failed" to $BK_TEST_TALLY when it is set; a skipped test
# counts as failed, since nothing here may skip for want of anything.
require_relative "test_helper"
require "open3"

files = ARGV.empty? ? Dir[File.join(__dir__, "test_*.rb")].sort : ARGV.map { |f| File.expand_path(f) }
WHOLE = ARGV.empty?
ARGV.clear # minitest reads its own options from ARGV

CALLED = Queue.new
Booking.load_library
LEAK_LIB = ENV.fetch("BK_LEAKCOUNT", "")

unless LEAK_LIB.empty?
  # The counter's controls (bindings/leakcheck/bk_leakcount.c).
  module LeakCount
    extend FFI::Library
    ffi_lib LEAK_LIB
    attach_function :bkleak_start, [], :int
    attach_function :bkleak_live, [:pointer], :size_t
    attach_function :bkleak_report, %i[size_t pointer], :size_t
  end
end

if LEAK_LIB.empty?
  tracer = Module.new do
    Booking::C::PROTOTYPES.each_key do |name|
      define_method(name) do |*args, &block|
        CALLED << name
        super(*args, &block)
      end
    end
  end
  Booking::C.singleton_class.prepend(tracer)
end

files.each { |f| require f }

# Keeps the counts of the last run for the tally line.
class TallyReporter < Minitest::StatisticsReporter
  class << self
    attr_accessor :last
  end

  def report
    super
    self.class.last = [count - failures - errors - skips, failures + errors + skips]
  end
end

module Minitest
  def self.plugin_bktally_init(_options)
    reporter << TallyReporter.new
  end
end
Minitest.extensions << "bktally"

def run_pass
  Minitest.run(ENV["BK_QUIET"] ? [] : ["--verbose"])
  TallyReporter.last
end

def leak_sites(count)
  shown = []
  offsets = []
  [count, 20].min.times do |i|
    off = FFI::MemoryPointer.new(:size_t)
    size = LeakCount.bkleak_report(i, off)
    break if size.zero?

    offsets << off.read(:size_t)
    shown << size
  end
  names = offsets.map { |o| format("0x%x", o) }
  begin
    out, = Open3.capture2("addr2line", "-f", "-s", "-e", File.realpath(Booking::C.loaded), *names)
    lines = out.split("\n")
    names = offsets.each_index.map { |i| "#{lines[2 * i]} (#{lines[2 * i + 1]})" } if lines.size >= 2 * offsets.size
  rescue SystemCallError
    nil
  end
  shown.zip(names).map { |size, name| "    #{size} bytes allocated in #{name}" }.join("\n")
end

if LEAK_LIB.empty?
  passed, failed = run_pass
  if WHOLE
    called = []
    called << CALLED.pop until CALLED.empty?
    uncalled = Booking::FFI_FUNCTIONS - called.map(&:to_s)
    if uncalled.empty?
      passed += 1
      puts "ok: the tests reached all #{Booking::FFI_FUNCTIONS.size} bound C functions"
    else
      failed += 1
      puts "FAIL: bound C functions no test reached: #{uncalled.sort.join(', ')}"
    end
  end
  label = "ruby binding"
else
  _, warm_failed = run_pass
  if LeakCount.bkleak_start != 0
    puts "FAIL: bk_leakcount does not see libbooking (is it in LD_PRELOAD?)"
    passed = 0
    failed = 1
  else
    ran, failed = run_pass
    # Handles a test left open are closed by their AutoPointer when
    # collected: collect before counting.
    3.times { GC.start(full_mark: true, immediate_sweep: true) }
    bytes = FFI::MemoryPointer.new(:size_t)
    left = LeakCount.bkleak_live(bytes)
    failed += warm_failed
    if left.zero?
      puts "ok: every block libbooking allocated in #{ran} tests was freed"
      passed = 1
    else
      puts "FAIL: #{left} blocks (#{bytes.read(:size_t)} bytes) libbooking allocated were never freed:"
      puts leak_sites(left)
      passed = 0
      failed += 1
    end
  end
  label = "ruby binding leak check"
end

puts "library: #{Booking::C.loaded}"
puts "#{label}: #{passed} passed, #{failed} failed"
File.open(ENV["BK_TEST_TALLY"], "a") { |f| f.puts "#{passed} #{failed}" } if ENV["BK_TEST_TALLY"]
exit(failed.zero? && passed.positive? ? 0 : 1)
