#!/usr/bin/env bash
# The Python and Ruby bindings (bindings/python, bindings/ruby), one mode per
# meson test (suite 'bindings', tests/meson.build):
#
#   test_bindings.sh coverage LIBBOOKING_SO
#       every bk_* function the library exports (nm -D --defined-only) is
#       bound by each binding, and neither binds one the library lacks; the
#       bindings' lists come from their own prototype tables
#       (booking._ffi.BOUND_FUNCTIONS, Booking::FFI_FUNCTIONS);
#   test_bindings.sh python|ruby LIBBOOKING_SO
#       the binding's test suite (bindings/*/tests|test/run.*);
#   test_bindings.sh examples LIBBOOKING_SO
#       examples/quickstart.py and examples/quickstart.rb run and end with
#       the refused double booking;
#   test_bindings.sh leaks LIBBOOKING_SO BK_LEAKCOUNT_SO
#       each suite again with bindings/leakcheck/bk_leakcount.c preloaded:
#       every block libbooking allocates during a counted pass must be
#       freed by its end (a binding that forgets a bk_*_free fails);
#   test_bindings.sh pg LIBBOOKING_SO
#       the API, bad-input and scenario tests of both suites on PostgreSQL
#       (BK_TEST_URI, set by tests/pg/with-fresh-db.sh);
#   test_bindings.sh valgrind LIBBOOKING_SO
#       the whole Python suite under valgrind
#       memcheck: fails on definite or indirect leaks, and on any memory
#       error, whose stack passes through libbooking (the interpreter's own
#       noise is ignored).  The Ruby suite is left out here: Ruby's
#       conservative GC makes every leak look reachable, and the 'leaks'
#       mode covers it.
#
# The library under test is the one named (BOOKING_LIBRARY), never an
# installed one.  Python is Debian's /usr/bin/python3.  Nothing skips: the
# interpreters and gems are in tests/deps.sh.  The suites append their own
# "passed failed" lines to $BK_TEST_TALLY; this script appends one for the
# checks it makes itself.
set -u

mode=${1:?usage: test_bindings.sh coverage|python|ruby|examples|leaks|pg|valgrind LIBBOOKING_SO [BK_LEAKCOUNT_SO]}
lib=${2:?usage: test_bindings.sh MODE LIBBOOKING_SO}
root=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=/usr/bin/python3
RUBY=${RUBY:-ruby}

export BOOKING_LIBRARY=$lib
export PYTHONPATH=$root/bindings/python${PYTHONPATH:+:$PYTHONPATH}
export RUBYLIB=$root/bindings/ruby/lib${RUBYLIB:+:$RUBYLIB}
export BK_SCENARIO_DIR=$root/tests/scenarios
export BK_INCLUDE_DIR=$root/include
export PYTHONDONTWRITEBYTECODE=1
export BK_QUIET=1

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok:   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
tally_and_exit() {
    echo "test_bindings $mode: $pass passed, $fail failed"
    if [ -n "${BK_TEST_TALLY:-}" ]; then
        echo "$pass $fail" >>"$BK_TEST_TALLY"
    fi
    [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ] && exit 0
    exit 1
}

# finish_suites RC: for the modes that run whole suites, which tally
# themselves: adds a line only for what run_suite counted here (a suite
# that died before its own line), and fails if any suite did.
finish_suites() {
    if [ $((pass + fail)) -gt 0 ]; then
        echo "test_bindings $mode: $pass passed, $fail failed (suites without a tally line)"
        [ -z "${BK_TEST_TALLY:-}" ] || echo "$pass $fail" >>"$BK_TEST_TALLY"
    fi
    [ "$1" -eq 0 ] && [ "$fail" -eq 0 ] && exit 0
    exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bk-bindings.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

need_tools() {
    local missing=""
    [ -x "$PYTHON" ] || missing="$missing python3"
    command -v "$RUBY" >/dev/null 2>&1 || missing="$missing ruby"
    if [ -z "$missing" ]; then
        "$RUBY" -e 'require "ffi"' 2>/dev/null || missing="$missing ruby-ffi"
        "$RUBY" -e 'require "minitest"' 2>/dev/null || missing="$missing ruby-minitest"
    fi
    if [ -n "$missing" ]; then
        bad "missing:$missing (install with: sh tests/deps.sh)"
        tally_and_exit
    fi
    [ -f "$lib" ] || { bad "$lib does not exist"; tally_and_exit; }
}

# run_suite LABEL COMMAND...: a suite that writes its own tally line; only a
# crash before it could (no line) is counted here.
run_suite() {
    local label=$1 before after rc
    shift
    before=$(tally_lines)
    "$@"
    rc=$?
    after=$(tally_lines)
    if [ -n "${BK_TEST_TALLY:-}" ] && [ "$after" -gt "$before" ]; then
        return "$rc"
    fi
    if [ "$rc" -eq 0 ]; then ok "$label"; else bad "$label exited $rc"; fi
    return "$rc"
}
tally_lines() { if [ -n "${BK_TEST_TALLY:-}" ] && [ -f "$BK_TEST_TALLY" ]; then wc -l <"$BK_TEST_TALLY"; else echo 0; fi; }

case $mode in
coverage)
    need_tools
    LC_ALL=C nm -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//' |
        grep '^bk_' | LC_ALL=C sort -u >"$tmp/exported"
    if [ -s "$tmp/exported" ]; then
        ok "the library exports $(wc -l <"$tmp/exported") bk_* functions"
    else
        bad "nm found no bk_* function in $lib"
        tally_and_exit
    fi
    "$PYTHON" -c 'import booking; print("\n".join(sorted(booking.BOUND_FUNCTIONS)))' |
        LC_ALL=C sort -u >"$tmp/python" || bad "python: could not read booking.BOUND_FUNCTIONS"
    "$RUBY" -e 'require "booking"; puts Booking::FFI_FUNCTIONS' |
        LC_ALL=C sort -u >"$tmp/ruby" || bad "ruby: could not read Booking::FFI_FUNCTIONS"
    for b in python ruby; do
        unbound=$(LC_ALL=C comm -23 "$tmp/exported" "$tmp/$b" | tr '\n' ' ')
        extra=$(LC_ALL=C comm -13 "$tmp/exported" "$tmp/$b" | tr '\n' ' ')
        if [ -z "$unbound" ]; then
            ok "$b binds every exported function ($(wc -l <"$tmp/$b"))"
        else
            bad "$b does not bind: $unbound"
        fi
        if [ -z "$extra" ]; then
            ok "$b binds no function the library lacks"
        else
            bad "$b binds functions the library does not export: $extra"
        fi
    done
    tally_and_exit
    ;;
python)
    need_tools
    rc=0
    run_suite "python suite" "$PYTHON" "$root/bindings/python/tests/run.py" || rc=1
    finish_suites "$rc"
    ;;
ruby)
    need_tools
    rc=0
    run_suite "ruby suite" "$RUBY" "$root/bindings/ruby/test/run.rb" || rc=1
    finish_suites "$rc"
    ;;
examples)
    need_tools
    if "$PYTHON" "$root/examples/quickstart.py" >"$tmp/py.out" 2>&1 &&
        grep -q '^the same slot again: Conflict - ' "$tmp/py.out" && grep -q '^booked ' "$tmp/py.out"; then
        ok "examples/quickstart.py"
    else
        bad "examples/quickstart.py:"
        sed 's/^/      /' "$tmp/py.out"
    fi
    if "$RUBY" "$root/examples/quickstart.rb" >"$tmp/rb.out" 2>&1 &&
        grep -q '^the same slot again: Booking::Conflict - ' "$tmp/rb.out" && grep -q '^booked ' "$tmp/rb.out"; then
        ok "examples/quickstart.rb"
    else
        bad "examples/quickstart.rb:"
        sed 's/^/      /' "$tmp/rb.out"
    fi
    # The same first line from both: the bindings give the same answers.
    if [ "$(head -n 1 "$tmp/py.out")" = "$(head -n 1 "$tmp/rb.out")" ]; then
        ok "both examples print the same slots"
    else
        bad "the examples disagree: '$(head -n 1 "$tmp/py.out")' vs '$(head -n 1 "$tmp/rb.out")'"
    fi
    # The README's two examples (section "Python and Ruby"), as printed there.
    if "$PYTHON" - "$root/README.md" "$tmp" <<'EOF'; then
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
start = text.index("\n## Python and Ruby\n")
section = text[start:text.index("\n## ", start + 1)]
for lang, ext in (("python", "py"), ("ruby", "rb")):
    code = re.search(r"```" + lang + r"\n(.*?)```", section, re.S).group(1)
    open(f"{sys.argv[2]}/readme.{ext}", "w", encoding="utf-8").write(code)
EOF
        for ext in py rb; do
            if [ "$ext" = py ]; then run=("$PYTHON"); else run=("$RUBY"); fi
            if "${run[@]}" "$tmp/readme.$ext" >"$tmp/readme.$ext.out" 2>&1 &&
                grep -q '^-3 start: .*conflicts with booking' "$tmp/readme.$ext.out"; then
                ok "README example ($ext) runs and prints the conflict"
            else
                bad "README example ($ext):"
                sed 's/^/      /' "$tmp/readme.$ext.out"
            fi
        done
    else
        bad "README.md has no python and ruby example in section \"Python and Ruby\""
    fi
    tally_and_exit
    ;;
leaks)
    need_tools
    shim=${3:?usage: test_bindings.sh leaks LIBBOOKING_SO BK_LEAKCOUNT_SO}
    rc=0
    LD_PRELOAD=$shim BK_LEAKCOUNT=$shim run_suite "python leak check" "$PYTHON" "$root/bindings/python/tests/run.py" || rc=1
    LD_PRELOAD=$shim BK_LEAKCOUNT=$shim run_suite "ruby leak check" "$RUBY" "$root/bindings/ruby/test/run.rb" || rc=1
    finish_suites "$rc"
    ;;
pg)
    need_tools
    if [ -z "${BK_TEST_URI:-}" ]; then
        bad "BK_TEST_URI is not set (run this mode through tests/pg/with-fresh-db.sh)"
        tally_and_exit
    fi
    # The API, bad-input and scenario tests again, each test in a schema
    # of its own in the fresh database (support.fresh_db, fresh_db).
    rc=0
    run_suite "python suite on PostgreSQL" "$PYTHON" "$root/bindings/python/tests/run.py" \
        test_api test_errors test_scenarios || rc=1
    run_suite "ruby suite on PostgreSQL" "$RUBY" "$root/bindings/ruby/test/run.rb" \
        "$root/bindings/ruby/test/test_api.rb" "$root/bindings/ruby/test/test_errors.rb" \
        "$root/bindings/ruby/test/test_scenarios.rb" || rc=1
    finish_suites "$rc"
    ;;
valgrind)
    need_tools
    command -v valgrind >/dev/null 2>&1 || { bad "valgrind not found"; tally_and_exit; }
    # PYTHONMALLOC=malloc: every Python object is a malloc block valgrind
    # tracks, so a freed object's stale pointers are not scanned as live.
    PYTHONMALLOC=malloc valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
        --num-callers=50 --xml=yes --xml-file="$tmp/vg.xml" \
        "$PYTHON" "$root/bindings/python/tests/run.py" \
        >"$tmp/vg.out" 2>&1
    rc=$?
    # The suite's own tally line is counted by run.py; here only valgrind's verdict.
    if [ "$rc" -ne 0 ]; then
        bad "the python suite failed under valgrind (exit $rc):"
        tail -n 30 "$tmp/vg.out" | sed 's/^/      /'
    fi
    if "$PYTHON" - "$tmp/vg.xml" <<'EOF'; then
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
counted = bad = 0
for err in root.iter("error"):
    kind = err.findtext("kind") or ""
    counted += 1
    frames = list(err.find("stack").iter("frame"))
    if not any("libbooking" in (f.findtext("obj") or "") for f in frames):
        continue  # the interpreter's own
    if kind.startswith("Leak_") and kind not in ("Leak_DefinitelyLost", "Leak_IndirectlyLost"):
        continue
    bad += 1
    what = err.findtext("xwhat/text") or err.findtext("what") or kind
    print(f"  {kind}: {what}")
    for f in frames[:12]:
        where = f.findtext("file")
        print(f"      {f.findtext('fn') or '?'} ({where}:{f.findtext('line')})" if where
              else f"      {f.findtext('fn') or '?'} in {f.findtext('obj')}")
print(f"valgrind: {counted} reports in all, {bad} through libbooking")
sys.exit(1 if bad else 0)
EOF
        ok "valgrind: no leak and no memory error through libbooking in the python suite"
    else
        bad "valgrind found leaks or memory errors through libbooking (above)"
    fi
    tally_and_exit
    ;;
*)
    echo "test_bindings.sh: unknown mode $mode" >&2
    exit 2
    ;;
esac
