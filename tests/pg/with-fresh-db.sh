#!/usr/bin/env bash
# Runs a test against a fresh, empty PostgreSQL database:
#
#   with-fresh-db.sh direct|pgbouncer NAME -- CMD [ARGS...]
#
# Drops and creates database NAME on the server $BK_TEST_PG_URI names
# (tests/pg/cluster.sh's throwaway cluster, or a developer's server: the
# URI's role needs CREATEDB), then runs CMD with
#
#   BK_TEST_URI, BK_TEST_SHARED_URI   the new database, as the library opens
#                                     it: directly, or through PgBouncer
#                                     ($BK_TEST_PGBOUNCER_URI) with `pgbouncer`
#   BK_TEST_PG_URI                    the new database, always directly (for
#                                     checks through libpq)
#   BK_TEST_PG_SERVER_URI             the URI this script was given
#
# and drops the database again if CMD passed (a failed test's database is
# kept for a look, until the next run drops it).  CMD's exit status is this
# script's.
#
# No server configured: exit 77 (meson's "skipped") -- but with CI=true that
# is a failure (exit 1): the test command must provide the server.
set -uo pipefail

usage() { echo "usage: with-fresh-db.sh direct|pgbouncer NAME -- CMD [ARGS...]" >&2; exit 2; }
[ $# -ge 4 ] && [ "$3" = "--" ] || usage
mode=$1
name=$2
shift 3
case "$mode" in direct | pgbouncer) ;; *) usage ;; esac
[[ "$name" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || { echo "with-fresh-db.sh: bad database name '$name'" >&2; exit 2; }

# no_server WHAT: skip outside CI, fail in CI.
no_server() {
    if [ "${CI:-}" = "true" ]; then
        echo "with-fresh-db.sh: FAIL: $1 is not set and CI=true: tests/run-all.sh must provide a server" >&2
        exit 1
    fi
    echo "with-fresh-db.sh: SKIP: $1 is not set (tests/run-all.sh starts a throwaway server; or point $1 at one)"
    exit 77
}

server=${BK_TEST_PG_URI:-}
[ -n "$server" ] || no_server BK_TEST_PG_URI
bouncer=""
if [ "$mode" = pgbouncer ]; then
    bouncer=${BK_TEST_PGBOUNCER_URI:-}
    [ -n "$bouncer" ] || no_server BK_TEST_PGBOUNCER_URI
fi

psql=psql
for d in ${BK_TEST_PG_BIN:-} /usr/lib/postgresql/*/bin; do
    [ -x "$d/psql" ] && psql=$d/psql
done
command -v "$psql" >/dev/null 2>&1 || { echo "with-fresh-db.sh: psql not found (tests/deps.sh installs it)" >&2; exit 1; }

# with_db URI NAME: URI with its database replaced by NAME (a libpq URI or a
# key=value conninfo, where a later keyword overrides an earlier one).
with_db() {
    python3 - "$1" "$2" <<'EOF'
import sys, urllib.parse
uri, name = sys.argv[1], sys.argv[2]
if uri.startswith(("postgresql://", "postgres://")):
    u = urllib.parse.urlsplit(uri)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True) if k != "dbname"]
    print(urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, urllib.parse.urlencode(query), u.fragment)))
else:
    print(uri + " dbname=" + name)
EOF
}

admin() {
    "$psql" "$server" -v ON_ERROR_STOP=1 -qAtX "$@"
}

if ! admin -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" -c "CREATE DATABASE \"$name\""; then
    echo "with-fresh-db.sh: FAIL: could not create database $name on the server" >&2
    exit 1
fi

direct_uri=$(with_db "$server" "$name") || exit 1
lib_uri=$direct_uri
if [ "$mode" = pgbouncer ]; then
    lib_uri=$(with_db "$bouncer" "$name") || exit 1
fi

export BK_TEST_PG_SERVER_URI=$server
export BK_TEST_PG_URI=$direct_uri
export BK_TEST_URI=$lib_uri
export BK_TEST_SHARED_URI=$lib_uri

rc=0
"$@" || rc=$?

if [ "$rc" -eq 0 ]; then
    admin -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null 2>&1 || true
else
    echo "with-fresh-db.sh: $* exited $rc; database $name kept for a look" >&2
fi
exit "$rc"
