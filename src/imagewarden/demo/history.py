"""A year of synthetic governance history for the demo: checklist answers each quarter,
training and drill records, GoPhish phishing campaigns and recorded maturity.

The organisation improves quarter by quarter (more "yes", fewer clicks, faster reports) so
the trends in the report and on the board one-pager have something to show. Nobody is named:
staff are "staff-0001" with addresses under the reserved ``.invalid`` domain, owners are roles,
and the culture files go through the real importers, which hash the addresses away.
The random generator is seeded, so a given day always produces the same history.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path
from typing import TYPE_CHECKING

from imagewarden.catalog import Catalog
from imagewarden.governance.checklists import questions
from imagewarden.governance.culture import GOPHISH_EXPORT_HEADER, read_gophish_csv, read_training
from imagewarden.governance.interface import AnswerRecord
from imagewarden.governance.maturity import maturity, snapshot_rows
from imagewarden.governance.store.repository import GovernanceStore
from imagewarden.model.checklist import Answer, Audience
from imagewarden.render.atomic import atomic_text_writer
from imagewarden.store import Store

if TYPE_CHECKING:
    from imagewarden.governance.api import GovernanceWorkspace

QUARTERS = 4
DEMO_ACTOR = "demo"
"""Who the audit log says recorded the demo's history."""
OWNERS = {
    Audience.EXECUTIVE: "CISO office",
    Audience.RADIOLOGY_LEADERSHIP: "Radiology administrator",
    Audience.PACS_INFORMATICS: "PACS manager",
    Audience.CLINICAL_ENGINEERING: "Clinical engineering lead",
    Audience.VENDOR_MANAGEMENT: "Vendor management office",
    Audience.AI_GOVERNANCE: "Imaging AI committee",
}
DEPARTMENTS = {
    "CT": 14,
    "MRI": 12,
    "Ultrasound": 10,
    "Interventional radiology": 8,
    "Reading room": 16,
    "PACS team": 6,
    "Front desk": 9,
}
# Per quarter, oldest first: P(yes) and P(partial) of a re-answered question (a "yes" stays);
# training completion; phishing click and report probability; median minutes to report.
P_YES = (0.30, 0.25, 0.22, 0.20)
P_PARTIAL = (0.25, 0.3, 0.3, 0.3)
P_COMPLETE = (0.68, 0.78, 0.86, 0.93)
P_CLICK = (0.26, 0.19, 0.13, 0.08)
P_REPORT = (0.18, 0.3, 0.42, 0.56)
MINUTES = (180.0, 110.0, 70.0, 40.0)


def snapshot_days(today: dt.date) -> list[dt.date]:
    """One assessment per quarter over the past year, the last one today."""
    return [today - dt.timedelta(days=91 * (QUARTERS - 1 - i)) for i in range(QUARTERS)]


def _answers(
    catalog: Catalog, sites: list[str], days: list[dt.date], rng: random.Random
) -> list[AnswerRecord]:
    records: list[AnswerRecord] = []
    previous: dict[tuple[str, str], AnswerRecord] = {}
    for quarter, day in enumerate(days):
        for site in sites:
            for placed in questions(catalog):
                q = placed.question
                key = (site, q.id)
                old = previous.get(key)
                if old is not None and old.answer is Answer.YES:
                    continue  # a control in place stays in place in this story
                if old is not None and quarter == len(days) - 1 and rng.random() < 0.06:
                    continue  # not re-reviewed: its due date passes, an overdue answer
                roll = rng.random()
                if roll < 0.03:
                    answer = Answer.NOT_APPLICABLE
                elif roll < 0.03 + P_YES[quarter]:
                    answer = Answer.YES
                elif roll < 0.03 + P_YES[quarter] + P_PARTIAL[quarter]:
                    answer = Answer.PARTIAL
                else:
                    answer = Answer.NO
                gap = answer in (Answer.NO, Answer.PARTIAL)
                record = AnswerRecord(
                    site_id=site,
                    question_id=q.id,
                    answer=answer,
                    owner=OWNERS[placed.checklist.audience],
                    evidence=f"evidence/{site}/{q.id}.pdf" if answer is Answer.YES else "",
                    answered_on=day,
                    due_on=day + dt.timedelta(days=60 if gap else 365)
                    if answer is not Answer.NOT_APPLICABLE
                    else None,
                )
                previous[key] = record
                records.append(record)
    return records


def _staff() -> list[tuple[str, str]]:
    people = []
    n = 0
    for department, count in DEPARTMENTS.items():
        for _ in range(count):
            n += 1
            people.append((f"staff-{n:04d}@demo-health.invalid", department))
    return people


def _write_training(path: Path, days: list[dt.date], rng: random.Random) -> None:
    with atomic_text_writer(path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "Email",
                "Department",
                "Course",
                "Type",
                "Assigned Date",
                "Due Date",
                "Completion Date",
            ]
        )
        for quarter, day in enumerate(days):
            assigned = day - dt.timedelta(days=60)
            for email, department in _staff():
                done = rng.random() < P_COMPLETE[quarter]
                completed = assigned + dt.timedelta(days=rng.randint(1, 40)) if done else None
                writer.writerow(
                    [
                        email,
                        department,
                        f"Imaging security awareness {quarter + 1}",
                        "training",
                        assigned.isoformat(),
                        (assigned + dt.timedelta(days=45)).isoformat(),
                        completed.isoformat() if completed else "",
                    ]
                )
                if quarter % 2 == 1:  # a downtime drill every half year
                    came = rng.random() < P_COMPLETE[quarter] - 0.05
                    writer.writerow(
                        [
                            email,
                            department,
                            "Imaging downtime drill",
                            "drill",
                            assigned.isoformat(),
                            assigned.isoformat(),
                            assigned.isoformat() if came else "",
                        ]
                    )


def _go_time(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


def _write_campaign(path: Path, quarter: int, day: dt.date, rng: random.Random) -> None:
    """A results CSV in GoPhish's export columns (names left empty: none exist here)."""
    sent = dt.datetime.combine(day - dt.timedelta(days=30), dt.time(9, 0), dt.UTC)
    with atomic_text_writer(path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(GOPHISH_EXPORT_HEADER)
        for n, (email, department) in enumerate(_staff()):
            at = sent + dt.timedelta(seconds=n * 7)
            roll = rng.random()
            if roll < P_CLICK[quarter] * 0.3:
                status = "Submitted Data"
            elif roll < P_CLICK[quarter]:
                status = "Clicked Link"
            elif roll < P_CLICK[quarter] + 0.35:
                status = "Email Opened"
            else:
                status = "Email Sent"
            reported = rng.random() < P_REPORT[quarter]
            minutes = rng.lognormvariate(0, 0.6) * MINUTES[quarter]
            modified = at + dt.timedelta(minutes=minutes if reported else rng.randint(1, 600))
            writer.writerow(
                [
                    f"r{quarter}{n:05d}",
                    status,
                    "",
                    "0",
                    "0",
                    _go_time(at),
                    "true" if reported else "false",
                    _go_time(modified),
                    email,
                    "",
                    "",
                    department,
                ]
            )


def write_demo_history(
    store: Store, catalog: Catalog, folder: Path, today: dt.date | None = None
) -> dict[str, int]:
    """Write the culture files into ``folder``, import them, and record a year of answers
    and maturity. Returns counts for the demo's summary line."""
    today = today or dt.datetime.now(dt.UTC).date()
    rng = random.Random(f"imagewarden-demo-history-{today.isoformat()}")
    days = snapshot_days(today)
    sites = [s.id for s in store.sites()]
    gov = GovernanceStore(store)
    answers = _answers(catalog, sites, days, rng)
    gov.add_answers(answers, actor=DEMO_ACTOR, action="checklist.import", target="demo history")
    for day in days:
        current = gov.current_answers(as_of=day)
        gov.record_maturity(
            snapshot_rows(maturity(catalog, current, sites, day), day), actor=DEMO_ACTOR
        )
    folder.mkdir(parents=True, exist_ok=True)
    training_path = folder / "training-completion.csv"
    _write_training(training_path, days, rng)
    gov.add_training(read_training(training_path), training_path.name, actor=DEMO_ACTOR)
    campaigns = 0
    for quarter, day in enumerate(days):
        path = folder / f"phishing-{quarter + 1} - Results.csv"
        _write_campaign(path, quarter, day, rng)
        campaign = read_gophish_csv(path, name=f"Demo phishing simulation {quarter + 1}")
        gov.save_campaign(campaign, actor=DEMO_ACTOR)
        campaigns += 1
    return {"answers": len(answers), "campaigns": campaigns, "snapshots": len(days)}


def write_demo_governance_outputs(
    workspace: GovernanceWorkspace, folder: Path, enterprise: str
) -> list[Path]:
    """After the demo's assessment: sync the plan of action, then write the OSCAL exports."""
    from imagewarden.governance import api

    api.sync_plan(workspace)
    return list(api.export_oscal(workspace, folder / "oscal", title=enterprise).paths)
