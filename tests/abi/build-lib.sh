#!/bin/sh
# Builds libbooking.so.1 of the source tree SRC in BUILDDIR for the ABI
# tools, and prints the library's path.  A build of its own, not build-ci:
# the baseline and every check must come from the same kind of build
# (plain compiler flags, no sanitizer or coverage instrumentation, debug
# information for abidw), and -O0 keeps it to seconds.
#
# Usage: build-lib.sh SRC BUILDDIR
set -eu
[ $# -eq 2 ] || { echo "usage: $0 SRC BUILDDIR" >&2; exit 2; }
src=$1
bdir=$2
opts="-Dbuildtype=debug -Db_sanitize=none -Db_coverage=false -Dwerror=false"
if [ -f "$bdir/meson-private/coredata.dat" ]; then
    # shellcheck disable=SC2086  # the option list is split on purpose
    meson setup --reconfigure $opts "$bdir" "$src" >"$bdir.setup.log" 2>&1 ||
        { rm -rf "$bdir"; meson setup $opts "$bdir" "$src" >"$bdir.setup.log" 2>&1; } ||
        { cat "$bdir.setup.log" >&2; exit 1; }
else
    rm -rf "$bdir"
    # shellcheck disable=SC2086
    meson setup $opts "$bdir" "$src" >"$bdir.setup.log" 2>&1 || { cat "$bdir.setup.log" >&2; exit 1; }
fi
rm -f "$bdir.setup.log"
meson compile -C "$bdir" booking >&2
lib="$bdir/lib/libbooking.so.1"
[ -f "$lib" ] || { echo "build-lib.sh: $lib was not built" >&2; exit 1; }
echo "$lib"
