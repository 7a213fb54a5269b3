"""The schedule: which jobs the centre sends each site, and in which window.

A schedule is a YAML file the centre keeps, run by ``imagewarden schedule`` from cron (every
few minutes). Each entry names a job kind, a site, its parameters, and a window: the days
and the local times in which the job may start (e.g. 01:00-05:00 Europe/Paris, crossing
midnight when the end is before the start). A run submits each entry whose window is open
now, once per window (the window's start is part of the job's schedule key, so cron running
twice, or two centres, cannot submit it twice), with the window's end as its deadline. It
also expires jobs nobody ran before their deadline.

```yaml
jobs:
  - name: north-nightly-discovery
    kind: discover
    site: north
    window: {days: [mon, tue, wed, thu, fri], start: "01:00", end: "05:00",
             timezone: Europe/Paris}
    params: {profile: safe}
```
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from imagewarden.app.jobs import JobRequest, Send, expire, parse_params, submit
from imagewarden.app.signing import SITE_ID
from imagewarden.app.workspace import Workspace
from imagewarden.model import Location, UserInputError
from imagewarden.model.jobs import Job, JobKind

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Clock = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Window(_Model):
    """When an entry's job may start, in the site's local time."""

    days: tuple[Day, ...] = DAYS
    """Days on which the window opens."""
    start: Clock
    end: Clock
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=60)] = "UTC"


class Entry(_Model):
    """One scheduled job."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    kind: JobKind
    site: Annotated[str, StringConstraints(pattern=SITE_ID.pattern)]
    window: Window
    params: dict[str, Any] = Field(default_factory=dict)


class ScheduleFile(_Model):
    """The schedule file."""

    jobs: tuple[Entry, ...] = Field(max_length=10_000)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A validated schedule."""

    source: str
    entries: tuple[Entry, ...]


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def parse_schedule(text: str, source: str) -> Schedule:
    """Validate a schedule (every entry's parameters too); errors name the line and field."""
    from imagewarden.readers.yaml import line_of, load_yaml

    data, node = load_yaml(text, source)
    if not isinstance(data, dict):
        raise UserInputError("a schedule is a mapping with a 'jobs' list", Location(source, 1))
    try:
        spec = ScheduleFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
        field_name = field_name.lstrip(".")
        raise UserInputError(
            first["msg"], Location(source, line_of(node, first["loc"]), field=field_name)
        ) from None
    names: set[str] = set()
    for index, entry in enumerate(spec.jobs):
        where = Location(source, line_of(node, ("jobs", index)), field=f"jobs[{index}]")
        if entry.name in names:
            raise UserInputError(f"two entries are named {entry.name!r}", where)
        names.add(entry.name)
        try:
            zoneinfo.ZoneInfo(entry.window.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise UserInputError(
                f"unknown time zone {entry.window.timezone[:60]!r}", where
            ) from None
        if entry.window.start == entry.window.end:
            raise UserInputError("the window's start and end are the same time", where)
        parse_params(entry.kind, entry.params, f"{source}: jobs[{index}].params")
    return Schedule(source, spec.jobs)


def load_schedule(path: Path) -> Schedule:
    """The schedule file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(
            f"cannot read the schedule: {exc.__class__.__name__}", Location(str(path))
        ) from None
    return parse_schedule(text, str(path))


def open_window(window: Window, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """The occurrence of ``window`` that contains ``now`` (start, end in UTC), or None."""
    zone = zoneinfo.ZoneInfo(window.timezone)
    local = now.astimezone(zone)
    start, end = _minutes(window.start), _minutes(window.end)
    length = (end - start) % (24 * 60)
    for days_back in (0, 1):
        day = local.date() - dt.timedelta(days=days_back)
        if DAYS[day.weekday()] not in window.days:
            continue
        opens = dt.datetime.combine(day, dt.time(start // 60, start % 60), zone)
        closes = opens + dt.timedelta(minutes=length)
        opens_utc, closes_utc = opens.astimezone(dt.UTC), closes.astimezone(dt.UTC)
        if opens_utc <= now < closes_utc:
            return opens_utc, closes_utc
    return None


@dataclass(frozen=True, slots=True)
class ScheduleRun:
    """What one run of the schedule did."""

    submitted: tuple[Job, ...] = ()
    already: tuple[str, ...] = ()
    """Entries whose current window already has its job."""
    closed: tuple[str, ...] = ()
    """Entries whose window is not open now."""
    errors: tuple[tuple[str, str], ...] = ()
    """(entry, reason) for entries refused now (e.g. no key registered for the site)."""
    expired: tuple[str, ...] = field(default=())


def run_schedule(
    workspace: Workspace, schedule: Schedule, send: Send, *, now: dt.datetime | None = None
) -> ScheduleRun:
    """Expire overdue jobs, then submit every entry whose window is open and has no job yet.

    An entry refused now (a user error) does not stop the others; a broker that cannot take
    a job (InfrastructureError) stops the run.
    """
    now = now or dt.datetime.now(dt.UTC)
    expired = tuple(expire(workspace, now=now))
    submitted: list[Job] = []
    already: list[str] = []
    closed: list[str] = []
    errors: list[tuple[str, str]] = []
    for entry in schedule.entries:
        window = open_window(entry.window, now)
        if window is None:
            closed.append(entry.name)
            continue
        opens, closes = window
        request = JobRequest(
            kind=entry.kind,
            site_id=entry.site,
            params=entry.params,
            expires_at=closes,
            schedule_key=f"{entry.name}@{opens.isoformat()}",
        )
        try:
            job = submit(workspace, request, send, now=now)
        except UserInputError as exc:
            errors.append((entry.name, str(exc)))
            continue
        if job is None:
            already.append(entry.name)
        else:
            submitted.append(job)
    return ScheduleRun(tuple(submitted), tuple(already), tuple(closed), tuple(errors), expired)
