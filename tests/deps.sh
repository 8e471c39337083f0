#!/bin/sh
# Installs the Debian packages libbooking needs to build and test, if any
# is missing.  Shared by examples/demo.sh and tests/run-all.sh (and so by
# .ci/run).  Fast when everything is present: only dpkg-query runs.
#
# This is the one place that lists the packages: add new ones here.
set -eu

PACKAGES="
  meson ninja-build pkg-config gcc g++ libc6-dev binutils
  libicu-dev check libsubunit-dev libjansson-dev
  valgrind python3 python3-dateutil python3-icalendar
  libsodium-dev libpq-dev postgresql pgbouncer
  ruby ruby-ffi ruby-minitest
  abigail-tools clang clang-tidy libclang-rt-14-dev cppcheck gcovr
"

missing=""
for pkg in $PACKAGES; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing="$missing $pkg"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

echo "deps.sh: installing missing packages:$missing"

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "deps.sh: error: packages missing:$missing" >&2
    echo "deps.sh: not root and sudo is not available; install them as root:" >&2
    echo "    apt-get update && apt-get install -y$missing" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
APT_OPTS="-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
# shellcheck disable=SC2086  # word splitting of the lists is intended
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get $APT_OPTS update -qq ||
    { echo "deps.sh: error: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get $APT_OPTS install -y -q $missing ||
    { echo "deps.sh: error: apt-get install failed for:$missing" >&2; exit 1; }

# Check again: apt-get can succeed without installing what was asked.
still=""
for pkg in $missing; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "installed" ] || still="$still $pkg"
done
if [ -n "$still" ]; then
    echo "deps.sh: error: still not installed after apt-get:$still" >&2
    exit 1
fi
echo "deps.sh: done"
