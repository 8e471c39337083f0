# frozen_string_literal: true

# The FFI structs of Booking::C match the C headers exactly: the same members
# in the same order (read from the header text), and the same offsets and
# sizes (asked of the C compiler, through a program generated from the
# binding's own layouts).
require_relative "test_helper"
require "tmpdir"
require "open3"

class LayoutTest < Minitest::Test
  include BookingTest

  HEADERS = [File.join(INCLUDE_DIR, "booking.h"), File.join(INCLUDE_DIR, "booking", "sys", "store.h")].freeze

  def header_structs
    out = {}
    HEADERS.each do |header|
      text = File.read(header, encoding: "UTF-8").gsub(%r{/\*.*?\*/}m, " ").gsub(%r{//[^\n]*}, " ")
      text.scan(/struct\s+(bk_\w+)\s*\{([^{}]*)\}/m) do |name, body|
        out[name] = body.split(";").map { |d| d.split.join(" ") }.reject(&:empty?).map do |decl|
          (decl[/\(\s*\*\s*(\w+)\s*\)/, 1] || decl[/(\w+)\s*(\[[^\]]*\])?\s*\z/, 1])
        end
      end
    end
    out
  end

  def test_members_match_the_headers
    declared = header_structs
    Booking::C::STRUCTS.each do |name, cls|
      assert declared.key?(name), "#{name} is not in the headers any more"
      assert_equal declared[name], cls.members.map(&:to_s), name
    end
    assert_empty declared.keys - Booking::C::STRUCTS.keys, "structs of the headers the binding does not lay out"
  end

  def test_offsets_and_sizes_match_the_compiler
    cc = ENV["CC"] || "cc"
    lines = ["#include <stddef.h>", "#include <stdio.h>", "#include <booking.h>", "#include <booking/sys/store.h>",
             "int main(void) {"]
    expected = []
    Booking::C::STRUCTS.each do |name, cls|
      lines << %(    printf("%s %zu\\n", "#{name}", sizeof(#{name}));)
      expected << "#{name} #{cls.size}"
      cls.members.each do |field|
        lines << %(    printf("%s.%s %zu\\n", "#{name}", "#{field}", offsetof(#{name}, #{field}));)
        expected << "#{name}.#{field} #{cls.offset_of(field)}"
      end
    end
    lines += ["    return 0;", "}"]
    Dir.mktmpdir do |tmp|
      src = File.join(tmp, "layout.c")
      exe = File.join(tmp, "layout")
      File.write(src, "#{lines.join("\n")}\n")
      out, status = Open3.capture2e(cc, "-std=c11", "-I", INCLUDE_DIR, "-o", exe, src)
      assert status.success?, "cc failed: #{out}"
      got, status = Open3.capture2(exe)
      assert status.success?
      got = got.split("\n")
      # Only the lines that differ: the whole layout is hundreds of lines.
      assert_equal [[], []], [expected - got, got - expected], "binding (first) vs compiler (second)"
      assert_equal expected, got
    end
  end
end
