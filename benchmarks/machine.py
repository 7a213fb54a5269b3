"""What every benchmark records about the machine it ran on, and how busy it was."""

from __future__ import annotations

import os
import platform
from typing import Any


def load_average() -> float:
    """The one-minute load average."""
    return round(os.getloadavg()[0], 2)


def machine(load_at_start: float) -> dict[str, Any]:
    """CPU count, Python, and the load average at the start and now (the end)."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1m_at_start": load_at_start,
        "load_average_1m_at_end": load_average(),
    }
