#!/usr/bin/python3
"""Reads the public headers for tests/abi/check.sh.

`headers.py constants INCLUDE_DIR` prints the integer constants, one
"NAME VALUE" a line, sorted: every enumerator (the BK_E* status codes, bk_booking_status,
bk_slot_reason, bk_token_action, ...) and every object-like BK_* macro with
an integer value (BK_TIME_UNSET, BK_TOKEN_SIZE, BK_ICAL_LOCAL_TIME, ...).

Why: these values are compiled into the programs that use the library, so
changing one breaks them as surely as changing a function -- but abidiff
only sees enums that some exported function's type reaches, and never
macros (the status codes are an anonymous enum returned as int).
tests/abi/check.sh compares this list with the baseline's.

`headers.py growable INCLUDE_DIR` prints the names of the structs that may
grow at their end within SONAME 1: those whose first member is `version`
(the library reads only the members the caller's version has, DESIGN.md
"Handles"; booking.h "New members are only ever appended"), and
bk_store_sink, which the library fills and hands to a backend, and which a
backend of an older store version reads only as far as it knows.  Structs
without a version (bk_id, bk_slot, bk_date, bk_local_interval, ...) are
array elements or embedded by value: their size is frozen.

`headers.py prefix OLD_INCLUDE_DIR NEW_INCLUDE_DIR` checks that each
growable struct of the old headers is, in the new ones, the old struct with
members appended: the same members, in the same order, of the same types
(as clang spells them).  abidiff cannot check this itself: its
has_data_member_inserted_at = end suppression, which lets these structs
grow, also hides a member whose type changed, as long as the struct grew.
Prints each difference and exits 1 if there is one.

All modes read booking.h and booking/sys/store.h under the include dirs.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

# Values that change by design: the release number, and the struct
# versions, which go up when members are appended (old values stay valid
# inputs, so a program built against an older header keeps working).
NOT_PROMISED = re.compile(r"^BK_VERSION_(MINOR|PATCH|NUMBER|STRING)$|^BK_[A-Z0-9_]+_VERSION$")


# Grows by appending although it has no version member (see above).
GROWABLE_WITHOUT_VERSION = ("bk_store_sink",)


def header_ast(inc, header):
    out = subprocess.run(["clang", "-x", "c", "-std=c11", "-I", inc, "-Xclang", "-ast-dump=json",
                          "-fsyntax-only", header], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def struct_fields(inc, header):
    """{struct name: [(member, type), ...]} of the structs that are defined."""
    structs = {}

    def spell(field):
        # An unnamed type is spelt with its file position, which moves with
        # any edit above it: keep only what it is.
        return re.sub(r"\((unnamed|anonymous) [a-z]+ at [^)]*\)", r"(\1)", field["type"]["qualType"])

    def walk(node):
        if (node.get("kind") == "RecordDecl" and node.get("tagUsed") == "struct" and node.get("name")
                and node.get("completeDefinition")):
            structs[node["name"]] = [(c.get("name", ""), spell(c))
                                     for c in node.get("inner", ()) if c.get("kind") == "FieldDecl"]
        for child in node.get("inner", ()):
            walk(child)

    walk(header_ast(inc, header))
    return structs


def growable_names(structs):
    names = {n for n, fields in structs.items() if fields and fields[0][0] == "version"}
    return sorted(names | set(n for n in GROWABLE_WITHOUT_VERSION if n in structs))


def growable(inc, header):
    for name in growable_names(struct_fields(inc, header)):
        print(name)


def prefix(old_inc, new_inc):
    old = struct_fields(old_inc, os.path.join(old_inc, "booking", "sys", "store.h"))
    new = struct_fields(new_inc, os.path.join(new_inc, "booking", "sys", "store.h"))
    bad = 0
    names = growable_names(old)
    for name in names:
        if name not in new:
            print("%s: no longer defined" % name)
            bad += 1
            continue
        before, after = old[name], new[name]
        for i, member in enumerate(before):
            now = after[i] if i < len(after) else None
            if now != member:
                print("%s: member %d was '%s %s', is now %s" % (
                    name, i + 1, member[1], member[0],
                    "'%s %s'" % (now[1], now[0]) if now else "missing"))
                bad += 1
                break
    if bad:
        sys.exit(1)
    print("%d growable structs keep their released members" % len(names))


def constants(inc, header):
    names = set()

    def walk(node):
        if node.get("kind") == "EnumConstantDecl" and node.get("name", "").startswith("BK_"):
            names.add(node["name"])
        for child in node.get("inner", ()):
            walk(child)

    walk(header_ast(inc, header))

    defines = subprocess.run(["cc", "-x", "c", "-std=c11", "-I", inc, "-dM", "-E", header],
                             check=True, capture_output=True, text=True).stdout
    for line in defines.splitlines():
        m = re.match(r"#define (BK_[A-Z0-9_]+) (.*)$", line)
        if not m:
            continue  # function-like macros ("BK_STATUS_BIT(status)") and empty ones (BK_API)
        value = m.group(2).strip()
        if not value or value[0] in "\"{":
            continue  # strings and struct initialisers (the *_INIT macros)
        names.add(m.group(1))

    names = sorted(n for n in names if not NOT_PROMISED.match(n))
    if not names:
        sys.exit("headers.py: found no BK_ constant in %s" % inc)
    prog = ["#include <stdio.h>", "#include <booking/sys/store.h>", "int main(void) {"]
    for n in names:
        prog.append('    printf("%%s %%lld\\n", "%s", (long long)(%s));' % (n, n))
    prog += ["    return 0;", "}"]
    with tempfile.TemporaryDirectory(prefix="bk-abi-const.") as tmp:
        src = os.path.join(tmp, "c.c")
        exe = os.path.join(tmp, "c")
        with open(src, "w", encoding="utf-8") as fh:
            fh.write("\n".join(prog) + "\n")
        subprocess.run(["cc", "-std=c11", "-I", inc, "-o", exe, src], check=True)
        out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    sys.stdout.write(out)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "prefix":
        prefix(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) != 3 or sys.argv[1] not in ("constants", "growable"):
        sys.exit("usage: headers.py constants|growable INCLUDE_DIR | prefix OLD_INCLUDE_DIR NEW_INCLUDE_DIR")
    inc = sys.argv[2]
    header = os.path.join(inc, "booking", "sys", "store.h")  # includes booking.h
    for path in (header, os.path.join(inc, "booking.h")):
        if not os.path.isfile(path):
            sys.exit("headers.py: %s does not exist" % path)
    if sys.argv[1] == "constants":
        constants(inc, header)
    else:
        growable(inc, header)


if __name__ == "__main__":
    main()
