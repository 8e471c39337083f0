#!/bin/sh
# Guard test: an installed libbooking can be used through pkg-config alone.
#
# Usage: test_consumer.sh BUILD_DIR CONSUMER_C
#
# Installs the build with `meson install --destdir` into a temporary folder,
# points pkg-config at the installed booking.pc (relocated with
# --define-variable=prefix=..., which plain pkg-config and pkgconf both
# honour), checks that booking.pc, booking.h, booking/sys/store.h and
# libbooking.so.1 are installed, compiles CONSUMER_C with nothing but
# `pkg-config --cflags --libs booking` (no -I into the source tree) and runs
# it with LD_LIBRARY_PATH at the installed libdir.
# MESON, CC and PKG_CONFIG may name the tools.
# Appends "passed failed" (counted in checks) to $BK_TEST_TALLY when set.
set -eu

if [ $# -ne 2 ] || [ ! -d "$1" ] || [ ! -f "$2" ]; then
    echo "usage: $0 BUILD_DIR CONSUMER_C" >&2
    exit 2
fi
builddir=$1
consumer_c=$2
MESON=${MESON:-meson}
CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok:   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
finish() {
    echo "test_consumer: $passed passed, $failed failed"
    if [ -n "${BK_TEST_TALLY:-}" ]; then
        echo "$passed $failed" >>"$BK_TEST_TALLY"
    fi
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && exit 0
    exit 1
}

for tool in "$MESON" "$CC" "$PKG_CONFIG"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        fail "'$tool' not found (tests/deps.sh installs it)"
    fi
done
[ "$failed" -eq 0 ] || finish

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bk-consumer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
root=$tmp/root

# 1. install
if "$MESON" install -C "$builddir" --no-rebuild --destdir "$root" >"$tmp/install.log" 2>&1; then
    ok "meson install --destdir"
else
    fail "meson install -C $builddir --no-rebuild --destdir $root:"
    sed 's/^/      | /' "$tmp/install.log"
    finish
fi

# 2. the installed booking.pc
pcs=$(find "$root" -name booking.pc -path '*/pkgconfig/*')
if [ -z "$pcs" ] || [ "$(echo "$pcs" | wc -l)" -ne 1 ]; then
    fail "expected one installed pkgconfig/booking.pc, found: ${pcs:-none}"
    echo "      installed files:"
    (cd "$root" && find . -type f -o -type l) | sed 's/^/      | /'
    finish
fi
pcdir=$(dirname "$pcs")
ok "booking.pc installed (${pcdir#"$root"}/booking.pc)"

# Only the installed .pc is seen for booking (PKG_CONFIG_PATH comes first;
# the system paths stay for its Requires such as icu-uc).
PKG_CONFIG_PATH=$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR 2>/dev/null || true

if ! prefix=$("$PKG_CONFIG" --variable=prefix booking 2>"$tmp/pc.err") || [ -z "$prefix" ]; then
    fail "pkg-config cannot read booking.pc's prefix:"
    sed 's/^/      | /' "$tmp/pc.err"
    finish
fi
reloc="--define-variable=prefix=$root$prefix"
pc() { "$PKG_CONFIG" "$reloc" "$@" booking; }

pcfiledir=$(pc --variable=pcfiledir)
if [ "$pcfiledir" != "$pcdir" ]; then
    fail "pkg-config found booking.pc in '$pcfiledir', not in the installed tree $pcdir"
    finish
fi
includedir=$(pc --variable=includedir)
libdir=$(pc --variable=libdir)
echo "      prefix $prefix, relocated includedir $includedir, libdir $libdir"

# 3. the installed files, where booking.pc says they are
for f in "$includedir/booking.h" "$includedir/booking/sys/store.h" \
         "$libdir/libbooking.so.1" "$libdir/libbooking.so"; do
    if [ -e "$f" ]; then
        ok "installed: ${f#"$root"}"
    else
        fail "not installed where booking.pc says: ${f#"$root"}"
    fi
done
[ "$failed" -eq 0 ] || finish

# 4. compile against the installed tree only
if ! flags=$(pc --cflags --libs 2>"$tmp/pc.err"); then
    fail "pkg-config --cflags --libs booking failed:"
    sed 's/^/      | /' "$tmp/pc.err"
    finish
fi
echo "      pkg-config --cflags --libs booking: $flags"
# shellcheck disable=SC2086  # $flags are separate words
if "$CC" -std=c11 -Wall -Wextra -Werror -o "$tmp/consumer" "$consumer_c" $flags \
        >"$tmp/cc.log" 2>&1; then
    ok "consumer.c compiles and links with pkg-config's flags"
else
    fail "consumer.c does not compile with pkg-config's flags:"
    echo "      command: $CC -std=c11 -Wall -Wextra -Werror -o $tmp/consumer $consumer_c $flags"
    sed 's/^/      | /' "$tmp/cc.log"
    finish
fi

# 5. run it against the installed library
resolved=$(LD_LIBRARY_PATH=$libdir ldd "$tmp/consumer" 2>/dev/null |
    awk '$1 == "libbooking.so.1" { print $3 }')
case $resolved in
    "$libdir"/*) ok "libbooking.so.1 resolves to the installed copy" ;;
    *) fail "libbooking.so.1 resolves to '${resolved:-nothing}', not into $libdir" ;;
esac
if LD_LIBRARY_PATH=$libdir "$tmp/consumer" >"$tmp/run.log" 2>&1; then
    ok "consumer runs: $(head -n 1 "$tmp/run.log")"
else
    status=$?
    fail "consumer exited with status $status:"
    sed 's/^/      | /' "$tmp/run.log"
fi

finish
