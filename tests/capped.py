"""Run ImageWarden in a subprocess with a memory cap and a time cap (hostile-input tests)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ONE_GIB = 1024**3


def run_capped(
    *args: str | Path,
    memory: int = ONE_GIB,
    seconds: float = 60,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m imagewarden ARGS`` with RLIMIT_AS = ``memory``; a hang fails the test."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [sys.executable, "-m", "imagewarden", *map(str, args)],
        preexec_fn=cap,
        capture_output=True,
        text=True,
        timeout=seconds,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        cwd=cwd,
        check=False,
    )
