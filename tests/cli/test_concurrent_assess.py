"""Two real `imagewarden assess` processes on one database: one waits, none fails."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

import pytest

from imagewarden.app import open_store
from imagewarden.model import AssetType
from imagewarden.store.locks import exclusive
from tests.factories import asset, inventory

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ASSETS = 1500  # enough for one assessment to take long enough that the second must wait


def _imagewarden(db_url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "imagewarden", "--db", db_url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def _fleet(db_url: str, size: int = ASSETS) -> None:
    assets = [
        asset(f"A-{i}", site=f"s{i % 5}", type=(AssetType.CT, AssetType.MR)[i % 2])
        for i in range(size)
    ]
    with open_store(db_url, create=True) as store:
        store.save_inventory(inventory(*assets))


def test_two_assessments_at_once_both_succeed(db_url: str) -> None:
    _fleet(db_url)
    first, second = _imagewarden(db_url, "assess"), _imagewarden(db_url, "assess")
    results = [process.communicate(timeout=240) for process in (first, second)]
    codes = [first.returncode, second.returncode]
    assert codes == [0, 0], results
    for _stdout, stderr in results:
        assert "locked" not in stderr and "Traceback" not in stderr and "unique" not in stderr
    with open_store(db_url) as store:
        counts = store.counts()
        (latest,) = [store.latest_assessment()]
    assert counts["assessments"] == 2
    assert latest is not None
    # The second run found every finding already there: its summary says so.
    assert latest.findings_new == 0
    assert latest.findings_open == counts["findings"]


def test_assessment_waits_for_the_running_one_then_refuses_with_exit_3(db_url: str) -> None:
    _fleet(db_url, 5)
    with open_store(db_url) as store, exclusive(store.engine, "assessment", wait=1):
        waiting = _imagewarden(db_url, "assess", "--wait", "1")
        _stdout, stderr = waiting.communicate(timeout=60)
    assert waiting.returncode == 3, stderr
    assert "another assessment is running on this database; waiting up to 1 s" in stderr
    assert "gave up after waiting 1 s" in stderr
    assert "Traceback" not in stderr
    with open_store(db_url) as store:
        assert store.counts()["assessments"] == 0


def _first_stderr_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stderr is not None
    ready, _, _ = select.select([process.stderr], [], [], timeout)
    assert ready, "the command printed nothing in time"
    return process.stderr.readline()


def test_waiting_assessment_runs_once_the_lock_is_free(db_url: str) -> None:
    _fleet(db_url, 5)
    with open_store(db_url) as store:
        with exclusive(store.engine, "assessment", wait=1):
            waiting = _imagewarden(db_url, "assess", "--wait", "60")
            told = _first_stderr_line(waiting, timeout=60)
            assert "another assessment is running on this database; waiting up to 60 s" in told
            assert waiting.poll() is None  # still waiting while the lock is held
        _stdout, stderr = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, stderr
    assert "assessed 5 managed assets" in stderr
    with open_store(db_url) as store:
        assert store.counts()["assessments"] == 1


def test_triage_during_a_running_assessment_is_never_lost(db_url: str) -> None:
    """Real processes: accept findings while assessments run; every decision survives."""
    _fleet(db_url)
    first = _imagewarden(db_url, "assess")
    assert first.communicate(timeout=240)[0] is not None and first.returncode == 0
    with open_store(db_url) as store:
        targets = [f.id for f in store.findings()][:3]
    decided: list[str] = []
    running = _imagewarden(db_url, "assess")
    deadline = time.monotonic() + 120
    for finding_id in targets:
        accept = _imagewarden(
            db_url, "findings", "accept", finding_id, "--reason", "ordered", "--until", "2099-01-01"
        )
        _out, stderr = accept.communicate(timeout=120)
        assert accept.returncode == 0, stderr
        decided.append(finding_id)
        if running.poll() is not None and time.monotonic() < deadline:
            running = _imagewarden(db_url, "assess")  # keep an assessment running throughout
    running.communicate(timeout=240)
    assert running.returncode == 0
    with open_store(db_url) as store:
        status = {f.id: f.status.value for f in store.findings()}
    assert [status[i] for i in decided] == ["accepted"] * len(decided)
