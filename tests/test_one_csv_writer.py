"""Every CSV the tool writes goes through the one writer that neutralises formula cells.

The only other CSV writer writes the demo's synthetic input files in third-party formats
(a training system's and GoPhish's exports), which are inputs, not outputs.
"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "imagewarden"
ALLOWED = {SRC / "render" / "csv.py", SRC / "demo" / "history.py"}


def test_no_module_writes_csv_but_the_one_writer() -> None:
    writers = re.compile(r"\bcsv\.(writer|DictWriter)\(")
    found = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path not in ALLOWED and writers.search(path.read_text(encoding="utf-8"))
    )
    assert found == []
