#!/usr/bin/env bash
# Coverage report of lib/ and src/ from builds configured with
# -Db_coverage=true whose tests have run (gcovr; README "Hardening").
# tests/run-all.sh instruments build-ci, so its plain and valgrind runs
# count, and build-fault, so that the out-of-memory paths only the
# allocation-failure test reaches count too; the reports are merged.
#
# Fails when line coverage is under MIN_LINE (90) or branch coverage under
# MIN_BRANCH (75) percent.  Writes an HTML report with every file's lines
# and branches to FIRST_BUILDDIR/meson-logs/coverage/index.html.
#
# Usage: tests/coverage.sh [BUILDDIR...]   (default: build-ci, and
#        build-fault when it holds coverage data)
#   MIN_LINE=90 MIN_BRANCH=75   thresholds, in the environment
# Appends "passed failed" to $BK_TEST_TALLY when set (line and branch
# thresholds: two checks).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
min_line=${MIN_LINE:-90}
min_branch=${MIN_BRANCH:-75}

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok:   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
tally_and_exit() {
    echo "coverage: $passed passed, $failed failed"
    if [ -n "${BK_TEST_TALLY:-}" ]; then
        echo "$passed $failed" >>"$BK_TEST_TALLY"
    fi
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && exit 0
    exit 1
}

has_data() { [ -n "$(find "$1" -name '*.gcda' -print -quit 2>/dev/null)" ]; }

dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
    dirs=(build-ci)
    has_data build-fault && dirs+=(build-fault)
fi
command -v gcovr >/dev/null 2>&1 || { fail "gcovr not found (tests/deps.sh: gcovr)"; tally_and_exit; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bk-coverage.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# One JSON report per build directory, then one merged report: the same
# source line counts once, hit if any build hit it.
traces=()
for d in "${dirs[@]}"; do
    if ! has_data "$d"; then
        fail "$d holds no coverage data: configure it with -Db_coverage=true and run its tests first"
        continue
    fi
    json=$tmp/$(basename "$d").json
    if gcovr -r . --object-directory "$d" -f 'lib/' -f 'src/' --json "$json" 2>"$tmp/gcovr.err"; then
        traces+=(--add-tracefile "$json")
    else
        cat "$tmp/gcovr.err"
        fail "gcovr could not read $d"
    fi
done
[ ${#traces[@]} -gt 0 ] || tally_and_exit

html=${dirs[0]}/meson-logs/coverage
mkdir -p "$html"
if ! gcovr -r . "${traces[@]}" --txt "$tmp/report.txt" --html-details "$html/index.html" \
    --json-summary "$tmp/summary.json" 2>"$tmp/gcovr.err"; then
    cat "$tmp/gcovr.err"
    fail "gcovr could not merge the reports"
    tally_and_exit
fi
cat "$tmp/report.txt"
read -r line_pct line_hit line_all branch_pct branch_hit branch_all < <(/usr/bin/python3 - "$tmp/summary.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
print(s["line_percent"], s["line_covered"], s["line_total"],
      s["branch_percent"], s["branch_covered"], s["branch_total"])
EOF
)
echo "coverage: lib/ and src/ from ${dirs[*]}: lines $line_pct% ($line_hit of $line_all)," \
     "branches $branch_pct% ($branch_hit of $branch_all); report in $html/index.html"
if /usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)" "$line_pct" "$min_line"; then
    ok "line coverage $line_pct% >= $min_line%"
else
    fail "line coverage $line_pct% < $min_line%"
fi
if /usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)" "$branch_pct" "$min_branch"; then
    ok "branch coverage $branch_pct% >= $min_branch%"
else
    fail "branch coverage $branch_pct% < $min_branch%"
fi
tally_and_exit
