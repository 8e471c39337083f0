"""How the binding finds libbooking: an explicit path, $BOOKING_LIBRARY, the
installed tree through pkg-config, the linker's search path; and what an
older library without some functions gives.  Each case runs in a fresh
interpreter, since a process loads the library once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from booking import _ffi

from support import HERE

PACKAGE_DIR = str(HERE.parent)


def python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("BOOKING_LIBRARY", "PKG_CONFIG_PATH", "LD_PRELOAD")}
    clean.update(env)
    clean["PYTHONPATH"] = PACKAGE_DIR
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean, timeout=120)


class LoadingTest(unittest.TestCase):
    lib = os.path.realpath(_ffi.lib().path)

    def test_environment_variable(self) -> None:
        r = python("import booking; print(booking.load_library()); print(booking.version())", BOOKING_LIBRARY=self.lib)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split("\n")[0], self.lib)

    def test_explicit_argument_wins(self) -> None:
        r = python(f"import booking; print(booking.load_library({self.lib!r}))", BOOKING_LIBRARY="/nonexistent/lib.so")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), self.lib)

    def test_installed_tree_through_pkg_config(self) -> None:
        self.assertIsNotNone(shutil.which("pkg-config"), "pkg-config is needed (tests/deps.sh)")
        with tempfile.TemporaryDirectory() as tmp:
            libdir = Path(tmp) / "lib"
            libdir.mkdir()
            (libdir / "libbooking.so.1").symlink_to(self.lib)
            (Path(tmp) / "booking.pc").write_text(
                f"libdir={libdir}\nName: booking\nDescription: test\nVersion: 1.0.0\nLibs: -L${{libdir}} -lbooking\n")
            r = python("import booking; print(booking.load_library()); print(len(booking.timezones()) > 0)",
                       PKG_CONFIG_PATH=tmp)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.split("\n")[:2], [str(libdir / "libbooking.so.1"), "True"])

    def test_not_found_says_what_to_do(self) -> None:
        r = python("import ctypes.util, booking\n"
                   "if ctypes.util.find_library('booking'):\n"
                   "    print('installed', booking.load_library())\n"
                   "else:\n"
                   "    try:\n"
                   "        booking.version()\n"
                   "    except booking.LibraryNotFound as e:\n"
                   "        print('not found:', e)\n",
                   PKG_CONFIG_LIBDIR="/nonexistent")
        self.assertEqual(r.returncode, 0, r.stderr)
        if r.stdout.startswith("not found:"):
            self.assertIn("BOOKING_LIBRARY", r.stdout)
        else:  # libbooking is installed system-wide on this machine
            self.assertRegex(r.stdout, r"^installed ")

    def test_older_library_lacks_functions(self) -> None:
        # A stand-in "libbooking" exporting one function: the binding loads,
        # that function works, and the others raise Misuse naming themselves.
        cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
        self.assertIsNotNone(cc)
        with tempfile.TemporaryDirectory() as tmp:
            src, so = Path(tmp) / "old.c", Path(tmp) / "libbooking.so.1"
            src.write_text('const char *bk_version(void);\nconst char *bk_version(void) { return "0.9.0"; }\n')
            subprocess.run([cc, "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
            r = python("import booking\n"
                       "print(booking.version())\n"
                       "try:\n"
                       "    booking.timezones()\n"
                       "except booking.Misuse as e:\n"
                       "    print(e.code, e.message)\n", BOOKING_LIBRARY=str(so))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.split("\n")
        self.assertEqual(lines[0], "0.9.0")
        self.assertTrue(lines[1].startswith("-12 bk_timezone_list: not exported by"), lines[1])


if __name__ == "__main__":
    unittest.main()
