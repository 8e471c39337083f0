#!/bin/sh
# The README's demo: installs what is missing, builds libbooking in build/
# and runs the quickstart example.  Works from any folder.
set -eu
cd "$(dirname "$0")/.."

sh tests/deps.sh

if [ -f build/meson-private/coredata.dat ]; then
    meson setup --reconfigure build
else
    meson setup build
fi
ninja -C build

echo
echo "=== build/examples/quickstart"
exec ./build/examples/quickstart
