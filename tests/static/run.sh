#!/usr/bin/env bash
# Static analysis of the library (lib/) and the tool (src/):
#
#   1. clang-tidy 14 with the committed .clang-tidy (checks, and why some
#      are off, are listed there), on every .c file, with the compile
#      commands of a meson build directory, two files at a time;
#   2. cppcheck with --enable=warning,performance,portability, the
#      committed suppressions (tests/static/cppcheck-suppressions.xml, each
#      with its reason) and jansson's macros (tests/static/jansson.cfg).
#
# Both must be clean: any finding fails the run.  A false positive is
# silenced where it is, with its reason (a NOLINT(check) comment on the
# line for clang-tidy, an entry in the suppressions file for cppcheck),
# never by turning a check off for everything.
#
# Usage: tests/static/run.sh [BUILDDIR]   (default build-ci; it needs only
#        to be configured: compile_commands.json is all it reads)
# Appends "passed failed" to $BK_TEST_TALLY when set.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bdir=${1:-$root/build-ci}
cd "$root" || exit 2

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok:   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
tally_and_exit() {
    echo "static: $passed passed, $failed failed"
    if [ -n "${BK_TEST_TALLY:-}" ]; then
        echo "$passed $failed" >>"$BK_TEST_TALLY"
    fi
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && exit 0
    exit 1
}

tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
[ -n "$tidy" ] || fail "clang-tidy not found (tests/deps.sh: clang-tidy)"
command -v cppcheck >/dev/null 2>&1 || fail "cppcheck not found (tests/deps.sh: cppcheck)"
[ -f "$bdir/compile_commands.json" ] || fail "$bdir/compile_commands.json missing: configure $bdir first (meson setup)"
[ "$failed" -eq 0 ] || tally_and_exit

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bk-static.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

find lib src -name '*.c' | LC_ALL=C sort >"$tmp/files"
n=$(wc -l <"$tmp/files")

# --- 1. clang-tidy ------------------------------------------------------------
# The build's flags are gcc's: clang does not know some warning options.
# Files the build does not compile (none today) would be reported by
# clang-tidy as lacking compile commands.
t0=$(date +%s)
if xargs -P2 -n2 "$tidy" -p "$bdir" --quiet --extra-arg=-Wno-unknown-warning-option <"$tmp/files" \
    >"$tmp/tidy.log" 2>&1; then
    ok "clang-tidy: $n files clean ($(($(date +%s) - t0))s)"
else
    grep -E 'error:|warning:|note:' "$tmp/tidy.log" | grep -v 'expanded from macro' | head -n 200
    fail "clang-tidy: $(grep -c ' error: ' "$tmp/tidy.log") finding(s) in $n files (above)"
fi

# --- 2. cppcheck ----------------------------------------------------------------
t0=$(date +%s)
if cppcheck --enable=warning,performance,portability --std=c11 --inline-suppr --quiet -j2 \
    --library="$here/jansson.cfg" --suppress-xml="$here/cppcheck-suppressions.xml" \
    -I include -I lib -I src/bkctl -D_GNU_SOURCE -DBK_BUILDING_LIBRARY \
    --error-exitcode=1 --file-list="$tmp/files" >"$tmp/cppcheck.log" 2>&1; then
    ok "cppcheck: $n files clean ($(($(date +%s) - t0))s)"
else
    cat "$tmp/cppcheck.log"
    fail "cppcheck: findings in lib/ or src/ (above)"
fi

tally_and_exit
