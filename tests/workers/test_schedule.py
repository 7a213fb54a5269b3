"""The schedule: per-site windows in local time, one job per window, bad files refused."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from pathlib import Path

import pytest

from imagewarden.app.jobs import list_jobs
from imagewarden.app.schedule import (
    Window,
    load_schedule,
    open_window,
    parse_schedule,
    run_schedule,
)
from imagewarden.model import UserInputError
from imagewarden.model.jobs import JobKind, JobState
from tests.workers.conftest import Outbox, Sites, write

SCHEDULE = """\
jobs:
  - name: north-nightly
    kind: discover
    site: north
    window: {start: "01:00", end: "05:00", timezone: Europe/Paris}
    params: {profile: safe}
  - name: south-weekend-backup
    kind: verify_backup
    site: south
    window: {days: [sat], start: "22:00", end: "02:00", timezone: UTC}
    params: {root: /archive/pacs, asset_id: PACS-S}
"""


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def test_window_in_local_time_gives_its_utc_bounds() -> None:
    window = Window(start="01:00", end="05:00", timezone="Europe/Paris")
    # 2026-11-02 is a Monday; Paris is UTC+1 in November.
    assert open_window(window, utc("2026-11-02T00:30:00")) == (
        utc("2026-11-02T00:00:00"),
        utc("2026-11-02T04:00:00"),
    )
    assert open_window(window, utc("2026-11-02T04:00:00")) is None
    assert open_window(window, utc("2026-11-01T23:59:00")) is None


def test_window_crossing_midnight_belongs_to_the_day_it_opened() -> None:
    window = Window(days=("sat",), start="22:00", end="02:00")
    # 2026-11-07 is a Saturday.
    assert open_window(window, utc("2026-11-08T01:00:00")) == (
        utc("2026-11-07T22:00:00"),
        utc("2026-11-08T02:00:00"),
    )
    assert open_window(window, utc("2026-11-08T22:30:00")) is None  # Sunday evening


def test_each_open_window_gets_one_job(sites: Sites, outbox: Outbox, tmp_path: Path) -> None:
    schedule = load_schedule(write(tmp_path / "schedule.yaml", SCHEDULE))
    night = utc("2026-11-02T01:00:00")  # Monday 02:00 in Paris
    first = run_schedule(sites.workspace, schedule, outbox, now=night)
    assert [j.site_id for j in first.submitted] == ["north"]
    assert first.closed == ("south-weekend-backup",)
    assert first.submitted[0].expires_at == utc("2026-11-02T04:00:00")
    again = run_schedule(sites.workspace, schedule, outbox, now=night + dt.timedelta(minutes=5))
    assert again.submitted == () and again.already == ("north-nightly",)
    next_night = run_schedule(sites.workspace, schedule, outbox, now=night + dt.timedelta(days=1))
    assert len(next_night.submitted) == 1
    assert len(outbox.sent) == 2


def test_a_run_expires_the_jobs_nobody_ran(sites: Sites, outbox: Outbox, tmp_path: Path) -> None:
    schedule = load_schedule(write(tmp_path / "schedule.yaml", SCHEDULE))
    night = utc("2026-11-02T01:00:00")
    [job] = run_schedule(sites.workspace, schedule, outbox, now=night).submitted
    later = run_schedule(sites.workspace, schedule, outbox, now=utc("2026-11-02T06:00:00"))
    assert later.expired == (job.id,)
    assert list_jobs(sites.workspace)[0].state is JobState.EXPIRED


def test_an_entry_refused_now_does_not_stop_the_others(
    sites: Sites, outbox: Outbox, tmp_path: Path
) -> None:
    text = SCHEDULE.replace("site: north", "site: east")  # no key registered for east
    schedule = load_schedule(write(tmp_path / "schedule.yaml", text))
    both_open = utc("2026-11-08T00:30:00")  # Sunday 01:30 in Paris; Saturday's window
    done = run_schedule(sites.workspace, schedule, outbox, now=both_open)
    assert [j.site_id for j in done.submitted] == ["south"]
    assert done.errors and done.errors[0][0] == "north-nightly"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("kind: discover", "kind: scan"), "jobs[0].kind"),
        (('start: "01:00"', 'start: "25:00"'), "window.start"),
        (("timezone: Europe/Paris", "timezone: Mars/Olympus"), "unknown time zone"),
        (("profile: safe", "profile: loud"), "profile"),
        (("root: /archive/pacs", "root: archive"), "absolute"),
        (("south-weekend-backup", "north-nightly"), "two entries are named"),
        (("site: north", "site: North!"), "site"),
    ],
)
def test_bad_schedule_is_refused_naming_the_line(change: tuple[str, str], message: str) -> None:
    text = SCHEDULE.replace(*change)
    with pytest.raises(UserInputError, match=re.escape(message)) as refused:
        parse_schedule(text, "schedule.yaml")
    assert "schedule.yaml" in str(refused.value)


def test_schedule_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(UserInputError, match="a schedule is a mapping"):
        parse_schedule("- a\n- b\n", "schedule.yaml")


def test_a_capture_analysis_can_be_scheduled_on_a_ring_buffer_folder() -> None:
    entry = textwrap.dedent(
        """\
        jobs:
          - name: north-nightly-captures
            kind: analyze_capture
            site: north
            window: {days: [mon], start: "02:00", end: "04:00", timezone: Europe/Paris}
            params: {capture: CAPTURE}
        """
    )
    schedule = parse_schedule(entry.replace("CAPTURE", "/srv/captures/ward"), "schedule.yaml")
    [entry_read] = schedule.entries
    assert entry_read.kind is JobKind.ANALYZE_CAPTURE
    assert entry_read.params == {"capture": "/srv/captures/ward"}
    for bad in ("captures/ward", "/srv/captures/../secrets"):
        with pytest.raises(UserInputError, match=re.escape("absolute, without '..'")):
            parse_schedule(entry.replace("CAPTURE", bad), "schedule.yaml")
