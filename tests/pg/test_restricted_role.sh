#!/usr/bin/env bash
# Least privilege (issue 4 part 7): the booking path runs as a role with no
# DDL rights, granted exactly what README "Least privilege" shows.
#
#   test_restricted_role.sh BKCTL TEST_API  (under tests/pg/with-fresh-db.sh)
#
# The server's own role migrates the fresh database (bkctl migrate); the
# README's grant block, read from the README itself so that the two cannot
# drift apart, gives a new login role what the library needs at run time;
# then the conformance suite (tests/test_api.c) runs as that role, and the
# role is shown unable to create or alter anything.
set -uo pipefail
bkctl=$1
test_api=$2
readme="$(dirname "${BASH_SOURCE[0]}")/../../README.md"
role=booking_app

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok:   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
finish() {
    echo "restricted_role: $passed passed, $failed failed"
    [ -n "${BK_TEST_TALLY:-}" ] && echo "$passed $failed" >>"$BK_TEST_TALLY"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
    exit $?
}

psql=psql
for d in ${BK_TEST_PG_BIN:-} /usr/lib/postgresql/*/bin; do
    [ -x "$d/psql" ] && psql=$d/psql
done
owner() { "$psql" "$BK_TEST_PG_URI" -v ON_ERROR_STOP=1 -qAtX "$@"; }

# The database's URI with the user replaced by the restricted role.
app_uri=$(python3 - "$BK_TEST_PG_URI" "$role" <<'PY'
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
host = u.netloc.rsplit("@", 1)[-1]
print(urllib.parse.urlunsplit((u.scheme, sys.argv[2] + "@" + host, u.path, u.query, u.fragment)))
PY
)
as_app() { "$psql" "$app_uri" -v ON_ERROR_STOP=1 -qAtX "$@"; }

if "$bkctl" --db "$BK_TEST_PG_URI" migrate >/dev/null; then ok "migrated as the owner"; else fail "bkctl migrate as the owner"; finish; fi

grants=$(sed -n '/<!-- runtime-grants -->/,/<!-- \/runtime-grants -->/p' "$readme" | sed '/^<!--/d; /^```/d')
if [ -n "$grants" ]; then ok "README's grant block found"; else fail "no <!-- runtime-grants --> block in README.md"; finish; fi
owner -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN CREATE ROLE $role LOGIN; END IF; END \$\$" ||
    fail "could not create role $role"
if owner -c "$grants" >/dev/null; then ok "README's grants applied"; else fail "README's grants failed"; fi

# The conformance suite, as the restricted role.
if BK_TEST_URI=$app_uri BK_TEST_SHARED_URI=$app_uri "$test_api"; then
    ok "conformance suite (test_api) passes as $role"
else
    fail "conformance suite (test_api) as $role"
fi

# No DDL: not in the library's schema, not through the library.
if as_app -c "CREATE TABLE public.bk_intruder (x int)" 2>/dev/null; then
    fail "$role could create a table"
else
    ok "$role cannot create tables"
fi
if as_app -c "ALTER TABLE public.bookings ADD COLUMN x int" 2>/dev/null; then
    fail "$role could alter bookings"
else
    ok "$role cannot alter the library's tables"
fi
if "$bkctl" --db "$app_uri" --schema bk_other migrate >/dev/null 2>&1; then
    fail "$role could migrate a new schema"
else
    ok "$role cannot create a schema through bkctl migrate"
fi

owner -c "DROP OWNED BY $role" -c "DROP ROLE $role" >/dev/null 2>&1 || true
finish
