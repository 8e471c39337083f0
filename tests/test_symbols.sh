#!/bin/sh
# Guard test: the ABI of libbooking.so is exactly what is promised.
#
# Usage: test_symbols.sh LIBBOOKING_SO BOOKING_SYM INCLUDE_DIR
#
# Checks that
#   1. the library exports (nm -D --defined-only) only bk_* symbols, besides
#      the version-node entries (BOOKING_1.0, ...), and all are functions;
#   2. the exported functions are exactly the global: entries of booking.sym;
#   3. they are exactly the BK_API declarations of include/booking.h and
#      include/booking/sys/store.h;
#   4. every exported symbol carries, as its default version (@@), the node
#      of booking.sym that lists it;
#   5. the SONAME is libbooking.so.1;
#   6. the nodes of booking.sym form one chain: BOOKING_1.0 first, with no
#      parent, then BOOKING_1.1, BOOKING_1.2, ... each inheriting from the
#      one before ("BOOKING_1.1 { ... } BOOKING_1.0;"), so that the
#      functions a release adds get a node of their own (tests/abi/check.sh
#      checks that released nodes never change).
# Appends "passed failed" (counted in checks) to $BK_TEST_TALLY when set.
set -eu

if [ $# -ne 3 ]; then
    echo "usage: $0 LIBBOOKING_SO BOOKING_SYM INCLUDE_DIR" >&2
    exit 2
fi
lib=$1
symfile=$2
incdir=$3
EXPECTED_SONAME=libbooking.so.1

tally_and_exit() {
    echo "test_symbols: $passed passed, $failed failed"
    if [ -n "${BK_TEST_TALLY:-}" ]; then
        echo "$passed $failed" >>"$BK_TEST_TALLY"
    fi
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && exit 0
    exit 1
}

passed=0
failed=0
# words: joins lines into one line of words.
words() { tr '\n' ' ' | sed 's/ *$//'; }
ok() { passed=$((passed + 1)); echo "ok:   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }

for f in "$lib" "$symfile" "$incdir/booking.h" "$incdir/booking/sys/store.h"; do
    if [ ! -f "$f" ]; then
        fail "$f does not exist"
    fi
done
for tool in nm readelf; do
    if ! command -v $tool >/dev/null 2>&1; then
        fail "$tool not found (package binutils)"
    fi
done
[ "$failed" -eq 0 ] || tally_and_exit

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bk-symbols.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# show_diff A B LABEL_A LABEL_B: prints what only one side has.
show_diff() {
    comm -23 "$1" "$2" | sed "s/^/      only in $3: /"
    comm -13 "$1" "$2" | sed "s/^/      only in $4: /"
}

# --- what the library exports -------------------------------------------
# nm -D --defined-only: "ADDR TYPE NAME@@VERSION" or, for a version node,
# "ADDR A BOOKING_1.0".
LC_ALL=C nm -D --defined-only "$lib" >"$tmp/nm.raw"
awk 'NF >= 3 { print $2, $3 } NF == 2 { print $1, $2 }' "$tmp/nm.raw" >"$tmp/nm"
# version-node entries: absolute symbols named like a node
awk '$1 == "A" && $2 ~ /^BOOKING_[0-9][0-9.]*$/ { print $2 }' "$tmp/nm" |
    LC_ALL=C sort -u >"$tmp/nodes.exported"
awk '!($1 == "A" && $2 ~ /^BOOKING_[0-9][0-9.]*$/)' "$tmp/nm" >"$tmp/nm.syms"

# 1. only bk_* and only functions (T: text; i: indirect function)
bad=$(awk '{ name = $2; sub(/@.*/, "", name) }
           name !~ /^bk_/ || ($1 != "T" && $1 != "i") { print "      " $1 " " $2 }' "$tmp/nm.syms")
if [ -z "$bad" ]; then
    ok "only bk_* functions are exported ($(wc -l <"$tmp/nm.syms" | tr -d ' ') symbols)"
else
    fail "exported symbols that are not bk_* functions (type name):"
    echo "$bad"
fi
sed 's/^[^ ]* //; s/@.*//' "$tmp/nm.syms" | LC_ALL=C sort -u >"$tmp/exported"

# --- what booking.sym promises --------------------------------------------
# Strips /* */ and # comments, then reads "NODE {", "global:", "local:",
# "name;" and "} PARENT;" tokens.  Prints "name node" for each global entry.
awk '
    {
        line = $0; out = ""
        while (length(line) > 0) {
            if (incomment) {
                i = index(line, "*/")
                if (i == 0) { line = "" } else { line = substr(line, i + 2); incomment = 0 }
            } else {
                i = index(line, "/*")
                if (i == 0) { out = out line; line = "" }
                else { out = out substr(line, 1, i - 1) " "; line = substr(line, i + 2); incomment = 1 }
            }
        }
        sub(/#.*/, "", out)
        text = text " " out
    }
    END {
        gsub(/[{};:]/, " & ", text)
        n = split(text, tok, /[ \t]+/)
        node = ""; section = ""; closed = ""
        for (k = 1; k <= n; k++) {
            t = tok[k]
            if (t == "") continue
            if (t == "{") { if (depth == 0) { node = prev; section = "global" } depth++; prev = ""; continue }
            if (t == "}") { depth--; if (depth == 0) { closed = node; node = ""; section = "" } prev = ""; continue }
            if (t == ":") { section = prev; prev = ""; continue }
            if (t == ";") {
                if (depth > 0 && section == "global" && prev != "" && prev != "*")
                    print prev, node
                # "} PARENT;" or "};": the node just closed and its parent
                if (depth == 0 && closed != "") {
                    print closed, (prev == "" ? "-" : prev) > nodefile
                    closed = ""
                }
                prev = ""; continue
            }
            prev = t
        }
    }' nodefile="$tmp/sym.nodes" "$symfile" >"$tmp/sym.pairs"
cut -d' ' -f1 "$tmp/sym.pairs" | LC_ALL=C sort -u >"$tmp/promised"
awk '{ print $2 }' "$tmp/sym.pairs" | LC_ALL=C sort -u >"$tmp/nodes.promised"

if [ ! -s "$tmp/promised" ]; then
    fail "read no global symbol from $symfile"
    tally_and_exit
fi
dups=$(cut -d' ' -f1 "$tmp/sym.pairs" | LC_ALL=C sort | uniq -d)
if [ -n "$dups" ]; then
    fail "symbols listed twice in $symfile: $(echo "$dups" | words)"
fi

# 2. exported == booking.sym
if cmp -s "$tmp/exported" "$tmp/promised"; then
    ok "exported symbols equal the global list of booking.sym ($(wc -l <"$tmp/promised" | tr -d ' '))"
else
    fail "exported symbols differ from the global list of $symfile:"
    show_diff "$tmp/exported" "$tmp/promised" "the library" "booking.sym"
fi

# --- what the headers declare ---------------------------------------------
# A declaration starts at a line beginning with BK_API; the function's name
# is the last identifier before the first "(" (which may be lines later).
awk '
    /^[ \t]*BK_API[ \t]/ { collecting = 1; decl = "" }
    collecting {
        decl = decl " " $0
        i = index(decl, "(")
        if (i > 0) {
            head = substr(decl, 1, i - 1)
            if (match(head, /[A-Za-z_][A-Za-z0-9_]*[ \t]*$/)) {
                name = substr(head, RSTART, RLENGTH); gsub(/[ \t]/, "", name); print name
            } else {
                print "UNPARSED:" decl
            }
            collecting = 0
        } else if (index(decl, ";") > 0) {
            print "NOT_A_FUNCTION:" decl
            collecting = 0
        }
    }' "$incdir/booking.h" "$incdir/booking/sys/store.h" >"$tmp/declared.raw"
odd=$(grep -E '^(UNPARSED|NOT_A_FUNCTION):' "$tmp/declared.raw" || true)
if [ -n "$odd" ]; then
    fail "BK_API declarations that are not functions or could not be read:"
    echo "$odd" | sed 's/^/      /'
fi
grep -vE '^(UNPARSED|NOT_A_FUNCTION):' "$tmp/declared.raw" | LC_ALL=C sort >"$tmp/declared.all" || true
LC_ALL=C sort -u "$tmp/declared.all" >"$tmp/declared"
dups=$(uniq -d "$tmp/declared.all")
if [ -n "$dups" ]; then
    fail "functions declared BK_API twice: $(echo "$dups" | words)"
fi

# 3. booking.sym == headers (and so == exported)
if cmp -s "$tmp/promised" "$tmp/declared"; then
    ok "booking.sym equals the BK_API declarations of booking.h and booking/sys/store.h"
else
    fail "booking.sym differs from the BK_API declarations of the headers:"
    show_diff "$tmp/promised" "$tmp/declared" "booking.sym" "the headers"
fi

# 4. versions: each exported symbol's default version is its node in
#    booking.sym, and the library defines every node.
awk '{ name = $2; ver = "(none)"
       if (index(name, "@@")) { ver = substr(name, index(name, "@@") + 2); sub(/@@.*/, "", name) }
       else if (index(name, "@")) { ver = "non-default:" substr(name, index(name, "@") + 1); sub(/@.*/, "", name) }
       print name, ver }' "$tmp/nm.syms" | LC_ALL=C sort >"$tmp/versions.actual"
# Cross-check with readelf, which prints versions independently of nm.
LC_ALL=C readelf --dyn-syms -W "$lib" |
    awk '$7 != "UND" && $7 != "ABS" && $8 ~ /^bk_/ { name = $8; ver = "(none)"
         if (index(name, "@@")) { ver = substr(name, index(name, "@@") + 2); sub(/@@.*/, "", name) }
         else if (index(name, "@")) { ver = "non-default:" substr(name, index(name, "@") + 1); sub(/@.*/, "", name) }
         print name, ver }' | LC_ALL=C sort >"$tmp/versions.readelf"
LC_ALL=C sort "$tmp/sym.pairs" >"$tmp/versions.promised"
wrong=$(LC_ALL=C join -a1 -e '(not-in-booking.sym)' -o 0,1.2,2.2 "$tmp/versions.actual" "$tmp/versions.promised" |
    awk '$2 != $3 { print "      " $1 ": has " $2 ", booking.sym says " $3 }')
if [ -n "$wrong" ]; then
    fail "symbols with the wrong version:"
    echo "$wrong"
elif [ ! -s "$tmp/versions.actual" ]; then
    fail "no versioned symbol found"
elif ! cmp -s "$tmp/versions.actual" "$tmp/versions.readelf"; then
    fail "nm and readelf disagree on the symbol versions:"
    show_diff "$tmp/versions.actual" "$tmp/versions.readelf" "nm" "readelf"
else
    ok "every symbol carries its booking.sym version ($(words <"$tmp/nodes.promised"))"
fi
if cmp -s "$tmp/nodes.exported" "$tmp/nodes.promised"; then
    ok "version nodes defined: $(words <"$tmp/nodes.exported")"
else
    fail "version nodes of the library differ from booking.sym's:"
    show_diff "$tmp/nodes.exported" "$tmp/nodes.promised" "the library" "booking.sym"
fi

# 5. SONAME
soname=$(LC_ALL=C readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" = "$EXPECTED_SONAME" ]; then
    ok "SONAME is $soname"
else
    fail "SONAME is '${soname:-(none)}', expected $EXPECTED_SONAME"
fi

# 6. the node chain: "BOOKING_1.0 -", "BOOKING_1.1 BOOKING_1.0", ... in
#    file order.
chain=$(awk -v major="${EXPECTED_SONAME##*.}" '
    { want = "BOOKING_" major "." (NR - 1)
      parent = (NR == 1 ? "-" : "BOOKING_" major "." (NR - 2))
      if ($1 != want || $2 != parent)
          printf "      node %d is \"%s\" inheriting \"%s\"; expected \"%s\" inheriting \"%s\"\n", NR, $1, $2, want, parent }
    END { if (NR == 0) print "      no version node" }' "$tmp/sym.nodes")
if [ -z "$chain" ]; then
    ok "version nodes form one chain: $(awk '{ print $1 }' "$tmp/sym.nodes" | words)"
else
    fail "the version nodes of $symfile do not form the chain BOOKING_1.0, BOOKING_1.1 { } BOOKING_1.0; ...:"
    echo "$chain"
fi

tally_and_exit
