#!/usr/bin/env bash
# The whole test suite, three ways (the README's test command; CI runs it
# through .ci/run):
#
#   1. plain   build-ci/, warnings as errors: every suite, the guard tests
#              (ABI, headers, install) included;
#   2. asan    build-asan/, ASan + UBSan, warnings as errors: every suite
#              but 'guard' and 'pgbouncer' (the PgBouncer runs of suite
#              'pg': the same library code as the direct runs);
#   3. valgrind  memcheck over build-ci/ (meson test --setup valgrind,
#              defined in tests/meson.build): every suite but 'guard' and
#              'pg'.
#   Suite 'bindings' (Python and Ruby) runs in 1 only: an interpreter
#   cannot load the ASan build, and it runs its own leak count and
#   valgrind check (tests/test_bindings.sh).
#
# PostgreSQL.  Suite 'pg' (tests/meson.build) runs the conformance suites,
# the torture and the fault test against a real server, each in a fresh
# database (tests/pg/with-fresh-db.sh).  Before the runs this script starts
# a throwaway cluster with PgBouncer in front (tests/pg/cluster.sh: initdb
# in a temp dir, loopback, free ports) and removes it when it exits, failed
# or interrupted; a developer who exports BK_TEST_PG_URI (and optionally
# BK_TEST_PGBOUNCER_URI) gets that server used instead.  Without a server
# the 'pg' tests skip -- except with CI=true, where that, and any skipped
# test, is a failure.  Not under valgrind: libpq and the server round trips
# cost ten times as much there, for what the ASan + LSan run already checks.
#
# Why no guard tests in runs 2 and 3: they check the built artifacts
# (exported symbols, headers, installed tree), which the sanitizers do not
# change; under ASan the consumer built against the installed library would
# have to preload the ASan runtime, and under valgrind they would only wrap
# sh, nm, readelf and cc.
#
# Counting.  BK_TEST_TALLY names a file every Check suite (tests/harness.c)
# and every script test appends "passed failed" to.  Per run, the tally is
# cross-checked with meson's own verdicts (meson-logs/testlog*.json) so that
# a test executable that crashed, timed out or leaked at exit after writing
# its tally cannot hide:
#     failed += failed checks in the tally
#             + meson-failed tests beyond those whose tally line shows a
#               failure (each counts 1);
#     passed += passed checks in the tally
#             + meson-passed tests that wrote no tally line (each counts 1).
# A phase that could not run (configure or build failed, meson test left no
# log, or meson test failed with no failing test to show for it) counts as
# one failure.  The last line printed is "N passed, N failed" (followed by
# ", N skipped" when a test skipped); the exit status is non-zero if
# anything failed or nothing ran.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

t_start=$(date +%s)
elapsed() { echo $(( $(date +%s) - $1 ))s; }
say() { printf '\n=== %s\n' "$*"; }

say "dependencies (tests/deps.sh)"
sh tests/deps.sh

for tool in meson ninja python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "run-all: $tool not found after tests/deps.sh" >&2; exit 1; }
done

tally=$(mktemp "${TMPDIR:-/tmp}/bk-tally.XXXXXX")
pg_cluster=""
cleanup() {
    rm -f "$tally"
    if [ -n "$pg_cluster" ]; then
        bash tests/pg/cluster.sh stop "$pg_cluster" ||
            echo "run-all: could not remove the PostgreSQL cluster in $pg_cluster" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
export BK_TEST_TALLY=$tally

total_passed=0
total_failed=0
total_skipped=0
problems=()

# note_problem TEXT: a phase that failed as a whole counts as one failure.
note_problem() {
    problems+=("$1")
    total_failed=$((total_failed + 1))
    echo "run-all: FAILED: $1" >&2
}

# setup_build DIR OPTIONS...: configures DIR, or reconfigures it when it is
# already a build directory (wiping it if reconfiguring fails).
setup_build() {
    local dir=$1
    shift
    if [ -f "$dir/meson-private/coredata.dat" ]; then
        meson setup --reconfigure "$dir" "$@" || meson setup --wipe "$dir" "$@"
    else
        rm -rf "$dir"
        meson setup "$dir" "$@"
    fi
}

# count_run LABEL TESTLOG TALLY_FROM MESON_RC: adds one meson test run's
# results to the totals (see the header for the rules).
count_run() {
    local label=$1 testlog=$2 from=$3 rc=$4 out p f s
    if [ ! -s "$testlog" ]; then
        note_problem "$label: meson test wrote no $testlog (exit $rc)"
        return
    fi
    if ! out=$(python3 - "$testlog" "$tally" "$from" "$rc" <<'EOF'
import json, sys
testlog, tally, start, rc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
GOOD = {"OK", "EXPECTEDFAIL"}
SKIP = {"SKIP"}
ok = bad = skipped = 0
bad_names = []
with open(testlog, encoding="utf-8", errors="replace") as fh:
    for line in fh:
        line = line.strip()
        if not line:
            continue
        rec = json.loads(line)
        result = str(rec.get("result", "")).upper()
        if result in GOOD:
            ok += 1
        elif result in SKIP:
            skipped += 1
        else:
            bad += 1
            bad_names.append("%s (%s)" % (rec.get("name", "?"), result))
with open(tally, encoding="utf-8", errors="replace") as fh:
    lines = fh.read().splitlines()[start:]
p = f = lines_ok = lines_bad = malformed = 0
for line in lines:
    parts = line.split()
    if len(parts) != 2 or not all(x.isdigit() for x in parts):
        malformed += 1
        continue
    lp, lf = int(parts[0]), int(parts[1])
    p += lp
    f += lf
    if lf > 0:
        lines_bad += 1
    elif lp > 0:
        lines_ok += 1
passed = p + max(0, ok - lines_ok)
failed = f + max(0, bad - lines_bad) + malformed
if rc != 0 and failed == 0:
    failed = 1
    bad_names.append("meson test exited %d with no failing test" % rc)
if malformed:
    bad_names.append("%d malformed tally line(s)" % malformed)
print(passed, failed, skipped)
for name in bad_names:
    print(name)
EOF
    ); then
        note_problem "$label: could not read $testlog"
        return
    fi
    read -r p f s <<<"$(head -n 1 <<<"$out")"
    echo "run-all: $label: $p passed, $f failed, $s skipped"
    if [ "$f" -gt 0 ]; then
        problems+=("$label: $(tail -n +2 <<<"$out" | paste -sd ';' - | sed 's/;/; /g')")
    fi
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    total_skipped=$((total_skipped + s))
}

# pg_counts LABEL BUILDDIR: repeats the torture and fault tests' counts
# (operations, conflicts, kills, what the SQL checks found) from the log.
pg_counts() {
    { grep -a -h -E '^pg_(torture|fault)[a-z_]*: ' "$2/meson-logs/testlog.txt" 2>/dev/null || true; } |
        sed "s/^/run-all: $1: /"
}

# meson_test LABEL BUILDDIR TESTLOG_NAME [MESON TEST ARGS...]: runs meson
# test and counts its results.
meson_test() {
    local label=$1 dir=$2 logname=$3 from rc=0
    shift 3
    from=$(wc -l <"$tally")
    rm -f "$dir/meson-logs/$logname"
    meson test -C "$dir" --print-errorlogs "$@" || rc=$?
    count_run "$label" "$dir/meson-logs/$logname" "$from" "$rc"
}

# --- PostgreSQL for suite 'pg' ---------------------------------------------
t=$(date +%s)
say "PostgreSQL server for suite 'pg'"
if [ -n "${BK_TEST_PG_URI:-}" ]; then
    echo "run-all: using the server \$BK_TEST_PG_URI names (developer mode; no throwaway cluster)"
    [ -n "${BK_TEST_PGBOUNCER_URI:-}" ] || echo "run-all: \$BK_TEST_PGBOUNCER_URI is not set: the PgBouncer tests will skip"
elif pg_env=$(bash tests/pg/cluster.sh start); then
    eval "$pg_env"
    pg_cluster=$BK_TEST_PG_CLUSTER
    echo "run-all: throwaway cluster in $pg_cluster: $BK_TEST_PG_URI, PgBouncer $BK_TEST_PGBOUNCER_URI"
elif [ "${CI:-}" = "true" ]; then
    note_problem "postgres: tests/pg/cluster.sh could not start a throwaway cluster"
else
    echo "run-all: no PostgreSQL server: suite 'pg' will skip (with CI=true this is a failure)"
fi
echo "run-all: server setup took $(elapsed "$t")"

# --- 1. plain build, warnings as errors -----------------------------------
t=$(date +%s)
say "1/3 plain build (build-ci, -Dwerror=true)"
plain_built=0
# -Db_coverage=true: this run and the valgrind run (3) are also the
# coverage run (phase 8, tests/coverage.sh); gcov's counters cost no
# measurable time here.  meson configure too, as for build-fault below.
# Counters left from an earlier run would be added to this run's, and
# libgcov complains on stderr about those of rebuilt objects: removed.
if setup_build build-ci -Dwerror=true -Db_sanitize=none -Db_coverage=true &&
    meson configure build-ci -Db_coverage=true; then
    if ninja -C build-ci; then
        plain_built=1
        find build-ci -name '*.gcda' -delete
        meson_test plain build-ci testlog.json
        pg_counts plain build-ci
    else
        note_problem "plain: ninja -C build-ci failed"
    fi
else
    note_problem "plain: meson setup build-ci failed"
fi
echo "run-all: plain run took $(elapsed "$t")"

# --- 2. ASan + UBSan ----------------------------------------------------------
t=$(date +%s)
say "2/3 ASan + UBSan build (build-asan)"
if setup_build build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false; then
    if ninja -C build-asan; then
        # Check's per-test timeouts are sized for a plain build; ASan is
        # 2-3 times slower.
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        CK_TIMEOUT_MULTIPLIER=3 \
            meson_test asan build-asan testlog.json --no-suite guard --no-suite pgbouncer --no-suite bindings
        pg_counts asan build-asan
    else
        note_problem "asan: ninja -C build-asan failed"
    fi
else
    note_problem "asan: meson setup build-asan failed"
fi
echo "run-all: asan run took $(elapsed "$t")"

# --- 3. valgrind memcheck over the plain build ----------------------------
t=$(date +%s)
say "3/3 valgrind memcheck (build-ci, --setup valgrind)"
if [ "$plain_built" -eq 1 ]; then
    meson_test valgrind build-ci testlog-valgrind.json --setup valgrind --no-suite guard --no-suite pg --no-suite bindings
else
    note_problem "valgrind: skipped, the plain build failed"
fi
echo "run-all: valgrind run took $(elapsed "$t")"

# --- 4. allocation-failure injection (build-fault) ----------------------------
# tests/test_alloc_failure.c (issue 7): every public call that allocates, run
# with its 1st, 2nd, ... allocation failing.  A build of its own, configured
# with -Dfault_injection=true and ASan + UBSan, so that LeakSanitizer catches
# what a failing call leaks.  Only that test is built and run (the other
# suites are runs 1-3); counted in the totals like them.
run_fault_injection() {
    local t opts=(-Dwerror=true -Dfault_injection=true -Db_sanitize=address,undefined -Db_lundef=false)
    t=$(date +%s)
    say "4 allocation-failure injection (build-fault, -Dfault_injection=true, ASan + UBSan)"
    # meson configure as well: meson 1.0's setup --reconfigure keeps the
    # b_* options of an existing build directory.
    if ! { setup_build build-fault "${opts[@]}" && meson configure build-fault "${opts[@]}"; }; then
        note_problem "fault: meson setup build-fault failed"
    elif ! ninja -C build-fault tests/test_alloc_failure; then
        note_problem "fault: ninja -C build-fault tests/test_alloc_failure failed"
    else
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
            meson_test fault build-fault testlog.json --no-rebuild alloc_failure
        { grep -a -h 'injection points exercised' build-fault/meson-logs/testlog.txt || true; } |
            tail -n 1 | sed 's/^/run-all: /'
    fi
    echo "run-all: fault run took $(elapsed "$t")"
}
run_fault_injection

# --- 5-8. hardening (issue 7): ABI, static analysis, fuzzing, coverage -------
# Each phase is a script that prints its checks and appends "passed failed"
# to the tally (README "Hardening").  script_phase counts that line; a
# script that failed without a failing check, or wrote no line, counts as
# one failure.

# script_phase LABEL COMMAND...: runs a tally-writing script and counts it.
script_phase() {
    local label=$1 from rc=0 out p f
    shift
    from=$(wc -l <"$tally")
    "$@" || rc=$?
    out=$(tail -n +"$((from + 1))" "$tally" |
          awk 'NF == 2 && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ { p += $1; f += $2; n++ } END { print p + 0, f + 0, n + 0 }')
    read -r p f n <<<"$out"
    if [ "$n" -eq 0 ]; then
        note_problem "$label: $1 wrote no tally line (exit $rc)"
        return
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    echo "run-all: $label: $p passed, $f failed"
    [ "$f" -eq 0 ] || problems+=("$label: $f failed check(s), see its output above")
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
}

# 5. ABI: the library built from this tree against the released baseline
#    (tests/abi/), then the check's own self-test on changed copies of the
#    tree (a removed function, a changed struct, enum value, constant ...).
t=$(date +%s)
say "5 ABI check (tests/abi/check.sh, build-abi; self-test)"
script_phase abi bash tests/abi/check.sh . build-abi
script_phase abi_selftest bash tests/abi/selftest.sh
echo "run-all: abi phase took $(elapsed "$t")"

# 6. Static analysis: clang-tidy and cppcheck over lib/ and src/, with
#    build-ci's compile commands.
t=$(date +%s)
say "6 static analysis (tests/static/run.sh: clang-tidy, cppcheck)"
script_phase static bash tests/static/run.sh build-ci
echo "run-all: static phase took $(elapsed "$t")"

# 7. Fuzzing: every target's seeds and regression inputs, then
#    BK_FUZZ_SECONDS (default 30) of fuzzing per target, in build-fuzz
#    (clang, ASan + UBSan + libFuzzer).
t=$(date +%s)
say "7 fuzzing (tests/fuzz/run.sh, build-fuzz, ${BK_FUZZ_SECONDS:-30}s per target)"
script_phase fuzz bash tests/fuzz/run.sh -t "${BK_FUZZ_SECONDS:-30}" -b build-fuzz
echo "run-all: fuzz phase took $(elapsed "$t")"

# 8. Coverage of lib/ and src/: runs 1 and 3 (build-ci), merged with the
#    allocation-failure test run again in build-cov, so that the
#    out-of-memory paths only it reaches count.  build-cov is that test's
#    build without sanitizers: gcc instruments ASan builds with branches
#    of its own, which would not merge with build-ci's.  Fails under 90 %
#    of lines or 75 % of branches.
run_coverage() {
    local t opts=(-Dwerror=true -Dfault_injection=true -Db_sanitize=none -Db_coverage=true)
    t=$(date +%s)
    say "8 coverage (tests/coverage.sh: build-ci + build-cov)"
    if [ "$plain_built" -ne 1 ]; then
        note_problem "coverage: skipped, the plain build failed"
    elif ! { setup_build build-cov "${opts[@]}" && meson configure build-cov "${opts[@]}"; } ||
        ! ninja -C build-cov tests/test_alloc_failure; then
        note_problem "coverage: could not build tests/test_alloc_failure in build-cov"
    else
        find build-cov -name '*.gcda' -delete
        # Not counted: the same test counted in run 4; here it only records.
        if env -u BK_TEST_TALLY meson test -C build-cov --no-rebuild alloc_failure >/dev/null 2>&1; then
            script_phase coverage bash tests/coverage.sh build-ci build-cov
        else
            note_problem "coverage: tests/test_alloc_failure failed in build-cov (build-cov/meson-logs/testlog.txt)"
        fi
    fi
    echo "run-all: coverage phase took $(elapsed "$t")"
}
run_coverage

# --- summary ----------------------------------------------------------------
say "summary (all runs took $(elapsed "$t_start"))"
if [ "${#problems[@]}" -gt 0 ]; then
    for p in "${problems[@]}"; do
        echo "run-all: failed: $p"
    done
fi
if [ "$total_skipped" -gt 0 ]; then
    echo "run-all: $total_skipped test(s) skipped"
    if [ "${CI:-}" = "true" ]; then
        note_problem "$total_skipped test(s) skipped with CI=true: the test command must provide what they need"
    fi
fi
status=0
if [ "$total_failed" -gt 0 ] || [ "${#problems[@]}" -gt 0 ]; then
    status=1
fi
if [ $((total_passed + total_failed)) -eq 0 ]; then
    echo "run-all: no test ran" >&2
    status=1
fi
if [ "$total_skipped" -gt 0 ]; then
    echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
else
    echo "$total_passed passed, $total_failed failed"
fi
exit "$status"
