#!/bin/sh
# bkctl on a store, end to end: test_bkctl_db.sh BKCTL memory|pg
#
#   memory  what one process can do on `--db memory:` (a store that ends
#           with the process): migrate, create, list, not found, and the
#           command line itself -- usage, bad values, exit statuses, --json
#           errors.  Runs everywhere, also under valgrind.
#   pg      the whole story against PostgreSQL, one bkctl process per step:
#           migrate; create and list providers, services, rules, overrides,
#           blocked periods; slots; book (0), the same slot again (3), bad
#           input (2); reschedule; cancel with a wrong version (1,
#           BK_ESTALE) and the right one (0); the lifecycle moves; then 8
#           concurrent `bkctl book` on one slot: exactly one exits 0, seven
#           exit 3.  The database: $BK_TEST_URI (tests/pg/with-fresh-db.sh
#           gives a fresh one, used in its default schema), else
#           $BK_TEST_PG_URI (a developer's server: a schema of its own,
#           dropped at the end).  Neither: skipped (77), or failed with
#           CI=true.
#
# Prints "N passed, N failed" and appends "N N" to $BK_TEST_TALLY when set.
#
# Memory mode runs only shell built-ins, cat, mktemp and rm besides bkctl:
# under `meson test --setup valgrind` every other child is traced too, and
# valgrind skips exactly those tools.  JSON is read with python3 where it is
# not under valgrind (pg mode never is: suite 'pg').

set -u

BKCTL=${1:?usage: test_bkctl_db.sh BKCTL memory|pg}
MODE=${2:?usage: test_bkctl_db.sh BKCTL memory|pg}

pass=0
fail=0

tally() {
    if [ -n "${BK_TEST_TALLY:-}" ]; then
        echo "$pass $fail" >>"$BK_TEST_TALLY"
    fi
}

case $MODE in
memory) ;;
pg)
    URI=${BK_TEST_URI:-${BK_TEST_PG_URI:-}}
    if [ -z "$URI" ]; then
        if [ "${CI:-}" = "true" ]; then
            echo "test_bkctl_db.sh: FAIL: BK_TEST_PG_URI is not set and CI=true: tests/run-all.sh must provide a server" >&2
            fail=1
            tally
            exit 1
        fi
        echo "test_bkctl_db.sh: SKIP: BK_TEST_PG_URI is not set (tests/run-all.sh starts a throwaway server; or point it at one)"
        exit 77
    fi
    ;;
*)
    echo "usage: test_bkctl_db.sh BKCTL memory|pg" >&2
    exit 2
    ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bkctl_db_test.XXXXXX") || exit 1
# No EXIT trap: dash leaks the trap's string when it runs it at exit, and
# under valgrind that leak alone fails the test.  Cleanup is explicit.
trap 'rm -rf "$tmp"; exit 130' INT TERM

ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    printf 'FAIL: %s\n' "$*" >&2
}

# bk ARGS...: runs bkctl on the store under test; sets rc, out, err.
bk() {
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
        return 1
    fi
    case $out in *"$in_out"*) ;; *)
        bad "$what: no \"$in_out\" in stdout: $out"
        return 1 ;;
    esac
    case $err in *"$in_err"*) ;; *)
        bad "$what: no \"$in_err\" in stderr: $err"
        return 1 ;;
    esac
    ok
}

# is_id TEXT: a lower-case UUID, as bkctl prints a created record's id.
is_id() {
    case $1 in
    ????????-????-????-????-????????????) ;;
    *) return 1 ;;
    esac
    case $1 in *[!0-9a-f-]*) return 1 ;; esac
    return 0
}

# expect_id WHAT: the command exited 0 and printed an id alone.
expect_id() {
    if [ "$rc" -eq 0 ] && is_id "$out"; then
        ok
    else
        bad "$1: exit $rc, expected 0 and an id; stdout: $out; stderr: $err"
    fi
}

PY=
if [ -z "${BK_UNDER_VALGRIND:-}" ]; then
    if [ -x /usr/bin/python3 ]; then
        PY=/usr/bin/python3
    elif command -v python3 >/dev/null 2>&1; then
        PY=python3
    fi
fi
[ -n "$PY" ] || echo "note: JSON checks with python3 skipped (valgrind or no python3)"

# jcheck WHAT EXPR: stdout ($tmp/out) is one JSON document d, and the
# Python expression EXPR holds for it.
jcheck() {
    [ -n "$PY" ] || return 0
    if jres=$("$PY" -c '
import json, sys
text = open(sys.argv[1]).read()
d = json.loads(text)
assert text.count("\n") == 1 and text.endswith("\n"), "not one line"
r = eval(sys.argv[2])
print("yes" if r else "no: %s" % text.strip())' "$tmp/out" "$2" 2>&1) && [ "$jres" = yes ]; then
        ok
    else
        bad "$1: JSON check ($2) failed: $jres"
    fi
}

# jget EXPR: prints EXPR of stdout's JSON document d.
jget() {
    "$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$tmp/out" "$1"
}

# ===========================================================================
# memory: one process, and the command line
# ===========================================================================

memory_tests() {
    M=memory:
    NIL=00000000-0000-0000-0000-000000000000

    bk --db $M migrate
    expect "migrate memory:" 0 "memory store"
    bk --db $M --json migrate
    expect "migrate --json" 0 '"migrated": true'
    jcheck "migrate --json" 'd["migrated"] is True and d["backend"] == "memory"'

    bk --db $M provider-create --username ana --email ana@example.com --full-name "Ana Lima" --timezone Europe/Lisbon
    expect_id "provider-create on memory:"
    bk --db $M --json provider-create --username ana --email ana@example.com --full-name "Ana Lima" \
        --timezone Europe/Lisbon --business-name "Ana's" --description "two
lines" --avatar-url https://example.com/a.png
    expect "provider-create --json" 0 '"username": "ana"'
    jcheck "provider-create --json has every field" \
        'sorted(d) == sorted(["id", "username", "email", "full_name", "timezone", "business_name", "description", "avatar_url", "created_at", "updated_at"]) and d["description"] == "two\nlines"'
    bk --db=$M provider-list
    expect "provider-list on an empty store" 0
    [ -z "$out" ] && ok || bad "provider-list on an empty store printed: $out"
    bk --db $M --json provider-list
    expect "provider-list --json on an empty store" 0 "[]"
    BKCTL_DB=$M "$BKCTL" provider-list >"$tmp/out" 2>"$tmp/err"
    rc=$? out=$(cat "$tmp/out") err=$(cat "$tmp/err")
    expect "BKCTL_DB names the store" 0

    # Not found is 1, with the code in the --json error.
    bk --db $M provider-get $NIL
    expect "provider-get of a missing id" 1 "" "bkctl: not found"
    bk --db $M --json booking-get $NIL
    expect "booking-get --json of a missing id" 1 '"error": "BK_ENOTFOUND"'
    jcheck "the --json error" 'd["error"] == "BK_ENOTFOUND" and d["status"] == -2 and d["message"]'
    bk --db $M slots --provider $NIL --service $NIL --from 2026-01-05T00:00:00Z --to 2026-01-06T00:00:00Z
    expect "slots of a missing provider" 1 "" "not found"
    bk --db $M cancel $NIL --version 1
    expect "cancel a missing booking" 1 "" "not found"
    bk --db $M provider-delete $NIL
    expect "provider-delete a missing id" 1 "" "not found"
    bk --db $M provider-restore $NIL
    expect "provider-restore a missing id" 1 "" "not found"

    # The data-rights and retention commands' own checks.
    bk --db $M booking-list --provider $NIL --status bogus
    expect "booking-list --status bogus" 2 "" "--status"
    bk --db $M archive --before 2026-01-01T00:00:00Z --batch 0
    expect "archive --batch 0" 2 "" "--batch"
    bk --db $M archive
    expect "archive without --before" 2 "" "--before"
    bk --db $M customer-export --email not-an-address
    expect "customer-export of a bad address" 2 "" "customer_email"
    bk --db $M --json customer-erase --email nobody@example.com
    expect "customer-erase of an unknown customer" 0 '"erased": 0'
    bk --db $M anonymise --before 2026-01-01T00:00:00Z
    expect "anonymise an empty store" 0 "anonymised 0"
    bk --db $M provider-purge --before 2026-01-01
    expect "provider-purge --before a date" 2 "" "--before"

    # Refused by the library as invalid: 2, its message names the field.
    bk --db $M provider-create --username bob --email bob@example.com --full-name Bob --timezone Europe/Berlim
    expect "unknown zone" 2 "" "timezone"
    bk --db $M provider-create --username bob --email not-an-address --full-name Bob --timezone UTC
    expect "bad email" 2 "" "email"
    bk --db $M --json provider-create --username "" --email bob@example.com --full-name Bob --timezone UTC
    expect "empty username --json" 2 '"error": "BK_EINVAL"' "username"

    # The command line: 2 before any store is opened.
    bk --db $M
    expect "no command" 2 "" "usage"
    bk --db $M frobnicate
    expect "unknown command" 2 "" "unknown command"
    bk --db $M provider-create --username bob
    expect "missing options" 2 "" "needs --email"
    bk --db $M provider-list --colour red
    expect "unknown option" 2 "" "no option '--colour'"
    bk --db $M provider-get
    expect "missing ID" 2 "" "needs ID"
    bk --db $M provider-get $NIL $NIL
    expect "two IDs" 2 "" "unexpected argument"
    bk --db $M provider-list extra
    expect "argument to a command without one" 2 "" "unexpected argument"
    bk --db $M provider-get not-a-uuid
    expect "malformed ID" 2 "" "expected an id"
    bk --db $M service-list --provider 1234
    expect "malformed --provider" 2 "" "--provider"
    bk --db $M slots --provider $NIL --service $NIL --from 2026-01-05 --to 2026-01-06T00:00:00Z
    expect "malformed instant" 2 "" "--from"
    bk --db $M slots --provider $NIL --service $NIL --from 2026-01-05T00:00:00Z --to 2026-01-06T00:00:00Z --to 2026-01-07T00:00:00Z
    expect "option given twice" 2 "" "given twice"
    bk --db $M rule-add --provider $NIL --weekday 7 --start 09:00 --end 17:00
    expect "weekday 7" 2 "" "--weekday"
    bk --db $M rule-add --provider $NIL --weekday mon --start 9:00 --end 17:00
    expect "time of day without two digits" 2 "" "--start"
    bk --db $M rule-add --provider $NIL --weekday mon --start 09:00 --end 24:30
    expect "time of day past 24:00" 2 "" "--end"
    bk --db $M rule-add --provider $NIL --weekday mon --start 09:00 --end 17:00 --unavailable=yes
    expect "value for a flag" 2 "" "takes no value"
    bk --db $M override-set --provider $NIL --date 2026-1-5
    expect "malformed date" 2 "" "--date"
    bk --db $M override-set --provider $NIL --date 2026-01-05 --interval 09:00
    expect "malformed interval" 2 "" "--interval"
    bk --db $M service-create --provider $NIL --name X --duration 30min
    expect "malformed number" 2 "" "--duration"
    bk --db $M service-create --provider $NIL --name X --duration 99999999999
    expect "number out of range" 2 "" "--duration"
    bk --db $M cancel $NIL --version 0
    expect "version 0" 2 "" "--version"
    bk --db $M cancel $NIL --version
    expect "option without its value" 2 "" "needs a value"
    bk --db $M --json cancel $NIL --version -3
    expect "usage error --json" 2 '"error": "BK_EINVAL"' "--version"
    jcheck "usage error --json" 'd["error"] == "BK_EINVAL" and "--version" in d["message"]'
    bk provider-list --json --colour
    expect "--json after the error" 2 '"BK_EINVAL"'
    (unset BKCTL_DB; "$BKCTL" provider-list >"$tmp/out" 2>"$tmp/err"; echo $? >"$tmp/rc")
    rc=$(cat "$tmp/rc") out=$(cat "$tmp/out") err=$(cat "$tmp/err")
    expect "no --db and no BKCTL_DB" 2 "" "no store"
    bk --db nosuch: provider-list
    expect "a URI no backend takes" 2 "" "uri"
    bk --db $M --json scenario "$tmp/x.json"
    expect "scenario takes no --db" 2 "" "scenario file"
    bk --db $M --db $M provider-list
    expect "--db twice" 2 "" "--db given twice"
    bk book --help
    expect "book --help" 0 "usage: bkctl" ""
    bk --help
    expect "--help lists the store commands" 0 "reschedule ID --version N"
    bk --db $M -- provider-list
    expect "-- before the command" 2 "" "unknown command"

    if [ -w /dev/full ]; then
        "$BKCTL" --db $M provider-list --json >/dev/full 2>"$tmp/err"
        rc=$?
        if [ "$rc" -eq 1 ]; then ok; else bad "write error (/dev/full): exit $rc, expected 1"; fi
    fi
}

# ===========================================================================
# pg: the story, one process per step
# ===========================================================================

# bkq ARGS...: bk on the store under test.
bkq() {
    bk --db "$URI" $SCHEMA_OPT "$@"
}

pg_tests() {
    if [ -z "$PY" ]; then
        bad "pg mode needs python3 to read bkctl's JSON"
        return
    fi
    SCHEMA_OPT=
    if [ -z "${BK_TEST_URI:-}" ]; then
        # A developer's database: a schema of our own.
        SCHEMA_OPT="--schema bkctl_test_$$"
    fi
    NOW=2026-01-01T00:00:00Z
    DAY=2026-01-05 # a Monday; Europe/Lisbon is UTC+0 in January

    bkq provider-list
    expect "before migrate: the tables are missing" 1 "" "bkctl migrate"
    bkq migrate
    expect "migrate" 0 "ready"
    bkq --json migrate
    expect "migrate again (nothing to do)" 0 '"migrated": true'
    jcheck "migrate --json" 'd["backend"] == "postgresql"'

    # ---- providers
    bkq provider-create --username ana --email ana@example.com --full-name "Ana Lima" --timezone Europe/Lisbon \
        --business-name "Ana's Salon"
    expect_id "provider-create"
    P=$out
    bkq --json provider-create --username ANA --email other@example.com --full-name "Ana" --timezone UTC
    expect "username taken: a conflict" 3 '"error": "BK_EEXISTS"' "already exists"
    bkq --json provider-list
    expect "provider-list --json" 0 "$P"
    jcheck "provider-list --json" 'len(d) == 1 and d[0]["id"] == "'"$P"'" and d[0]["business_name"] == "Ana'"'"'s Salon"'
    bkq provider-list
    expect "provider-list" 0 "$P	ana	ana@example.com	Europe/Lisbon	Ana Lima"
    bkq provider-get "$P"
    expect "provider-get" 0 "username: ana"

    # ---- services
    bkq service-create --provider "$P" --name Haircut --duration 30 --price-minor 2500 --currency EUR
    expect_id "service-create"
    S=$out
    bkq --json service-create --provider "$P" --name Colour --duration 90 --buffer-before 5 --buffer-after 10 \
        --step 15 --notice 60 --horizon-days 90 --display-order 2 --requires-confirmation
    expect "service-create --json" 0 '"name": "Colour"'
    jcheck "service-create --json" 'd["duration_minutes"] == 90 and d["buffer_before_minutes"] == 5 and d["buffer_after_minutes"] == 10 and d["slot_step_minutes"] == 15 and d["min_notice_minutes"] == 60 and d["horizon_days"] == 90 and d["requires_confirmation"] is True and d["active"] is True and d["provider"] == "'"$P"'"'
    SC=$(jget 'd["id"]')
    bkq service-create --provider "$P" --name Bad --duration 0
    expect "duration 0: refused by the library" 2 "" "duration"
    bkq --json service-list --provider "$P"
    expect "service-list --json" 0 "$S"
    jcheck "service-list --json" '[s["name"] for s in d] == ["Haircut", "Colour"]'
    bkq service-list --provider "$P"
    expect "service-list" 0 "$S	Haircut	30 min	2500 EUR	active"

    # ---- weekly rules: Monday to Friday 09-17, Monday's lunch cut out
    for wd in 1 tue 3 Thursday fri; do
        bkq rule-add --provider "$P" --weekday "$wd" --start 09:00 --end 17:00
        expect_id "rule-add weekday $wd"
    done
    bkq --json rule-add --provider "$P" --weekday mon --start 12:00 --end 13:00 --unavailable
    expect "rule-add --unavailable --json" 0 '"is_available": false'
    bkq rule-add --provider "$P" --weekday sat --start 10:00 --end 12:00
    expect_id "rule-add saturday"
    SAT=$out
    bkq rule-add --provider "$P" --weekday sun --start 12:00 --end 10:00
    expect "rule ending before it starts" 2 "" "bkctl: invalid argument"
    bkq rule-delete "$SAT"
    expect "rule-delete" 0 "deleted $SAT"
    bkq rule-delete "$SAT"
    expect "rule-delete again" 1 "" "not found"
    bkq --json rule-list --provider "$P"
    expect "rule-list --json" 0
    jcheck "rule-list --json" 'len(d) == 6 and [(r["weekday"], r["start"], r["end"], r["is_available"]) for r in d][:2] == [(1, "09:00", "17:00", True), (1, "12:00", "13:00", False)]'
    bkq rule-list --provider "$P"
    expect "rule-list" 0 "mon	12:00-13:00	unavailable"

    # ---- overrides: Tuesday two intervals, Wednesday off, Thursday set and removed
    bkq override-set --provider "$P" --date 2026-01-06 --interval 10:00-12:00 --interval 14:00-16:00
    expect "override-set" 0 "2026-01-06	10:00-12:00,14:00-16:00"
    bkq --json override-set --provider "$P" --date 2026-01-07
    expect "override-set a day off" 0 '"intervals": []'
    bkq override-set --provider "$P" --date 2026-01-08 --interval 08:00-09:00
    expect "override-set thursday" 0 "2026-01-08"
    bkq override-delete --provider "$P" --date 2026-01-08
    expect "override-delete" 0 "deleted override"
    bkq override-set --provider "$P" --date 2026-02-30
    expect "override on 30 February" 2 "" "date"
    bkq --json override-list --provider "$P" --from 2026-01-01 --to 2026-01-31
    expect "override-list --json" 0
    jcheck "override-list --json" 'd == [{"provider": "'"$P"'", "date": "2026-01-06", "intervals": [["10:00", "12:00"], ["14:00", "16:00"]]}, {"provider": "'"$P"'", "date": "2026-01-07", "intervals": []}]'
    bkq override-list --provider "$P" --from 2026-01-01 --to 2026-01-31
    expect "override-list" 0 "2026-01-07	day off"

    # ---- blocked periods: Monday 15-16 once; a daily one, then deleted
    bkq blocked-add --provider "$P" --start ${DAY}T15:00:00Z --end ${DAY}T16:00:00Z --reason dentist
    expect_id "blocked-add"
    bkq --json blocked-add --provider "$P" --start ${DAY}T09:00:00Z --end ${DAY}T09:30:00Z \
        --rrule "FREQ=DAILY;COUNT=3" --reason standup
    expect "blocked-add recurring --json" 0 '"rrule": "FREQ=DAILY;COUNT=3"'
    BR=$(jget 'd["id"]')
    bkq blocked-add --provider "$P" --start ${DAY}T09:00:00Z --end ${DAY}T09:30:00Z --rrule "FREQ=FORTNIGHTLY"
    expect "blocked-add bad rule" 2 "" "FREQ"
    bkq --json blocked-list --provider "$P" --from ${DAY}T00:00:00Z --to 2026-01-12T00:00:00Z
    expect "blocked-list --json" 0
    jcheck "blocked-list --json" 'len(d) == 2 and sorted(b["reason"] for b in d) == ["dentist", "standup"]'
    bkq blocked-delete "$BR"
    expect "blocked-delete" 0 "deleted $BR"
    bkq blocked-list --provider "$P" --from ${DAY}T00:00:00Z --to 2026-01-12T00:00:00Z
    expect "blocked-list" 0 "${DAY}T15:00:00Z	${DAY}T16:00:00Z	-	dentist"

    # ---- slots: Monday 09-12, 13-15, 16-17 in 30 minutes
    bkq --json slots --provider "$P" --service "$S" --from ${DAY}T00:00:00Z --to 2026-01-06T00:00:00Z --now $NOW
    expect "slots --json" 0 '["2026-01-05T09:00:00Z", "2026-01-05T09:30:00Z"]'
    jcheck "slots --json" 'len(d) == 12 and d[5] == ["2026-01-05T11:30:00Z", "2026-01-05T12:00:00Z"] and d[6][0] == "2026-01-05T13:00:00Z" and d[10][0] == "2026-01-05T16:00:00Z"'
    bkq slots --provider "$P" --service "$S" --from 2026-01-06T00:00:00Z --to 2026-01-08T00:00:00Z --now $NOW
    expect "slots on the override dates" 0 "2026-01-06T14:00:00Z	2026-01-06T14:30:00Z"
    n=0
    while IFS= read -r line; do n=$((n + 1)); done <"$tmp/out"
    [ "$n" -eq 8 ] && ok || bad "slots on the override dates: $n lines, expected 8 (Tuesday 4 + 4, Wednesday off)"
    bkq slots --provider "$P" --service "$S" --from 2026-01-06T00:00:00Z --to 2026-01-05T00:00:00Z --now $NOW
    expect "slots with to before from" 2 "" "bkctl: invalid argument"

    # ---- book
    bkq --json book --provider "$P" --service "$S" --start ${DAY}T09:00:00Z --name "Carla Dias" \
        --email carla@example.com --phone "+351 555" --customer-timezone Europe/Lisbon --notes "first visit" --now $NOW
    expect "book" 0 '"status": "confirmed"'
    jcheck "book --json" 'd["lock_version"] == 1 and d["start"] == "2026-01-05T09:00:00Z" and d["end"] == "2026-01-05T09:30:00Z" and d["customer_phone"] == "+351 555" and d["cancelled_at"] is None and len(d) == 20'
    B1=$(jget 'd["id"]')
    bkq --json book --provider "$P" --service "$S" --start ${DAY}T09:00:00Z --name "Dan" --email dan@example.com --now $NOW
    expect "book the same slot again" 3 '"error": "BK_ECONFLICT"' "bkctl: conflicts with an existing booking"
    bkq --json book --provider "$P" --service "$S" --start ${DAY}T15:00:00Z --name "Dan" --email dan@example.com --now $NOW
    expect "book a blocked slot" 1 '"error": "BK_EUNAVAILABLE"'
    bkq book --provider "$P" --service "$S" --start ${DAY}T09:00 --name "Dan" --email dan@example.com
    expect "book with a malformed start" 2 "" "--start"
    bkq book --provider "$P" --service "$S" --start ${DAY}T10:00:00Z --name "Dan" --email dan --now $NOW
    expect "book with a bad email" 2 "" "email"
    bkq book --provider "$P" --service "$S" --start ${DAY}T10:00:00Z --name "Dan" --email dan@example.com \
        --idempotency-key order-42 --now $NOW
    expect "book with an idempotency key" 0 "idempotency_key: order-42"
    B2=$(while IFS= read -r line; do case $line in "id: "*) echo "${line#id: }" ;; esac; done <"$tmp/out")
    bkq book --provider "$P" --service "$S" --start ${DAY}T10:00:00Z --name "Dan" --email dan@example.com \
        --idempotency-key order-42 --now $NOW
    expect "the same key again: the same booking" 0 "id: $B2"
    bkq booking-get "$B2"
    expect "booking-get" 0 "customer_name: Dan"
    bkq slots --provider "$P" --service "$S" --from ${DAY}T09:00:00Z --to ${DAY}T11:00:00Z --now $NOW
    expect "slots without the booked ones" 0 "${DAY}T09:30:00Z	${DAY}T10:00:00Z
${DAY}T10:30:00Z	${DAY}T11:00:00Z"

    # ---- reschedule, cancel
    bkq reschedule "$B1" --version 1 --start ${DAY}T10:00:00Z --now $NOW
    expect "reschedule onto a booking" 3 "" "conflicts"
    bkq --json reschedule "$B1" --version 1 --start ${DAY}T11:00:00Z --now $NOW
    expect "reschedule" 0 '"start": "2026-01-05T11:00:00Z"'
    jcheck "reschedule --json" 'd["lock_version"] == 2 and d["id"] == "'"$B1"'" and d["status"] == "confirmed"'
    bkq --json reschedule "$B1" --version 1 --start ${DAY}T11:30:00Z --now $NOW
    expect "reschedule with an old version" 1 '"error": "BK_ESTALE"'
    bkq --json cancel "$B1" --version 1
    expect "cancel with a wrong version" 1 '"error": "BK_ESTALE"' "stale version"
    bkq --json cancel "$B1" --version 2 --reason "called in sick"
    expect "cancel" 0 '"status": "cancelled"'
    jcheck "cancel --json" 'd["lock_version"] == 3 and d["cancellation_reason"] == "called in sick" and d["cancelled_at"]'
    bkq --json cancel "$B1" --version 3
    expect "cancel a cancelled booking" 1 '"error": "BK_ESTATE"'
    bkq --json booking-list --provider "$P"
    expect "booking-list: live ones" 0
    jcheck "booking-list --json" '[b["id"] for b in d] == ["'"$B2"'"]'
    bkq --json booking-list --provider "$P" --include-cancelled --from ${DAY}T00:00:00Z --to 2026-01-06T00:00:00Z
    expect "booking-list --include-cancelled" 0
    jcheck "booking-list --include-cancelled" 'sorted(b["status"] for b in d) == ["cancelled", "confirmed"]'
    bkq booking-list --provider "$P" --include-cancelled
    expect "booking-list" 0 "$B1	${DAY}T11:00:00Z	${DAY}T11:30:00Z	cancelled	3	Carla Dias <carla@example.com>"

    # ---- the lifecycle: pending -> confirmed -> completed; a no-show
    bkq --json book --provider "$P" --service "$SC" --start 2026-01-08T10:00:00Z --name Eva --email eva@example.com --now $NOW
    expect "book a service that needs confirmation" 0 '"status": "pending"'
    B3=$(jget 'd["id"]')
    bkq complete "$B3" --version 1
    expect "complete a pending booking" 1 "" "bkctl: not allowed"
    bkq confirm "$B3" --version 1
    expect "confirm" 0 "status: confirmed"
    bkq complete "$B3" --version 2
    expect "complete" 0 "status: completed"
    bkq --json book --provider "$P" --service "$SC" --start 2026-01-09T10:00:00Z --name Fay --email fay@example.com --now $NOW
    expect "book another" 0 '"status": "pending"'
    B4=$(jget 'd["id"]')
    bkq confirm "$B4" --version 1
    expect "confirm another" 0 "lock_version: 2"
    bkq --json no-show "$B4" --version 2
    expect "no-show" 0 '"status": "no_show"'
    bkq --json service-deactivate "$SC"
    expect "service-deactivate" 0 '"active": false'
    bkq slots --provider "$P" --service "$SC" --from ${DAY}T00:00:00Z --to 2026-01-06T00:00:00Z --now $NOW
    expect "slots of an inactive service" 2 "" "inactive"

    # ---- another schema, and the store named by BKCTL_DB
    other=bkctl_other_$$
    bk --db "$URI" --schema $other migrate
    expect "migrate another schema" 0 "schema $other: ready"
    bk --db "$URI" --schema $other --json provider-list
    expect "another schema is empty" 0 "[]"
    BKCTL_DB=$URI "$BKCTL" $SCHEMA_OPT provider-list >"$tmp/out" 2>"$tmp/err"
    rc=$? out=$(cat "$tmp/out") err=$(cat "$tmp/err")
    expect "BKCTL_DB" 0 "$P	ana"
    bk --db "$URI" --schema "Bad-Name" provider-list
    expect "malformed schema name" 2 "" "schema"

    # ---- 8 concurrent bookings of one slot: one wins, seven conflict
    bkq provider-create --username race --email race@example.com --full-name "Race" --timezone UTC
    expect_id "provider-create for the race"
    PR=$out
    bkq service-create --provider "$PR" --name Hour --duration 60
    expect_id "service-create for the race"
    SR=$out
    bkq rule-add --provider "$PR" --weekday mon --start 09:00 --end 17:00
    expect_id "rule-add for the race"
    i=1
    while [ $i -le 8 ]; do
        (
            "$BKCTL" --db "$URI" $SCHEMA_OPT book --provider "$PR" --service "$SR" --start ${DAY}T10:00:00Z \
                --name "Racer $i" --email "racer$i@example.com" --now $NOW >"$tmp/race.out.$i" 2>"$tmp/race.err.$i"
            echo $? >"$tmp/race.rc.$i"
        ) &
        i=$((i + 1))
    done
    wait
    wins=0 conflicts=0 others=
    i=1
    while [ $i -le 8 ]; do
        r=$(cat "$tmp/race.rc.$i" 2>/dev/null)
        case $r in
        0) wins=$((wins + 1)) ;;
        3) conflicts=$((conflicts + 1)) ;;
        *) others="$others [racer $i: exit ${r:-none}: $(cat "$tmp/race.err.$i" 2>/dev/null)]" ;;
        esac
        i=$((i + 1))
    done
    if [ "$wins" -eq 1 ] && [ "$conflicts" -eq 7 ]; then
        ok
    else
        bad "8 concurrent books: $wins exited 0 and $conflicts exited 3, expected 1 and 7$others"
    fi
    bkq --json booking-list --provider "$PR"
    expect "the race left one booking" 0 "Racer"
    jcheck "the race left one booking" 'len(d) == 1 and d[0]["start"] == "2026-01-05T10:00:00Z"'

    # ---- customer data: list filters, export, erase; archive, retention
    if [ -n "$PY" ]; then
        rid=$(echo "$out" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
        remail=$(echo "$out" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["customer_email"])')
        upper=$(echo "$remail" | tr 'a-z' 'A-Z')
        capital=$(echo "$remail" | sed 's/^r/R/')
        bkq --json booking-list --provider "$PR" --status confirmed --status pending --customer-email "$upper"
        expect "booking-list by status and customer email" 0
        jcheck "booking-list by status and customer email" 'len(d) == 1'
        bkq --json booking-list --provider "$PR" --status cancelled
        jcheck "booking-list --status cancelled" 'len(d) == 0'
        bkq customer-export --email "$capital"
        expect "customer-export" 0 '"format": "libbooking.customer-export"'
        bkq --json customer-export --email "$capital"
        jcheck "customer-export" "len(d['bookings']) == 1 and d['bookings'][0]['id'] == '$rid'"
        bkq cancel "$rid" --version 1 --reason "test"
        expect "cancel the raced booking" 0 "cancelled"
        bkq --json archive --before 2030-01-01T00:00:00Z --batch 1
        expect "archive" 0 '"archived"'
        jcheck "archive (the earlier steps' final bookings too)" 'd["archived"] >= 1'
        bkq --json booking-list --provider "$PR" --include-cancelled
        jcheck "an archived booking is still listed" 'len(d) == 1 and d[0]["status"] == "cancelled"'
        bkq customer-erase --email "$remail"
        expect "customer-erase" 0 "erased 1"
        bkq --json customer-export --email "$remail"
        jcheck "nothing left to export" 'len(d["bookings"]) == 0'
        bkq anonymise --before 2030-01-01T00:00:00Z
        expect "anonymise" 0 "anonymised"
        bkq anonymise --before 2030-01-01T00:00:00Z
        expect "anonymise again: nothing left" 0 "anonymised 0"
    fi

    # ---- soft-delete a provider: gone from lists and slot queries
    bkq provider-delete "$PR"
    expect "provider-delete" 0 "deleted $PR"
    bkq --json provider-list
    expect "provider-list after a soft delete" 0
    jcheck "provider-list after a soft delete" "all(p['id'] != '$PR' for p in d)"
    bkq slots --provider "$PR" --service "$SR" --from 2026-01-05T00:00:00Z --to 2026-01-06T00:00:00Z
    expect "slots of a deleted provider" 1 "" "not found"
    bkq provider-restore "$PR"
    expect "provider-restore" 0 "restored $PR"
    bkq provider-delete "$PR"
    bkq provider-purge --before 2199-12-31T00:00:00Z
    expect "provider-purge" 0 "purged 1"
    bkq provider-get "$PR"
    expect "provider-get after a purge" 1 "" "not found"

    # A developer's database: take our schemas away again.
    if [ -n "$SCHEMA_OPT" ] && command -v psql >/dev/null 2>&1; then
        psql "$URI" -qAtX -c "DROP SCHEMA IF EXISTS bkctl_test_$$ CASCADE" -c "DROP SCHEMA IF EXISTS $other CASCADE" \
            >/dev/null 2>&1 || echo "note: could not drop schemas bkctl_test_$$ and $other"
    fi
}

case $MODE in
memory) memory_tests ;;
pg) pg_tests ;;
esac

echo "$pass passed, $fail failed"
tally
rm -rf "$tmp"
[ "$fail" -eq 0 ]
