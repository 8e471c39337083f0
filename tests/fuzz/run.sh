#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ and runs each one:
#
#   1. replay: every committed seed (tests/fuzz/corpus/<target>/) and every
#      regression input (tests/fuzz/regressions/<target>/: inputs that once
#      crashed a target, kept so that the bug stays fixed) runs once;
#   2. fuzz: each target mutates from its seeds for SECONDS seconds
#      (-max_total_time), two targets at a time (the machine's two cores),
#      under ASan + UBSan, in a scratch copy of the corpus so that the tree
#      is never written.
#
# A crash (a sanitizer report, an abort from a FUZZ_CHECK, a timeout, a
# leak) fails the run; libFuzzer's reproducer is left in
# BUILDDIR/fuzz-artifacts/<target>/ -- copy it into
# tests/fuzz/regressions/<target>/ with a name that says what it caught,
# fix the bug, and the replay step keeps it fixed (README "Hardening").
#
# Usage: tests/fuzz/run.sh [-t SECONDS] [-b BUILDDIR] [--update-corpus] [TARGET...]
#   -t SECONDS       fuzzing time per target (default 30; 0 = replay only)
#   -b BUILDDIR      the clang build (default build-fuzz)
#   --update-corpus  afterwards, merge what the run found into
#                    tests/fuzz/corpus/ (-merge=1 keeps only inputs that add
#                    coverage), for a developer to commit
# Prints each target's executions (libFuzzer's stat::number_of_executed_units)
# and the total; appends "passed failed" to $BK_TEST_TALLY when set (one
# check per target and step).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=30
bdir=$root/build-fuzz
update=0
targets=()
while [ $# -gt 0 ]; do
    case $1 in
    -t) seconds=$2; shift 2 ;;
    -b) bdir=$2; shift 2 ;;
    --update-corpus) update=1; shift ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_time fuzz_rrule fuzz_scenario fuzz_fields fuzz_token fuzz_model)

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok:   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
tally_and_exit() {
    echo "fuzz: $passed passed, $failed failed"
    if [ -n "${BK_TEST_TALLY:-}" ]; then
        echo "$passed $failed" >>"$BK_TEST_TALLY"
    fi
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && exit 0
    exit 1
}

command -v clang >/dev/null 2>&1 || { fail "clang not found (tests/deps.sh: clang, libclang-rt-14-dev)"; tally_and_exit; }

# --- build ------------------------------------------------------------------
# -fsanitize=fuzzer-no-link on everything: libFuzzer steers by the coverage
# of the library's code, not only of the targets'.
opts=(-Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized
      -Dc_args=-fsanitize=fuzzer-no-link -Dwerror=false)
t0=$(date +%s)
if [ -f "$bdir/meson-private/coredata.dat" ]; then
    meson configure "$bdir" "${opts[@]}" >/dev/null || { rm -rf "$bdir"; }
fi
if [ ! -f "$bdir/meson-private/coredata.dat" ]; then
    rm -rf "$bdir"
    if ! CC=clang meson setup "$bdir" "$root" "${opts[@]}" >"$bdir.setup.log" 2>&1; then
        cat "$bdir.setup.log"
        rm -f "$bdir.setup.log"
        fail "meson setup $bdir (CC=clang) failed"
        tally_and_exit
    fi
    rm -f "$bdir.setup.log"
fi
if ! ninja -C "$bdir" "${targets[@]/#/tests/fuzz/}"; then
    fail "building the fuzz targets in $bdir failed"
    tally_and_exit
fi
echo "fuzz: build took $(($(date +%s) - t0))s"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export FUZZ_MODEL_STATS=1
# Per-input limits: a run over 25 s or 2 GB is a bug (an unbounded loop or
# allocation) whatever the input.
limits=(-timeout=25 -rss_limit_mb=2048 -max_len=16384)
work=$(mktemp -d "${TMPDIR:-/tmp}/bk-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- 1. replay seeds and regression inputs ----------------------------------
for t in "${targets[@]}"; do
    inputs=()
    for d in "$here/corpus/$t" "$here/regressions/$t"; do
        [ -d "$d" ] && while IFS= read -r -d '' file; do inputs+=("$file"); done < <(find "$d" -type f -print0 | sort -z)
    done
    if [ ${#inputs[@]} -eq 0 ]; then
        fail "$t: no seed or regression input"
        continue
    fi
    if "$bdir/tests/fuzz/$t" "${limits[@]}" "${inputs[@]}" >"$work/$t.replay.log" 2>&1; then
        ok "$t: replayed ${#inputs[@]} seed and regression inputs"
    else
        tail -n 40 "$work/$t.replay.log"
        fail "$t: an input of tests/fuzz/corpus/$t or tests/fuzz/regressions/$t fails (log above)"
    fi
done

# --- 2. fuzz ----------------------------------------------------------------
total=0
if [ "$seconds" -gt 0 ]; then
    # fuzz_one TARGET: fuzzes into a scratch corpus, leaves its log.
    fuzz_one() {
        local t=$1
        mkdir -p "$work/corpus/$t" "$bdir/fuzz-artifacts/$t"
        cp "$here/corpus/$t/"* "$work/corpus/$t/" 2>/dev/null
        "$bdir/tests/fuzz/$t" "${limits[@]}" -max_total_time="$seconds" -print_final_stats=1 \
            -artifact_prefix="$bdir/fuzz-artifacts/$t/" "$work/corpus/$t" >"$work/$t.fuzz.log" 2>&1
        echo $? >"$work/$t.rc"
    }
    running=0
    for t in "${targets[@]}"; do
        fuzz_one "$t" &
        running=$((running + 1))
        if [ "$running" -ge 2 ]; then
            wait -n
            running=$((running - 1))
        fi
    done
    wait
    for t in "${targets[@]}"; do
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.fuzz.log" | tail -n 1)
        rc=$(cat "$work/$t.rc" 2>/dev/null || echo 1)
        extra=$(grep -a '^fuzz_model: ' "$work/$t.fuzz.log" | tail -n 1)
        if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
            total=$((total + execs))
            ok "$t: ${seconds}s, $execs executions, corpus $(find "$work/corpus/$t" -type f | wc -l) inputs${extra:+ ($extra)}"
        else
            grep -a -E 'ERROR|check failed|SUMMARY|Test unit written|^ +#[0-9]+ ' "$work/$t.fuzz.log" | head -n 40
            fail "$t: crashed after ${execs:-?} executions (exit $rc); reproducer in $bdir/fuzz-artifacts/$t/"
        fi
    done
    echo "fuzz: $total executions in all (${#targets[@]} targets, ${seconds}s each)"

    if [ "$update" -eq 1 ]; then
        for t in "${targets[@]}"; do
            mkdir -p "$here/corpus/$t"
            "$bdir/tests/fuzz/$t" "${limits[@]}" -merge=1 "$here/corpus/$t" "$work/corpus/$t" >/dev/null 2>&1 &&
                echo "fuzz: $t: tests/fuzz/corpus/$t now holds $(find "$here/corpus/$t" -type f | wc -l) inputs"
        done
    fi
fi

tally_and_exit
