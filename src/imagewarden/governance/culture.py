"""Culture imports: training completion from a learning system, and GoPhish campaign results.

Training CSV columns (aliases in brackets; header case and punctuation do not matter):

  person      [email, user, username, user_id, employee_id, learner]  required; hashed
  department  [dept, unit, team, cost_center]                          required
  course      [course_name, module, title, training]                   required
  assigned    [assigned_on, assigned_date, enrolled, enrollment_date]  required, YYYY-MM-DD
  due         [due_on, due_date]
  completed   [completed_on, completion_date, completed_date]          empty = not completed
  kind        [type, activity]            "training" (default) or "drill" (drill participation)
  site        [site_id, location]

GoPhish: the campaign results CSV its web UI exports ("Export CSV" > "Results"; columns id,
status, ip, latitude, longitude, send_date, reported, modified_date, email, first_name,
last_name, position) or the JSON of its API ``GET /api/campaigns/:id/results`` (id, name,
status, results[], timeline[]). The GoPhish "position" field is read as the department.

Names and e-mail addresses are never stored: the person column or e-mail is replaced by a
keyed hash at import (``person_hash``), names, IP addresses and locations are dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from imagewarden.governance.fields import parse_date, parse_timestamp
from imagewarden.governance.interface import (
    Campaign,
    GophishStatus,
    PhishingResult,
    TrainingKind,
    TrainingRecord,
)
from imagewarden.model import Location, UserInputError
from imagewarden.readers.tabular import Column, Row, excerpt, read_table
from imagewarden.readers.text import checked_text

PERSON_KEY_ENV = "IMAGEWARDEN_PERSON_KEY"
"""Optional secret for person hashes; set it so that hashes cannot be checked against a
guessed address list. Without it a fixed product key is used (pseudonymous, not anonymous)."""

TRAINING_COLUMNS: tuple[Column, ...] = (
    Column("person", ("email", "user", "username", "user_id", "employee_id", "learner"), True),
    Column("department", ("dept", "unit", "team", "cost_center"), True),
    Column("course", ("course_name", "module", "title", "training"), True),
    Column("assigned", ("assigned_on", "assigned_date", "enrolled", "enrollment_date"), True),
    Column("due", ("due_on", "due_date")),
    Column("completed", ("completed_on", "completion_date", "completed_date")),
    Column("kind", ("type", "activity")),
    Column("site", ("site_id", "location")),
)
GOPHISH_EXPORT_HEADER: tuple[str, ...] = (
    "id",
    "status",
    "ip",
    "latitude",
    "longitude",
    "send_date",
    "reported",
    "modified_date",
    "email",
    "first_name",
    "last_name",
    "position",
)
"""The columns of GoPhish's results export, in its order (for writers of test and demo data)."""

GOPHISH_COLUMNS: tuple[Column, ...] = (
    Column("email", (), True),
    Column("status", (), True),
    Column("send_date", (), True),
    Column("reported", (), True),
    Column("modified_date", (), True),
    Column("position", ()),
)

REPORTED_EVENT = "Email Reported"
"""The timeline message GoPhish records when a recipient reports the e-mail."""
_STATUSES = {s.value: s for s in GophishStatus}


def person_hash(identity: str) -> str:
    """A keyed BLAKE2 hash of a person's identifier (lower-cased): counts a person once
    without storing who it is."""
    secret = os.environ.get(PERSON_KEY_ENV, "imagewarden-person-v1").encode()
    key = secret if len(secret) <= 64 else hashlib.sha256(secret).digest()
    return hashlib.blake2b(identity.strip().lower().encode(), key=key, digest_size=12).hexdigest()


def _department(text: str) -> str:
    return " ".join(text.split())[:100] or "unknown"


# --- training ------------------------------------------------------------------------------


def _training(row: Row) -> TrainingRecord:
    text = (row.get("kind") or "training").lower()
    try:
        kind = TrainingKind(text)
    except ValueError:
        raise row.error("kind", f"{excerpt(text)} is not 'training' or 'drill'") from None
    for name in ("person", "department", "course"):
        if not row.get(name):
            raise row.error(name, f"{name} is empty")
    assigned = parse_date(row, "assigned", required=True)
    assert assigned is not None  # required=True raises instead of returning None
    completed = parse_date(row, "completed")
    if completed is not None and completed < assigned:
        raise row.error("completed", "completed before it was assigned")
    return TrainingRecord(
        person_hash=person_hash(row.get("person")),
        department=_department(row.get("department")),
        course=row.get("course")[:200],
        assigned_on=assigned,
        due_on=parse_date(row, "due"),
        completed_on=completed,
        kind=kind,
        site_id=row.get("site")[:64],
    )


def read_training(path: Path) -> list[TrainingRecord]:
    """Every record of a learning system's CSV export, validated; raises on the first
    problem."""
    records = [_training(row) for row in read_table(path, TRAINING_COLUMNS)]
    if not records:
        raise UserInputError("no training records in the file", Location(str(path)))
    return records


# --- GoPhish CSV ---------------------------------------------------------------------------


def _bool(row: Row, name: str) -> bool:
    value = row.get(name).lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no", ""):
        return False
    raise row.error(name, f"{excerpt(value)} is not true or false")


def _timestamp(row: Row, name: str) -> dt.datetime | None:
    try:
        return parse_timestamp(row.get(name))
    except ValueError:
        raise row.error(name, f"{excerpt(row.get(name))} is not an RFC 3339 timestamp") from None


def _status(row: Row) -> GophishStatus:
    status = _STATUSES.get(row.get("status"))
    if status is None:
        known = ", ".join(sorted(_STATUSES))
        raise row.error(
            "status", f"unknown GoPhish status {excerpt(row.get('status'))} (known: {known})"
        )
    return status


def _result(
    email: str,
    status: GophishStatus,
    department: str,
    reported: bool,
    sent_at: dt.datetime | None,
    reported_at: dt.datetime | None,
) -> PhishingResult:
    return PhishingResult(
        person_hash=person_hash(email),
        department=_department(department),
        status=status,
        sent=status.sent and sent_at is not None,
        clicked=status.clicked,
        submitted=status is GophishStatus.SUBMITTED_DATA,
        reported=reported,
        sent_at=sent_at,
        reported_at=reported_at if reported else None,
    )


def _campaign_id(results: list[PhishingResult]) -> str:
    """An id from the campaign's content (who was sent an e-mail when), not its name or
    file: the same campaign exported twice has one id."""
    sends = sorted(f"{r.person_hash} {r.sent_at.isoformat()}" for r in results if r.sent_at)
    return "gophish:" + hashlib.sha256("\n".join(sends).encode()).hexdigest()[:16]


def _launched(results: list[PhishingResult], path: Path) -> dt.date:
    dates = [r.sent_at.date() for r in results if r.sent_at is not None]
    if not dates:
        raise UserInputError("no e-mail of the campaign was sent yet", Location(str(path)))
    return min(dates)


def read_gophish_csv(path: Path, name: str | None = None, site_id: str = "") -> Campaign:
    """A GoPhish results CSV. The CSV has no report time: a reported result's
    ``modified_date`` (the last event, the report itself in most cases) stands for it."""
    results: list[PhishingResult] = []
    for row in read_table(path, GOPHISH_COLUMNS):
        if not row.get("email"):
            raise row.error("email", "email is empty")
        status = _status(row)
        reported = _bool(row, "reported")
        sent_at = _timestamp(row, "send_date")
        modified = _timestamp(row, "modified_date")
        results.append(
            _result(row.get("email"), status, row.get("position"), reported, sent_at, modified)
        )
    if not results:
        raise UserInputError("no results in the file", Location(str(path)))
    campaign_name = name or path.stem.removesuffix(" - Results")
    return Campaign(
        id=_campaign_id(results),
        name=campaign_name[:200],
        source=path.name[:300],
        launched_on=_launched(results, path),
        results=tuple(results),
        site_id=site_id,
    )


# --- GoPhish API JSON ----------------------------------------------------------------------


def _field(item: Mapping[str, Any], key: str, where: str, path: Path, kind: type) -> Any:
    if key not in item:
        raise UserInputError(f"missing {where}.{key}", Location(str(path), field=f"{where}.{key}"))
    value = item[key]
    location = Location(str(path), field=f"{where}.{key}")
    if not isinstance(value, kind):
        raise UserInputError(f"{where}.{key} should be {kind.__name__}", location)
    if isinstance(value, str):
        checked_text(value, f"{where}.{key}", location)
    return value


def _json_time(value: str, where: str, path: Path) -> dt.datetime | None:
    try:
        return parse_timestamp(value)
    except ValueError:
        raise UserInputError(
            f"{where} {excerpt(value)} is not an RFC 3339 timestamp",
            Location(str(path), field=where),
        ) from None


def read_gophish_json(path: Path, site_id: str = "") -> Campaign:
    """The JSON of GoPhish's ``/api/campaigns/:id/results`` (or ``/api/campaigns/:id``).

    The report time of a result is the time of its "Email Reported" timeline event.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserInputError(f"cannot read file: {exc.strerror}", Location(str(path))) from None
    except UnicodeDecodeError:
        raise UserInputError("not UTF-8 text", Location(str(path))) from None
    except json.JSONDecodeError as exc:
        raise UserInputError(
            f"invalid JSON: {exc.msg}", Location(str(path), exc.lineno, exc.colno)
        ) from None
    if not isinstance(data, dict):
        raise UserInputError("expected a campaign results object", Location(str(path), 1))
    name = _field(data, "name", "campaign", path, str)
    items = _field(data, "results", "campaign", path, list)
    timeline = data.get("timeline") or []
    if not isinstance(timeline, list):
        raise UserInputError("campaign.timeline should be list", Location(str(path)))
    reported_at: dict[str, dt.datetime] = {}
    for index, event in enumerate(timeline):
        where = f"timeline[{index}]"
        if not isinstance(event, dict):
            raise UserInputError(f"{where} should be an object", Location(str(path), field=where))
        if event.get("message") == REPORTED_EVENT:
            email = _field(event, "email", where, path, str).strip().lower()
            when = _json_time(_field(event, "time", where, path, str), f"{where}.time", path)
            if when is not None and (email not in reported_at or when < reported_at[email]):
                reported_at[email] = when
    results: list[PhishingResult] = []
    for index, item in enumerate(items):
        where = f"results[{index}]"
        if not isinstance(item, dict):
            raise UserInputError(f"{where} should be an object", Location(str(path), field=where))
        email = _field(item, "email", where, path, str)
        status_text = _field(item, "status", where, path, str)
        status = _STATUSES.get(status_text)
        if status is None:
            raise UserInputError(
                f"{where}.status: unknown GoPhish status {excerpt(status_text)}",
                Location(str(path), field=f"{where}.status"),
            )
        reported = _field(item, "reported", where, path, bool)
        sent_at = _json_time(
            _field(item, "send_date", where, path, str), f"{where}.send_date", path
        )
        when = reported_at.get(email.strip().lower())
        if reported and when is None:
            modified = item.get("modified_date")
            when = (
                _json_time(modified, f"{where}.modified_date", path)
                if isinstance(modified, str)
                else None
            )
        position = item.get("position") if isinstance(item.get("position"), str) else ""
        checked_text(str(position), f"{where}.position", Location(str(path), field=where))
        results.append(_result(email, status, str(position), reported, sent_at, when))
    if not results:
        raise UserInputError("no results in the campaign", Location(str(path)))
    return Campaign(
        id=_campaign_id(results),
        name=name[:200],
        source=path.name[:300],
        launched_on=_launched(results, path),
        results=tuple(results),
        site_id=site_id,
    )
