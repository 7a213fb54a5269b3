"""Plan of action and milestones: every current finding, every unanswered question and every
open improvement item of a drill's after-action report becomes a plan item with an owner, a
milestone, a due date and a status.

* Items are keyed by their source (finding id, or site + question), so a sync keeps what a
  person changed (owner, milestone, due date) and only adds, updates status and closes.
* Due dates of new finding items follow severity: critical 15 days (the proposed HIPAA patch
  window for critical risks), high 30, medium 90, low 180, info 365 days after first seen.
  Answer findings use the due date the owner gave.
* Status: open; overdue once the due date has passed; risk_accepted for accepted findings;
  closed (with the date) when the finding is mitigated, false positive or gone, or the
  question has been answered.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from imagewarden.catalog import Catalog
from imagewarden.contracts import ImprovementAction
from imagewarden.governance.checklists import questions
from imagewarden.governance.interface import AnswerRecord, PlanItem
from imagewarden.governance.metrics import quarter_end, quarter_of
from imagewarden.model import Asset, Finding, FindingStatus, Severity

DUE_DAYS = {
    Severity.CRITICAL: 15,
    Severity.HIGH: 30,
    Severity.MEDIUM: 90,
    Severity.LOW: 180,
    Severity.INFO: 365,
}
GAP_DUE_DAYS = 30
UNASSIGNED = "unassigned"


def item_id(source_kind: str, source_id: str) -> str:
    return "poam-" + hashlib.sha256(f"{source_kind}\x1f{source_id}".encode()).hexdigest()[:16]


def _finding_item(
    finding: Finding, catalog: Catalog, owners: Mapping[str, str], today: dt.date
) -> PlanItem:
    first = finding.first_seen.date() if finding.first_seen else today
    due_text = finding.extra.get("due_on")
    due = (
        dt.date.fromisoformat(due_text)
        if isinstance(due_text, str)
        else first + dt.timedelta(days=DUE_DAYS[finding.severity])
    )
    owner = finding.extra.get("owner")
    if not isinstance(owner, str) or not owner:
        owner = owners.get(finding.asset_id or "", "") or UNASSIGNED
    safeguard = next(
        (catalog.safeguards[s] for s in finding.safeguards if s in catalog.safeguards), None
    )
    milestone = f"Implement: {safeguard.title}" if safeguard else "Remediate the finding"
    return PlanItem(
        id=item_id("finding", finding.id),
        source_kind="finding",
        source_id=finding.id,
        site_id=finding.site_id,
        title=finding.title,
        severity=finding.severity.value,
        owner=owner,
        milestone=milestone,
        due_on=due,
        status="open",
        created_on=first,
    )


def _status(item: PlanItem, accepted: bool, today: dt.date) -> str:
    if accepted:
        return "risk_accepted"
    if item.due_on is not None and item.due_on < today:
        return "overdue"
    return "open"


def sync_plan(
    existing: Sequence[PlanItem],
    findings: Iterable[Finding],
    answers: Iterable[AnswerRecord],
    catalog: Catalog,
    site_ids: Sequence[str],
    assets: Iterable[Asset],
    today: dt.date,
    improvements: Iterable[ImprovementAction] = (),
) -> list[PlanItem]:
    """The plan after this sync: new items added, statuses refreshed, resolved items closed."""
    owners = {a.id: a.owner for a in assets if a.owner}
    previous = {i.id: i for i in existing}
    live: dict[str, PlanItem] = {}
    for f in findings:
        if f.status not in (FindingStatus.OPEN, FindingStatus.ACCEPTED):
            continue
        fresh = _finding_item(f, catalog, owners, today)
        old = previous.get(fresh.id)
        item = (
            fresh
            if old is None
            else replace(old, title=fresh.title, severity=fresh.severity, closed_on=None)
        )
        live[item.id] = replace(
            item, status=_status(item, f.status is FindingStatus.ACCEPTED, today)
        )
    answered = {(a.site_id, a.question_id) for a in answers}
    for site in site_ids:
        for placed in questions(catalog):
            q = placed.question
            if (site, q.id) in answered:
                continue
            source = f"{site}:{q.id}"
            iid = item_id("gap", source)
            old = previous.get(iid)
            item = old or PlanItem(
                id=iid,
                source_kind="gap",
                source_id=source,
                site_id=site,
                title=f"Answer the {placed.checklist.title.lower()} question: {q.text}",
                severity=Severity.LOW.value,
                owner=UNASSIGNED,
                milestone="Answer with owner, evidence and due date",
                due_on=today + dt.timedelta(days=GAP_DUE_DAYS),
                status="open",
                created_on=today,
            )
            live[iid] = replace(item, status=_status(item, False, today), closed_on=None)
    for action in improvements:
        if action.done:
            continue  # a done item is not live: its plan item closes below
        iid = item_id("drill", action.source_id)
        old = previous.get(iid)
        item = old or PlanItem(
            id=iid,
            source_kind="drill",
            source_id=action.source_id,
            site_id=action.site_id,
            title=action.title,
            severity=Severity.MEDIUM.value,
            owner=action.owner or UNASSIGNED,
            milestone="Carry out the after-action improvement",
            due_on=action.due_on,
            status="open",
            created_on=today,
        )
        live[iid] = replace(item, status=_status(item, False, today), closed_on=None)
    closed = [
        i if i.status == "closed" else replace(i, status="closed", closed_on=today)
        for iid, i in previous.items()
        if iid not in live
    ]
    return sorted([*live.values(), *closed], key=_order)


def _order(item: PlanItem) -> tuple[int, str, str]:
    rank = {"overdue": 0, "open": 1, "risk_accepted": 2, "closed": 3}
    return (rank.get(item.status, 9), (item.due_on or dt.date.max).isoformat(), item.id)


CSV_HEADER = (
    "id",
    "status",
    "severity",
    "site",
    "title",
    "owner",
    "milestone",
    "due",
    "created",
    "closed",
    "source_kind",
    "source_id",
)


def plan_csv(items: Iterable[PlanItem]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for i in items:
        writer.writerow(
            [
                i.id,
                i.status,
                i.severity,
                i.site_id,
                i.title,
                i.owner,
                i.milestone,
                i.due_on.isoformat() if i.due_on else "",
                i.created_on.isoformat(),
                i.closed_on.isoformat() if i.closed_on else "",
                i.source_kind,
                i.source_id,
            ]
        )
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class QuarterlyReview:
    quarter: str
    opened: int
    closed: int
    open_now: int
    overdue: int
    risk_accepted: int
    by_severity: Mapping[str, int]
    by_owner: Mapping[str, int]
    due_next_quarter: int


def quarterly_review(items: Sequence[PlanItem], today: dt.date) -> QuarterlyReview:
    """What moved in the current quarter, and what is still open, for the review meeting."""
    quarter = quarter_of(today)
    start = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    next_end = quarter_end(quarter_of(quarter_end(quarter) + dt.timedelta(days=1)))
    active = [i for i in items if i.status != "closed"]
    return QuarterlyReview(
        quarter=quarter,
        opened=sum(start <= i.created_on <= today for i in items),
        closed=sum(i.closed_on is not None and start <= i.closed_on <= today for i in items),
        open_now=len(active),
        overdue=sum(i.status == "overdue" for i in active),
        risk_accepted=sum(i.status == "risk_accepted" for i in active),
        by_severity=dict(Counter(i.severity for i in active)),
        by_owner=dict(Counter(i.owner for i in active).most_common(10)),
        due_next_quarter=sum(i.due_on is not None and today < i.due_on <= next_end for i in active),
    )
