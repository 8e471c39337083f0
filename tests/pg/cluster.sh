#!/usr/bin/env bash
# A throwaway PostgreSQL cluster with PgBouncer in front, for the test
# suites (tests/run-all.sh starts one unless $BK_TEST_PG_URI names a
# developer's server).
#
#   cluster.sh start          creates and starts a cluster in a new temp dir
#                             and prints `export VAR=...` lines to eval:
#       BK_TEST_PG_URI         postgresql://USER@127.0.0.1:PORT/booking_test
#       BK_TEST_PGBOUNCER_URI  the same database through PgBouncer
#                             (transaction pooling)
#       BK_TEST_PG_DATADIR     the data directory
#       BK_TEST_PG_CTL         a pg_ctl that runs as the cluster's owner and
#                             logs to the cluster's log file (for the fault
#                             test's `restart -m fast`)
#       BK_TEST_PG_CLUSTER     the temp dir (what `stop` removes)
#                             With $BK_TEST_PG_CLUSTER already naming a
#                             running cluster, prints its lines instead.
#   cluster.sh env [DIR]      prints those lines for a running cluster
#   cluster.sh stop [DIR]     stops both servers and removes DIR; a no-op
#                             when there is nothing to stop
#   cluster.sh restart [DIR]  pg_ctl restart -m fast
#
# DIR defaults to $BK_TEST_PG_CLUSTER.  The server: initdb -A trust as the
# user `postgres` when run as root (initdb refuses root), else as the current
# user; 127.0.0.1 on a free port plus a unix socket in DIR; fsync and
# synchronous_commit off, max_connections 200.  PgBouncer runs as the same
# user on another free port.  Binaries: $BK_TEST_PG_BIN, else the newest
# /usr/lib/postgresql/*/bin (Debian), else `pg_config --bindir`.
set -euo pipefail

die() { echo "cluster.sh: $*" >&2; exit 1; }

pg_bindir() {
    if [ -n "${BK_TEST_PG_BIN:-}" ]; then
        echo "$BK_TEST_PG_BIN"
        return
    fi
    local d best=""
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && best=$d
    done
    if [ -z "$best" ] && command -v pg_config >/dev/null 2>&1; then
        best=$(pg_config --bindir)
    fi
    [ -n "$best" ] && [ -x "$best/initdb" ] || die "no PostgreSQL server binaries (initdb) found; run tests/deps.sh"
    echo "$best"
}

# as_owner CMD...: runs CMD as the cluster's owner, in a directory it can read.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# A free TCP port on 127.0.0.1 (the kernel's choice; start retries if it is
# taken by the time the server binds it).
free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# wait_sql URI: until a query works (PgBouncer daemonizes before it listens).
wait_sql() {
    local uri=$1 i
    for i in $(seq 1 100); do
        if "$BIN/psql" "$uri" -qAtX -c 'SELECT 1' >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

is_ours() { [ -n "${1:-}" ] && [ -f "$1/.bk-test-cluster" ]; }

server_running() { as_owner "$BIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1; }

do_stop() {
    local dir=$1 pid i
    if [ -z "$dir" ] || [ ! -d "$dir" ]; then
        return 0
    fi
    is_ours "$dir" || die "refusing to remove $dir: not a cluster made by cluster.sh"
    if [ -f "$dir/pgbouncer.pid" ]; then
        pid=$(cat "$dir/pgbouncer.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -INT "$pid" 2>/dev/null || true
            for i in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then
        if ! as_owner "$BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1; then
            pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
            [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
        fi
    fi
    rm -rf "$dir"
}

print_env() {
    local dir=$1
    is_ours "$dir" && [ -f "$dir/env" ] || die "$dir: no cluster made by cluster.sh there"
    cat "$dir/env"
}

do_start() {
    local existing=${BK_TEST_PG_CLUSTER:-}
    if is_ours "$existing" && [ -f "$existing/env" ] && server_running "$existing"; then
        print_env "$existing"
        return 0
    fi

    local user base dir
    if [ "$(id -u)" -eq 0 ]; then
        getent passwd postgres >/dev/null || die "running as root and there is no user 'postgres' (install postgresql)"
        user=postgres
        base=/tmp # the owner must reach it: not root's $TMPDIR
    else
        user=$(id -un)
        base=${TMPDIR:-/tmp}
    fi
    dir=$(mktemp -d "$base/bk-pg.XXXXXX")
    # From here on a failure or an interrupt removes what was made.
    trap 'do_stop "$dir" >/dev/null 2>&1 || true' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP
    touch "$dir/.bk-test-cluster"
    chmod 0755 "$dir"
    [ "$user" = "$(id -un)" ] || chown "$user:" "$dir"

    as_owner "$BIN/initdb" -D "$dir/data" -A trust -U "$user" -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

    local port="" try started=0
    for try in 1 2 3 4 5; do
        port=$(free_port)
        cat >"$dir/data/conf.d.conf" <<EOF
# written by tests/pg/cluster.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
unix_socket_permissions = 0777
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 64MB
log_line_prefix = '%m [%p] %d '
EOF
        [ "$user" = "$(id -un)" ] || chown "$user:" "$dir/data/conf.d.conf"
        grep -q "^include_if_exists = 'conf.d.conf'" "$dir/data/postgresql.conf" ||
            echo "include_if_exists = 'conf.d.conf'" >>"$dir/data/postgresql.conf"
        if as_owner env -u MALLOC_PERTURB_ "$BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
            >/dev/null 2>&1; then
            started=1
            break
        fi
        as_owner "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    done
    if [ "$started" -ne 1 ]; then
        tail -n 30 "$dir/postgres.log" >&2 2>/dev/null || true
        die "the server did not start (5 tries)"
    fi

    local uri="postgresql://$user@127.0.0.1:$port/booking_test"
    "$BIN/createdb" -h 127.0.0.1 -p "$port" -U "$user" booking_test ||
        die "createdb booking_test failed"

    # PgBouncer, transaction pooling, every database of the server.
    command -v pgbouncer >/dev/null 2>&1 || die "pgbouncer not found; run tests/deps.sh"
    local bport bouncer_uri="" ok=0
    printf '"%s" ""\n' "$user" >"$dir/userlist.txt"
    for try in 1 2 3 4 5; do
        bport=$(free_port)
        cat >"$dir/pgbouncer.ini" <<EOF
;; written by tests/pg/cluster.sh
[databases]
* = host=$dir port=$port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bport
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = $user
pool_mode = transaction
max_client_conn = 400
default_pool_size = 20
server_reset_query =
ignore_startup_parameters = extra_float_digits,search_path
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
        [ "$user" = "$(id -un)" ] || chown "$user:" "$dir/pgbouncer.ini" "$dir/userlist.txt"
        rm -f "$dir/pgbouncer.pid"
        if as_owner pgbouncer -d -q "$dir/pgbouncer.ini" >>"$dir/pgbouncer.start.log" 2>&1; then
            bouncer_uri="postgresql://$user@127.0.0.1:$bport/booking_test"
            if wait_sql "$bouncer_uri"; then
                ok=1
                break
            fi
        fi
        [ -f "$dir/pgbouncer.pid" ] && kill -KILL "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
    done
    if [ "$ok" -ne 1 ]; then
        tail -n 30 "$dir/pgbouncer.log" "$dir/pgbouncer.start.log" >&2 2>/dev/null || true
        die "PgBouncer did not start (5 tries)"
    fi

    # pg_ctl for the fault test: as the owner, logging to the cluster's log
    # (a restarted server must not inherit the test's stdout and stderr),
    # and without meson's MALLOC_PERTURB_, which the restarted server would
    # otherwise inherit and pay for on every allocation for the rest of the
    # run.
    cat >"$dir/pg_ctl" <<EOF
#!/bin/sh
# written by tests/pg/cluster.sh: pg_ctl as the cluster's owner
cd /
if [ "\$(id -u)" -eq 0 ]; then
    exec runuser -u $user -- env -u MALLOC_PERTURB_ "$BIN/pg_ctl" -l "$dir/postgres.log" "\$@" </dev/null
fi
exec env -u MALLOC_PERTURB_ "$BIN/pg_ctl" -l "$dir/postgres.log" "\$@" </dev/null
EOF
    chmod 0755 "$dir/pg_ctl"

    cat >"$dir/env" <<EOF
export BK_TEST_PG_CLUSTER='$dir'
export BK_TEST_PG_URI='$uri'
export BK_TEST_PGBOUNCER_URI='$bouncer_uri'
export BK_TEST_PG_DATADIR='$dir/data'
export BK_TEST_PG_CTL='$dir/pg_ctl'
EOF
    trap - EXIT INT TERM HUP
    cat "$dir/env"
}

BIN=$(pg_bindir)
cmd=${1:-}
case "$cmd" in
    start)
        do_start
        ;;
    env)
        print_env "${2:-${BK_TEST_PG_CLUSTER:-}}"
        ;;
    stop)
        do_stop "${2:-${BK_TEST_PG_CLUSTER:-}}"
        ;;
    restart)
        dir=${2:-${BK_TEST_PG_CLUSTER:-}}
        is_ours "$dir" || die "restart: no cluster made by cluster.sh in '$dir'"
        "$dir/pg_ctl" -D "$dir/data" -m fast -w -t 60 restart >/dev/null
        ;;
    *)
        echo "usage: cluster.sh start | env [DIR] | stop [DIR] | restart [DIR]" >&2
        exit 2
        ;;
esac
