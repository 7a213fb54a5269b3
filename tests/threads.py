"""Running a call in a second thread, for behaviour that differs when a process has threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def in_a_thread(call: Callable[[], Any]) -> Any:
    """``call()`` run in a new thread: its value returned here, or its exception raised here."""
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as exc:  # raised again in the calling thread
            outcome.append((False, exc))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    returned, value = outcome[0]
    if not returned:
        raise value
    return value
