# frozen_string_literal: true

# How the binding finds libbooking: an explicit path, $BOOKING_LIBRARY, the
# installed tree through pkg-config, the linker's search path; and what an
# older library without some functions gives.  Each case runs in a fresh
# interpreter, since a process loads the library once.
require_relative "test_helper"
require "open3"
require "rbconfig"
require "tmpdir"

class LoadingTest < Minitest::Test
  LIB_DIR = File.expand_path("../lib", __dir__)

  def lib
    File.realpath(Booking.load_library)
  end

  def ruby(code, env = {})
    # nil unsets a variable in the child (the rest of ENV is inherited).
    clean = { "BOOKING_LIBRARY" => nil, "PKG_CONFIG_PATH" => nil, "LD_PRELOAD" => nil }.merge(env)
    Open3.capture3(clean, RbConfig.ruby, "-I", LIB_DIR, "-e", code)
  end

  def test_environment_variable
    out, err, status = ruby('require "booking"; puts Booking.load_library; puts Booking.version', "BOOKING_LIBRARY" => lib)
    assert status.success?, err
    assert_equal lib, out.lines.first.chomp
  end

  def test_explicit_argument_wins
    out, err, status = ruby("require 'booking'; puts Booking.load_library(#{lib.inspect})", "BOOKING_LIBRARY" => "/nonexistent/lib.so")
    assert status.success?, err
    assert_equal lib, out.chomp
  end

  def test_installed_tree_through_pkg_config
    Dir.mktmpdir do |tmp|
      libdir = File.join(tmp, "lib")
      Dir.mkdir(libdir)
      File.symlink(lib, File.join(libdir, "libbooking.so.1"))
      File.write(File.join(tmp, "booking.pc"),
                 "libdir=#{libdir}\nName: booking\nDescription: test\nVersion: 1.0.0\nLibs: -L${libdir} -lbooking\n")
      out, err, status = ruby('require "booking"; puts Booking.load_library; puts Booking.timezones.size.positive?',
                              "PKG_CONFIG_PATH" => tmp)
      assert status.success?, err
      assert_equal [File.join(libdir, "libbooking.so.1"), "true"], out.lines.map(&:chomp).first(2)
    end
  end

  def test_not_found_says_what_to_do
    out, err, status = ruby(<<~RUBY, "PKG_CONFIG_LIBDIR" => "/nonexistent")
      require "booking"
      begin
        puts "installed " + Booking.load_library
      rescue Booking::C::LibraryNotFound => e
        puts "not found: " + e.message
      end
    RUBY
    assert status.success?, err
    if out.start_with?("not found:")
      assert_includes out, "BOOKING_LIBRARY"
    else # libbooking is installed where the dynamic linker finds it
      assert_match(/\Ainstalled /, out)
    end
  end

  def test_older_library_lacks_functions
    Dir.mktmpdir do |tmp|
      src = File.join(tmp, "old.c")
      so = File.join(tmp, "libbooking.so.1")
      File.write(src, "const char *bk_version(void);\nconst char *bk_version(void) { return \"0.9.0\"; }\n")
      _, err, status = Open3.capture3(ENV["CC"] || "cc", "-shared", "-fPIC", "-o", so, src)
      assert status.success?, err
      out, err, status = ruby(<<~RUBY, "BOOKING_LIBRARY" => so)
        require "booking"
        puts Booking.version
        begin
          Booking.timezones
        rescue Booking::Misuse => e
          puts "\#{e.code} \#{e.message}"
        end
      RUBY
      assert status.success?, err
      lines = out.lines.map(&:chomp)
      assert_equal "0.9.0", lines[0]
      assert lines[1].start_with?("-12 bk_timezone_list: not exported by"), lines[1]
    end
  end
end
