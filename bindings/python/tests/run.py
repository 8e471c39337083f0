#!/usr/bin/env python3
"""Runs the Python binding's tests (unittest), as tests/test_bindings.sh does:

    BOOKING_LIBRARY=build/lib/libbooking.so.1 python3 bindings/python/tests/run.py [MODULE ...]

With no MODULE, every test_*.py here, and then one more check: every C
function the binding binds was called at least once during the run (a
function bound but unreachable, or reachable but untested, fails it).

Leak mode: with BK_LEAKCOUNT naming bk_leakcount.so (bindings/leakcheck),
which must also be in LD_PRELOAD, the tests run twice: once to warm the
library's process-lifetime caches (zone tables), then counted: every block
libbooking allocated during the second pass must have been freed by the
end.  That is the one check of the run (plus any failing test).

Appends "passed failed" to $BK_TEST_TALLY when it is set; a skipped test
counts as failed, since nothing here may skip for want of anything.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import os
import subprocess
import sys
import unittest
from pathlib import Path
from typing import List, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import booking  # noqa: E402
from booking import _ffi  # noqa: E402

called: set = set()


def trace_calls() -> None:
    lib = _ffi.load()

    def wrap(name, fn):
        @functools.wraps(fn)
        def traced(*args):
            called.add(name)
            return fn(*args)
        return traced

    for name in booking.BOUND_FUNCTIONS:
        setattr(lib, name, wrap(name, getattr(lib, name)))


def run_suite(modules: List[str]) -> Tuple[int, int]:
    loader = unittest.TestLoader()
    if modules:
        suite = loader.loadTestsFromNames(modules)
    else:
        suite = loader.discover(str(HERE), pattern="test_*.py", top_level_dir=str(HERE))
    result = unittest.TextTestRunner(verbosity=1 if os.environ.get("BK_QUIET") else 2).run(suite)
    passed = result.testsRun - len(result.failures) - len(result.errors) - len(result.skipped) \
        - len(result.unexpectedSuccesses)
    return passed, result.testsRun - passed


def sites(shim: ctypes.CDLL, n: int) -> str:
    """The allocation sites of the blocks left, as function names."""
    shim.bkleak_report.restype = ctypes.c_size_t
    offsets, sizes = [], []
    for i in range(min(n, 20)):
        off = ctypes.c_size_t(0)
        size = shim.bkleak_report(ctypes.c_size_t(i), ctypes.byref(off))
        if not size:
            break
        offsets.append(off.value)
        sizes.append(size)
    names = [hex(o) for o in offsets]
    try:
        out = subprocess.run(["addr2line", "-f", "-s", "-e", os.path.realpath(_ffi.lib().path)]
                             + [hex(o) for o in offsets], capture_output=True, text=True, timeout=60).stdout.split("\n")
        names = [f"{out[2 * i]} ({out[2 * i + 1]})" for i in range(len(offsets))]
    except (OSError, subprocess.SubprocessError, IndexError):
        pass
    return "\n".join(f"    {size} bytes allocated in {name}" for size, name in zip(sizes, names))


def main(argv: list) -> int:
    modules = argv[1:]
    leak_lib = os.environ.get("BK_LEAKCOUNT")
    if leak_lib:
        shim = ctypes.CDLL(leak_lib)
        _ffi.load()
        warm_passed, warm_failed = run_suite(modules)
        if shim.bkleak_start() != 0:
            print("FAIL: bk_leakcount does not see libbooking (is it in LD_PRELOAD?)")
            passed, failed = 0, 1
        else:
            passed, failed = run_suite(modules)
            gc.collect()
            left_bytes = ctypes.c_size_t(0)
            shim.bkleak_live.restype = ctypes.c_size_t
            left = shim.bkleak_live(ctypes.byref(left_bytes))
            failed += warm_failed
            if left:
                print(f"FAIL: {left} blocks ({left_bytes.value} bytes) libbooking allocated were never freed:")
                print(sites(shim, left))
                passed, failed = 0, failed + 1
            else:
                print(f"ok: every block libbooking allocated in {passed} tests was freed")
                passed, failed = 1, failed
        label = "python binding leak check"
    else:
        trace_calls()
        passed, failed = run_suite(modules)
        if not modules:
            uncalled = sorted(booking.BOUND_FUNCTIONS - called)
            if uncalled:
                failed += 1
                print(f"FAIL: bound C functions no test reached: {', '.join(uncalled)}")
            else:
                passed += 1
                print(f"ok: the tests reached all {len(booking.BOUND_FUNCTIONS)} bound C functions")
        label = "python binding"
    print(f"library: {_ffi.lib().path}")
    print(f"{label}: {passed} passed, {failed} failed")
    tally = os.environ.get("BK_TEST_TALLY")
    if tally:
        with open(tally, "a", encoding="ascii") as fh:
            fh.write(f"{passed} {failed}\n")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
