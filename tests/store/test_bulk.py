"""Bulk work keeps the cyclic garbage collector out, and gives it back as it found it:
a web server or a site worker that runs an assessment or a match goes on collecting."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from imagewarden.store.bulk import no_cyclic_gc


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("collector_enabled")
def test_no_collection_runs_inside_and_the_collector_is_back_after() -> None:
    collections: list[str] = []

    def seen(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(phase)

    gc.callbacks.append(seen)
    try:
        with no_cyclic_gc():
            assert not gc.isenabled()
            # far more container allocations than a generation-0 threshold
            kept = [[[]] for _ in range(200_000)]
            inside = len(collections)
        assert len(kept) == 200_000
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
    finally:
        gc.callbacks.remove(seen)
    assert inside == 0


@pytest.mark.usefixtures("collector_enabled")
def test_the_collector_is_back_after_an_error_and_after_nested_use() -> None:
    with pytest.raises(RuntimeError), no_cyclic_gc():
        with no_cyclic_gc():
            pass
        assert not gc.isenabled()  # the inner block does not turn it back on early
        raise RuntimeError
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_disabled_collector_stays_disabled() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        with no_cyclic_gc():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()
