"""A reader in a child process: its messages in order, its errors raised here, nothing left
running afterwards, whichever way the child was started."""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from imagewarden.readers.child import ReaderEnded, read_in_child
from imagewarden.readers.json import stream_items
from imagewarden.readers.limits import JSON_DEPTH, LimitExceeded
from tests.threads import in_a_thread


def _numbers(count: int) -> Iterator[int]:
    yield from range(count)


def _deep_json(path: Path) -> Iterator[Any]:
    with path.open("rb") as handle:
        yield from stream_items(handle, str(path), "items")


class _HoldsALock(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.lock = threading.Lock()  # does not pickle


def _raises_unpicklable() -> Iterator[int]:
    yield 1
    raise _HoldsALock("the reader's own words")


def _killed_after(count: int) -> Iterator[int]:
    yield from range(count)
    os.kill(os.getpid(), signal.SIGKILL)
    yield -1  # never reached


@pytest.fixture(params=["fork", "spawn"])
def started(request: pytest.FixtureRequest) -> Callable[[Callable[[], Any]], Any]:
    """Run a call here (the child is forked) or in a thread (the child is spawned)."""
    if request.param == "fork":
        assert threading.active_count() == 1
        return lambda call: call()
    return in_a_thread


def test_messages_arrive_in_order_and_the_child_ends(
    started: Callable[[Callable[[], Any]], Any],
) -> None:
    got = started(lambda: list(read_in_child(functools.partial(_numbers, 2000))))
    assert got == list(range(2000))
    assert multiprocessing.active_children() == []


def test_an_error_in_the_child_is_raised_here_with_its_details(
    started: Callable[[Callable[[], Any]], Any], tmp_path: Path
) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"items": [1, 2, ' + "[" * 100 + "]" * 100 + "]}")
    got: list[Any] = []

    def read() -> None:
        got.extend(read_in_child(functools.partial(_deep_json, path)))

    with pytest.raises(LimitExceeded) as caught:
        started(read)
    assert got == [1, 2]  # what came before the error
    assert caught.value.limit == JSON_DEPTH
    assert caught.value.location is not None and caught.value.location.file == str(path)
    assert "JSON nesting exceeds the limit" in str(caught.value)
    assert multiprocessing.active_children() == []


def test_an_error_that_does_not_pickle_still_arrives_with_its_type_and_text() -> None:
    with pytest.raises(RuntimeError, match="_HoldsALock: the reader's own words"):
        list(read_in_child(_raises_unpicklable))
    assert multiprocessing.active_children() == []


def test_stopping_early_ends_the_child() -> None:
    messages = read_in_child(itertools.count)
    assert [next(messages) for _ in range(3)] == [0, 1, 2]
    assert len(multiprocessing.active_children()) == 1
    messages.close()
    assert multiprocessing.active_children() == []


def test_a_child_killed_midway_is_an_error_not_the_end_of_the_file() -> None:
    got: list[int] = []
    with pytest.raises(ReaderEnded, match="ended unexpectedly"):
        got.extend(read_in_child(functools.partial(_killed_after, 5)))
    assert got == [0, 1, 2, 3, 4]
    assert multiprocessing.active_children() == []
