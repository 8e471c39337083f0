#!/bin/sh
# Self-test of tests/abi/check.sh: shows that it fails on each kind of
# incompatible change and passes the compatible ones.  Each case copies the
# source tree (no .git, no build directories), changes it, builds its
# library (-O0, a few seconds) and runs check.sh against this checkout's
# baseline.  The baseline must describe the unchanged tree (case
# "unchanged" checks that first).
#
# Usage: tests/abi/selftest.sh [WORKDIR]   (default: a temporary directory)
# Appends "passed failed" to $BK_TEST_TALLY when set.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

passed=0
failed=0
tally_and_exit() {
    echo "abi_selftest: $passed passed, $failed failed"
    if [ -n "${BK_TEST_TALLY:-}" ]; then
        echo "$passed $failed" >>"$BK_TEST_TALLY"
    fi
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && exit 0
    exit 1
}

if [ $# -ge 1 ]; then
    work=$1
    mkdir -p "$work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/bk-abi-selftest.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    trap 'exit 1' HUP INT TERM
fi

# The pristine copy every case starts from.
rm -rf "$work/pristine"
mkdir -p "$work/pristine"
(cd "$root" && tar --exclude=./.git --exclude='./build*' -cf - .) | tar -xf - -C "$work/pristine"

# edit FILE PATTERN REPLACEMENT: one regex substitution (Python re, multi-
# line) in a file of the case's tree; fails when the pattern is not found,
# so that a case never passes because its change silently did not apply.
edit() {
    /usr/bin/python3 - "$tree/$1" "$2" "$3" <<'PY'
import re, sys
path, pattern, repl = sys.argv[1:4]
text = open(path, encoding="utf-8").read()
new, n = re.subn(pattern, repl, text, count=1, flags=re.M)
if n != 1:
    sys.exit("selftest: pattern %r not found in %s" % (pattern, path))
open(path, "w", encoding="utf-8").write(new)
PY
}

# A new exported function: declared, defined, and listed in a node.
add_function() {
    edit include/booking.h '^(BK_API int bk_version_number\(void\);)' '\1
BK_API int bk_abi_selftest_probe(void);'
    printf '\nBK_API int bk_abi_selftest_probe(void) { return 1; }\n' >>"$tree/lib/api/db.c"
}

# case NAME EXPECT WHAT: EXPECT is "pass" or the text check.sh's FAIL line
# must hold; the change is made by the function case_NAME.
case_() {
    name=$1 expect=$2 what=$3
    tree=$work/$name
    rm -rf "$tree"
    cp -a "$work/pristine" "$tree"
    if ! "case_$name" >"$work/$name.edit.log" 2>&1; then
        failed=$((failed + 1))
        echo "FAIL: $name ($what): could not make the change:"
        sed 's/^/      /' "$work/$name.edit.log"
        return
    fi
    rc=0
    BK_TEST_TALLY='' sh "$here/check.sh" "$tree" "$tree/build-abi" >"$work/$name.log" 2>&1 || rc=$?
    if [ "$expect" = pass ]; then
        if [ "$rc" -eq 0 ]; then
            passed=$((passed + 1))
            echo "ok:   $name: $what: accepted"
            return
        fi
        echo "FAIL: $name: $what: check.sh should accept it but failed:"
    elif [ "$rc" -ne 0 ] && grep -q "^FAIL: .*$expect" "$work/$name.log" &&
         ! grep -q "could not build\|could not compare" "$work/$name.log"; then
        passed=$((passed + 1))
        echo "ok:   $name: $what: rejected ($(grep -m1 '^FAIL: ' "$work/$name.log" | cut -c7-))"
        return
    else
        echo "FAIL: $name: $what: check.sh should fail with '$expect' (exit $rc):"
    fi
    failed=$((failed + 1))
    sed 's/^/      /' "$work/$name.log"
}

case_unchanged() { :; }
case_added_function_new_node() {
    add_function
    edit lib/booking.sym '\Z' '
BOOKING_1.1 {
  global:
    bk_abi_selftest_probe;
} BOOKING_1.0;
'
}
case_added_function_released_node() {
    add_function
    edit lib/booking.sym '^(\s*global:)' '\1
    bk_abi_selftest_probe;'
}
case_removed_function() {
    edit lib/booking.sym '^\s*bk_version_number;\n' ''
}
case_changed_return_type() {
    edit include/booking.h '^BK_API int bk_version_number\(void\);' 'BK_API long bk_version_number(void);'
    edit lib/api/db.c '^BK_API int bk_version_number\(void\)' 'BK_API long bk_version_number(void)'
}
case_changed_member_type() {
    edit include/booking.h '^(\s*)int duration_minutes;' '\1long duration_minutes;'
}
case_inserted_member() {
    edit include/booking.h '^(typedef struct bk_provider \{\n\s*unsigned int version;[^\n]*\n)' '\1    int inserted;
'
}
case_appended_member_versioned() {
    edit include/booking.h '^(typedef struct bk_provider \{(?:\n[^}][^\n]*)*\n)(\} bk_provider;)' '\1    int appended;
\2'
}
case_appended_member_array_element() {
    edit include/booking.h '^(typedef struct bk_slot \{(?:\n[^}][^\n]*)*\n)(\} bk_slot;)' '\1    int appended;
\2'
}
case_changed_enum_value() {
    edit include/booking.h '^(\s*BK_BOOKING_CANCELLED) = 3' '\1 = 6'
}
case_changed_status_code() {
    edit include/booking.h '^(\s*BK_ESTALE) = -5' '\1 = -50'
}
case_changed_macro() {
    edit include/booking.h '^#define BK_ISO_SIZE 21' '#define BK_ISO_SIZE 25'
}
case_private_struct_changed() {
    edit lib/api/api.h '^(struct bk_db \{\n)' '\1    int selftest_private;
'
}

case_ unchanged pass "the tree as it is"
case_ added_function_new_node pass "a function added in a new node BOOKING_1.1"
case_ private_struct_changed pass "a member added to the private struct bk_db"
case_ appended_member_versioned pass "a member appended to the versioned struct bk_provider"
case_ added_function_released_node "released version nodes" "a function added to the released node BOOKING_1.0"
case_ removed_function "abidiff: incompatible" "bk_version_number no longer exported"
case_ changed_return_type "abidiff: a released" "bk_version_number returns long"
case_ changed_member_type "growable structs changed" "bk_service.duration_minutes becomes long"
case_ inserted_member "abidiff: a released" "a member inserted into bk_provider after version"
case_ appended_member_array_element "abidiff: a released" "a member appended to bk_slot (array element, no version)"
case_ changed_enum_value "abidiff: a released" "BK_BOOKING_CANCELLED = 6"
case_ changed_status_code "released constants" "BK_ESTALE = -50"
case_ changed_macro "released constants" "BK_ISO_SIZE 25"

tally_and_exit
