#!/bin/sh
# Records the released ABI of libbooking.so.1 as the baseline that
# tests/abi/check.sh compares every build with.  Run it on purpose, only
# when a release is made (README "Hardening"), and commit its output:
#
#   tests/abi/libbooking.so.1.abi   abidw's description of the exported
#                                   functions and of the public types they
#                                   reach (types not defined in include/
#                                   are dropped: they are not the ABI);
#   tests/abi/include/              the released public headers, which
#                                   abidiff needs to tell public types from
#                                   private ones and check.sh reads the
#                                   released constants and growable structs
#                                   from;
#   tests/abi/constants.txt         the released enumerator and macro values.
#
# Usage: tests/abi/update-baseline.sh [BUILDDIR]   (default build-abi)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bdir=${1:-$root/build-abi}

for tool in abidw meson clang cc; do
    command -v "$tool" >/dev/null 2>&1 || { echo "update-baseline: $tool not found (tests/deps.sh)" >&2; exit 1; }
done

lib=$(sh "$here/build-lib.sh" "$root" "$bdir")
abidw --headers-dir "$root/include" --drop-private-types --no-corpus-path --no-comp-dir-path \
      --short-locs --type-id-style hash --out-file "$here/libbooking.so.1.abi.new" "$lib"
/usr/bin/python3 "$here/headers.py" constants "$root/include" >"$here/constants.txt.new"
rm -rf "$here/include.new"
mkdir -p "$here/include.new/booking/sys"
cp "$root/include/booking.h" "$here/include.new/booking.h"
cp "$root/include/booking/sys/store.h" "$here/include.new/booking/sys/store.h"

mv "$here/libbooking.so.1.abi.new" "$here/libbooking.so.1.abi"
mv "$here/constants.txt.new" "$here/constants.txt"
rm -rf "$here/include"
mv "$here/include.new" "$here/include"
echo "update-baseline: wrote tests/abi/libbooking.so.1.abi ($(grep -c '<elf-symbol ' "$here/libbooking.so.1.abi") symbols)," \
     "tests/abi/constants.txt ($(wc -l <"$here/constants.txt" | tr -d ' ') constants) and tests/abi/include/"
