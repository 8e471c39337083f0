#!/bin/sh
# Guard test: the public headers stand alone.
#
# Usage: test_header.sh INCLUDE_DIR
#
# include/booking.h and include/booking/sys/store.h must each compile alone
# as strict C99, strict C11 and strict C++11, and a small program that
# initialises every struct from its *_INIT macro must compile too (with
# -Wextra, so an INIT macro that forgets a member is an error).
# CC and CXX may name the compilers (default cc and c++).
# Appends "passed failed" (counted in checks) to $BK_TEST_TALLY when set.
set -eu

if [ $# -ne 1 ] || [ ! -f "$1/booking.h" ]; then
    echo "usage: $0 INCLUDE_DIR (the folder holding booking.h)" >&2
    exit 2
fi
incdir=$1
CC=${CC:-cc}
CXX=${CXX:-c++}

for tool in "$CC" "$CXX"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAIL: compiler '$tool' not found (tests/deps.sh installs gcc and g++)" >&2
        [ -n "${BK_TEST_TALLY:-}" ] && echo "0 1" >>"$BK_TEST_TALLY"
        exit 1
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bk-header.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

passed=0
failed=0

# check NAME COMMAND...: runs the command, counts and reports the result.
check() {
    name=$1
    shift
    if "$@" >"$tmp/out" 2>&1; then
        passed=$((passed + 1))
        echo "ok:   $name"
    else
        failed=$((failed + 1))
        echo "FAIL: $name"
        echo "      command: $*"
        sed 's/^/      | /' "$tmp/out"
    fi
}

CFLAGS_STRICT="-pedantic -Werror -Wall -Wextra -Wstrict-prototypes"
CXXFLAGS_STRICT="-pedantic -Werror -Wall -Wextra"

# Each header alone, first thing in its translation unit.
for header in booking.h booking/sys/store.h; do
    if [ ! -f "$incdir/$header" ]; then
        failed=$((failed + 1))
        echo "FAIL: $incdir/$header does not exist"
        continue
    fi
    src=$tmp/alone_$(echo "$header" | tr '/.' '__').c
    printf '#include <%s>\n' "$header" >"$src"
    for std in c99 c11; do
        # shellcheck disable=SC2086
        check "$header alone, -std=$std" \
            "$CC" -std=$std $CFLAGS_STRICT -I"$incdir" -fsyntax-only "$src"
    done
    # shellcheck disable=SC2086
    check "$header alone, C++11" \
        "$CXX" -std=c++11 $CXXFLAGS_STRICT -I"$incdir" -fsyntax-only -x c++ "$src"
done

# Every *_INIT macro of the public headers, used as its struct's
# initialiser: BK_FOO_BAR_INIT initialises a bk_foo_bar.
macros=$(cat "$incdir/booking.h" "$incdir/booking/sys/store.h" 2>/dev/null |
    sed -n 's/^[[:space:]]*#[[:space:]]*define[[:space:]]\{1,\}\(BK_[A-Z0-9_]*_INIT\)\([[:space:]{].*\)\{0,1\}$/\1/p' |
    sort -u)
if [ -z "$macros" ]; then
    failed=$((failed + 1))
    echo "FAIL: found no *_INIT macro in the public headers"
else
    prog=$tmp/init_macros.c
    {
        echo '#include <booking.h>'
        echo '#include <booking/sys/store.h>'
        echo 'int main(void)'
        echo '{'
        for m in $macros; do
            type=$(echo "$m" | sed 's/_INIT$//' | tr '[:upper:]' '[:lower:]')
            echo "    $type v_$type = $m;"
            echo "    (void)v_$type;"
        done
        echo '    return 0;'
        echo '}'
    } >"$prog"
    echo "INIT macros: $(echo "$macros" | tr '\n' ' ')"
    for std in c99 c11; do
        # shellcheck disable=SC2086
        check "*_INIT macros, -std=$std" \
            "$CC" -std=$std $CFLAGS_STRICT -I"$incdir" -c -o "$tmp/init.o" "$prog"
    done
    # shellcheck disable=SC2086
    check "*_INIT macros, C++11" \
        "$CXX" -std=c++11 $CXXFLAGS_STRICT -I"$incdir" -c -o "$tmp/init.o" -x c++ "$prog"
fi

echo "test_header: $passed passed, $failed failed"
if [ -n "${BK_TEST_TALLY:-}" ]; then
    echo "$passed $failed" >>"$BK_TEST_TALLY"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
