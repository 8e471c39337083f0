#!/bin/sh
# bkctl end to end: test_bkctl.sh BKCTL SCENARIO_DIR
#
# For every public scenario, `bkctl scenario FILE` must print exactly the
# file's expected slots as {"slots": [...]}; explain, check, exit statuses
# and error messages are checked on a few known cases.
#
# Only shell built-ins, cat, mktemp and rm run besides bkctl and python3:
# under `meson test --setup valgrind` every other child is traced too, and
# valgrind skips exactly those tools.  python3 (the independent JSON reader)
# is not skipped and not valgrind-clean, so under valgrind the comparison
# falls back to `bkctl check`, which still compares slot for slot.

set -u

BKCTL=${1:?usage: test_bkctl.sh BKCTL SCENARIO_DIR}
DIR=${2:?usage: test_bkctl.sh BKCTL SCENARIO_DIR}

pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bkctl_test.XXXXXX") || exit 1
# No EXIT trap: dash leaks the trap's string when it runs it at exit, and
# under valgrind that leak alone fails the test.  Cleanup is explicit.
trap 'rm -rf "$tmp"; exit 130' INT TERM

ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    printf 'FAIL: %s\n' "$*" >&2
}

# run ARGS...: runs bkctl; sets rc, out (stdout), err (stderr).
run() {
    "$BKCTL" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
}

# expect WHAT RC [NEEDLE_IN_OUT] [NEEDLE_IN_ERR]
expect() {
    what=$1 want=$2 in_out=${3:-} in_err=${4:-}
    if [ "$rc" -ne "$want" ]; then
        bad "$what: exit $rc, expected $want; stdout: $out; stderr: $err"
        return
    fi
    case $out in *"$in_out"*) ;; *)
        bad "$what: no \"$in_out\" in stdout: $out"
        return ;;
    esac
    case $err in *"$in_err"*) ;; *)
        bad "$what: no \"$in_err\" in stderr: $err"
        return ;;
    esac
    ok
}

use_python=1
if [ -n "${BK_UNDER_VALGRIND:-}" ] || ! command -v python3 >/dev/null 2>&1; then
    use_python=0
    echo "note: python3 comparison skipped (valgrind or no python3); using bkctl check"
fi

# compare_all LIST: LIST has lines "OUTPUT_FILE SCENARIO_FILE"; prints
# "ok NAME" or "bad NAME: WHY" for each.  Each output must be the expected
# slots, and also the exact text json.dumps gives ({"slots": [["A", "B"],
# ...]} with ", " and ": "), the layout FORMAT.md documents.  One python3
# for all files: starting it costs more than the comparisons.
compare_all() {
    python3 - "$1" <<'EOF'
import json, os, sys

def check(out_path, scenario_path):
    text = open(out_path).read()
    expected = json.load(open(scenario_path))["expected"]
    try:
        got = json.loads(text)
    except ValueError as e:
        return "output is not JSON: %s" % e
    if not isinstance(got, dict) or list(got) != ["slots"]:
        return "output is not {\"slots\": [...]}"
    slots = got["slots"]
    if slots != expected:
        for i, (g, e) in enumerate(zip(slots, expected)):
            if g != e:
                return "slot %d: got %s, expected %s" % (i, g, e)
        return "got %d slots, expected %d" % (len(slots), len(expected))
    if text != json.dumps({"slots": expected}) + "\n":
        return "right slots, but not the documented one-line layout"
    return None

for line in open(sys.argv[1]):
    out_path, scenario_path = line.rstrip("\n").split(" ", 1)
    name = os.path.basename(scenario_path)
    try:
        why = check(out_path, scenario_path)
    except Exception as e:
        why = "cannot compare: %s" % e
    print("ok %s" % name if why is None else "bad %s: %s" % (name, why))
EOF
}

# ---- every public scenario ------------------------------------------------

n_files=0
: >"$tmp/compare.list"
for f in "$DIR"/*.json; do
    [ -e "$f" ] || continue
    n_files=$((n_files + 1))
    name=${f##*/}
    run scenario "$f"
    # Under valgrind stderr also holds valgrind's report: there only
    # bkctl's own lines count.
    quiet=1
    case $err in *bkctl:*) quiet=0 ;; esac
    [ -z "${BK_UNDER_VALGRIND:-}" ] && [ -n "$err" ] && quiet=0
    if [ "$rc" -ne 0 ] || [ "$quiet" -eq 0 ]; then
        bad "scenario $name: exit $rc: $err"
    elif [ "$use_python" -eq 1 ]; then
        cat "$tmp/out" >"$tmp/scenario_$n_files.out"
        printf '%s %s\n' "$tmp/scenario_$n_files.out" "$f" >>"$tmp/compare.list"
    else
        ok
    fi
    run check "$f"
    expect "check $name" 0 "ok"
done
if [ "$n_files" -lt 10 ]; then
    bad "only $n_files scenarios found in $DIR"
else
    ok
fi
# Every listed file must come back "ok": a python3 that dies half-way
# leaves the rest unanswered, which counts as failed.
if [ -s "$tmp/compare.list" ]; then
    compare_all "$tmp/compare.list" >"$tmp/compare.result" 2>&1
    listed=0
    answered=0
    while IFS= read -r line; do listed=$((listed + 1)); done <"$tmp/compare.list"
    while IFS= read -r line; do
        case $line in
        "ok "*) ok; answered=$((answered + 1)) ;;
        "bad "*) bad "scenario ${line#bad }"; answered=$((answered + 1)) ;;
        *) bad "compare: $line" ;;
        esac
    done <"$tmp/compare.result"
    [ "$answered" -eq "$listed" ] || bad "compare: $answered answers for $listed files"
fi

# ---- explain ---------------------------------------------------------------

cuts=$DIR/blocked_cuts_slot_grid_not_shifted.json
run explain "$cuts" 2026-01-05T09:00:00Z
expect "explain offered" 0 "offered"
run explain "$cuts" 2026-01-05T10:00:00Z
expect "explain blocked" 1 "blocked"
expect "explain blocked names the period" 1 "blocked[0]: 2026-01-05T10:10:00Z/2026-01-05T10:20:00Z"
run explain "$cuts" 2026-01-05T09:10:00Z
expect "explain off grid" 1 "grid"
run explain "$cuts" 2026-01-05T08:00:00Z
expect "explain outside working time" 1 "working"
run explain "$cuts" 2026-01-06T09:00:00Z
expect "explain outside window" 1 "window"
run explain "$DIR/buffers_create_gaps.json" 2026-01-05T09:30:00Z
expect "explain conflict names the booking" 1 "bookings[0]: 2026-01-05T10:00:00Z/2026-01-05T10:30:00Z"
run explain "$DIR/notice_edge_inclusive.json" 2026-01-05T08:30:00Z
expect "explain notice" 1 "notice"
run explain "$cuts" tomorrow
expect "explain bad TIME" 2 "" "TIME"
run explain "$cuts"
expect "explain without TIME" 2 "" "usage"

# ---- bad input -------------------------------------------------------------

printf '{\n "provider": {"timezone": "UTC"},\n "weekly": [' >"$tmp/truncated.json"
run scenario "$tmp/truncated.json"
expect "truncated JSON" 2 "" "line"
expect "truncated JSON position" 2 "" "truncated.json:3:"

minimal='"provider": {"timezone": "UTC"}, "service": {"duration": 30}, "query": {"from": "2026-01-05T00:00:00Z", "to": "2026-01-06T00:00:00Z", "now": "2026-01-01T00:00:00Z"}'
printf '{%s}\n' "$minimal" >"$tmp/minimal.json"
run scenario "$tmp/minimal.json"
expect "minimal scenario" 0 '{"slots": []}'
printf '{"colour": "red", %s}\n' "$minimal" >"$tmp/unknown.json"
run scenario "$tmp/unknown.json"
expect "unknown key" 2 "" '"colour"'
printf '{%s, "weekly": [{"weekday": 1, "start": "25:00", "end": "26:00"}]}\n' "$minimal" >"$tmp/hour.json"
run scenario "$tmp/hour.json"
expect "bad time of day" 2 "" "weekly[0].start"
printf '{%s, "bookings": [{"start": "2026-01-05T09:00:00Z", "end": "2026-01-05T10:00:00Z", "status": "confirmed"}, {"start": "2026-01-05T09:30:00Z", "end": "2026-01-05T10:30:00Z", "status": "pending"}]}\n' "$minimal" >"$tmp/overlap.json"
run scenario "$tmp/overlap.json"
expect "overlapping bookings" 2 "" "bookings[1]"
printf '\000\001\002 not json' >"$tmp/binary.json"
run scenario "$tmp/binary.json"
expect "binary file" 2 "" "line"
: >"$tmp/empty.json"
run scenario "$tmp/empty.json"
expect "empty file" 2 "" "empty.json"
run scenario "$tmp/does-not-exist.json"
expect "missing file" 2 "" "does-not-exist.json"
run scenario "$tmp"
expect "directory" 2 "" "directory"
run check "$tmp/minimal.json"
expect "check without expected" 2 "" "expected"
printf '{%s, "expected": [["2026-01-05T09:00:00Z", "2026-01-05T09:30:00Z"]]}\n' "$minimal" >"$tmp/wrong.json"
run check "$tmp/wrong.json"
expect "check mismatch" 1 "MISMATCH"

# Recurring blocked periods are expanded by the library: the rrule files
# give their expected slots like the others.
for f in "$DIR"/rrule/*.json; do
    [ -e "$f" ] || continue
    name=rrule/${f##*/}
    run check "$f"
    expect "$name gives its expected slots" 0 "ok"
done

# ---- usage and output ------------------------------------------------------

run
expect "no arguments" 2 "" "usage"
run frobnicate
expect "unknown command" 2 "" "unknown command"
run scenario
expect "scenario without FILE" 2 "" "usage"
run scenario "$cuts" extra
expect "scenario with two files" 2 "" "usage"
run --version
expect "--version" 0 "bkctl"
run --help
expect "--help" 0 "usage"

"$BKCTL" scenario - <"$cuts" >"$tmp/stdin.out" 2>"$tmp/err"
rc=$?
"$BKCTL" scenario "$cuts" >"$tmp/file.out" 2>>"$tmp/err"
if [ "$rc" -eq 0 ] && [ "$(cat "$tmp/stdin.out")" = "$(cat "$tmp/file.out")" ]; then
    ok
else
    bad "scenario - (stdin): exit $rc, output differs from the file's: $(cat "$tmp/err")"
fi

if [ -w /dev/full ]; then
    "$BKCTL" scenario "$cuts" >/dev/full 2>"$tmp/err"
    rc=$?
    if [ "$rc" -eq 1 ]; then ok; else bad "write error (/dev/full): exit $rc, expected 1"; fi
fi

echo "$pass passed, $fail failed"
rm -rf "$tmp"
[ "$fail" -eq 0 ]
