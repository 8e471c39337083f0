"""The ctypes structs of booking._ffi match the C headers exactly: the same
members in the same order (read from the header text), and the same offsets
and sizes (asked of the C compiler, through a program generated from the
binding's own field lists)."""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path
from typing import Dict, List

from booking import _ffi

from support import REPO

INCLUDE = Path(os.environ.get("BK_INCLUDE_DIR", REPO / "include"))
HEADERS = [INCLUDE / "booking.h", INCLUDE / "booking" / "sys" / "store.h"]


def header_structs() -> Dict[str, List[str]]:
    """Member names of every `struct bk_... { ... }` in the public headers."""
    out: Dict[str, List[str]] = {}
    for header in HEADERS:
        text = header.read_text(encoding="utf-8")
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"//[^\n]*", " ", text)
        for m in re.finditer(r"struct\s+(bk_\w+)\s*\{([^{}]*)\}", text):
            members = []
            for decl in m.group(2).split(";"):
                decl = " ".join(decl.split())
                if not decl:
                    continue
                fp = re.search(r"\(\s*\*\s*(\w+)\s*\)", decl)
                name = fp.group(1) if fp else re.search(r"(\w+)\s*(\[[^\]]*\])?\s*$", decl).group(1)
                members.append(name)
            out[m.group(1)] = members
    return out


def field_names(cls) -> List[str]:
    return [f[0] for f in cls._fields_]


class LayoutTest(unittest.TestCase):
    def test_members_match_the_headers(self) -> None:
        declared = header_structs()
        for name, cls in _ffi.STRUCTS.items():
            with self.subTest(struct=name):
                self.assertIn(name, declared, f"{name} is not in the headers any more")
                self.assertEqual(field_names(cls), declared[name])
        # Every struct of the headers that crosses the ABI is laid out here.
        self.assertEqual(sorted(set(declared) - set(_ffi.STRUCTS)), [],
                         "structs of the headers the binding does not lay out")

    def test_offsets_and_sizes_match_the_compiler(self) -> None:
        cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
        self.assertIsNotNone(cc, "no C compiler (package gcc)")
        lines = ["#include <stddef.h>", "#include <stdio.h>", "#include <booking.h>",
                 "#include <booking/sys/store.h>", "int main(void) {"]
        expected = []
        for name, cls in _ffi.STRUCTS.items():
            lines.append(f'    printf("%s %zu\\n", "{name}", sizeof({name}));')
            expected.append(f"{name} {ctypes.sizeof(cls)}")
            for field in field_names(cls):
                lines.append(f'    printf("%s.%s %zu\\n", "{name}", "{field}", offsetof({name}, {field}));')
                expected.append(f"{name}.{field} {getattr(cls, field).offset}")
        lines += ["    return 0;", "}"]
        with tempfile.TemporaryDirectory() as tmp:
            src, exe = Path(tmp) / "layout.c", Path(tmp) / "layout"
            src.write_text("\n".join(lines) + "\n", encoding="utf-8")
            subprocess.run([cc, "-std=c11", "-I", str(INCLUDE), "-o", str(exe), str(src)], check=True)
            got = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split("\n")
        self.assertEqual([g for g in got if g], expected)


if __name__ == "__main__":
    unittest.main()
