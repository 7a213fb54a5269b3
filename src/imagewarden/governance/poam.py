"""Plan of action and milestones: every current finding, every unanswered question and every
open improvement item of a drill's after-action report becomes a plan item with an owner, a
milestone, a due date and a status.

* Items are keyed by their source (finding id, or site + question). A sync updates items in
  place: it adds new ones, refreshes title, severity and status, and closes resolved ones;
  it never changes what a person set (owner, due date, milestone, and a status set through
  ``edit``), even when the edit lands while the sync runs (see ``merge_item``).
* Due dates of new finding items follow severity: critical 15 days (the proposed HIPAA patch
  window for critical risks), high 30, medium 90, low 180, info 365 days after first seen.
  Answer findings use the due date the owner gave.
* Status: open; overdue once the due date has passed; risk_accepted for accepted findings;
  closed (with the date) when the finding is mitigated, false positive or gone, or the
  question has been answered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from imagewarden.catalog import Catalog
from imagewarden.contracts import ImprovementAction
from imagewarden.governance.checklists import questions
from imagewarden.governance.interface import (
    AnswerRecord,
    PlanField,
    PlanItem,
    PlanSource,
    PlanStatus,
)
from imagewarden.governance.metrics import quarter_end, quarter_of
from imagewarden.model import Asset, Finding, FindingStatus, Severity
from imagewarden.render.csv import Cell, csv_text

DUE_DAYS = {
    Severity.CRITICAL: 15,
    Severity.HIGH: 30,
    Severity.MEDIUM: 90,
    Severity.LOW: 180,
    Severity.INFO: 365,
}
GAP_DUE_DAYS = 30
UNASSIGNED = "unassigned"


def item_id(source_kind: PlanSource, source_id: str) -> str:
    """The stable id of the plan item that tracks one source."""
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
    accepted = finding.status is FindingStatus.ACCEPTED
    return PlanItem(
        id=item_id(PlanSource.FINDING, finding.id),
        source_kind=PlanSource.FINDING,
        source_id=finding.id,
        site_id=finding.site_id,
        title=finding.title,
        severity=finding.severity,
        owner=owner,
        milestone=milestone,
        due_on=due,
        status=PlanStatus.RISK_ACCEPTED if accepted else _open(due, today),
        created_on=first,
    )


def _open(due: dt.date | None, today: dt.date) -> PlanStatus:
    return PlanStatus.OVERDUE if due is not None and due < today else PlanStatus.OPEN


def derive_plan(
    findings: Iterable[Finding],
    answers: Iterable[AnswerRecord],
    catalog: Catalog,
    site_ids: Sequence[str],
    assets: Iterable[Asset],
    today: dt.date,
    improvements: Iterable[ImprovementAction] = (),
) -> dict[str, PlanItem]:
    """The items the current sources call for, by id, as new items would be created.

    Every open or accepted finding, every unanswered question at a site and every open
    after-action improvement; a source not in the result is resolved.
    """
    owners = {a.id: a.owner for a in assets if a.owner}
    live: dict[str, PlanItem] = {}
    for f in findings:
        if f.status in (FindingStatus.OPEN, FindingStatus.ACCEPTED):
            item = _finding_item(f, catalog, owners, today)
            live[item.id] = item
    answered = {(a.site_id, a.question_id) for a in answers}
    for site in site_ids:
        for placed in questions(catalog):
            q = placed.question
            if (site, q.id) in answered:
                continue
            source = f"{site}:{q.id}"
            iid = item_id(PlanSource.GAP, source)
            live[iid] = PlanItem(
                id=iid,
                source_kind=PlanSource.GAP,
                source_id=source,
                site_id=site,
                title=f"Answer the {placed.checklist.title.lower()} question: {q.text}",
                severity=Severity.LOW,
                owner=UNASSIGNED,
                milestone="Answer with owner, evidence and due date",
                due_on=today + dt.timedelta(days=GAP_DUE_DAYS),
                status=PlanStatus.OPEN,
                created_on=today,
            )
    for action in improvements:
        if action.done:
            continue  # a done item is not live: its plan item closes
        iid = item_id(PlanSource.DRILL, action.source_id)
        live[iid] = PlanItem(
            id=iid,
            source_kind=PlanSource.DRILL,
            source_id=action.source_id,
            site_id=action.site_id,
            title=action.title,
            severity=Severity.MEDIUM,
            owner=action.owner or UNASSIGNED,
            milestone="Carry out the after-action improvement",
            due_on=action.due_on,
            status=_open(action.due_on, today),
            created_on=today,
        )
    return live


def merge_item(
    stored: PlanItem | None, derived: PlanItem | None, today: dt.date
) -> PlanItem | None:
    """The item a sync stores, given the row as stored now and what the sources call for;
    None when nothing changes.

    A sync adds items, refreshes the fields it derives (title, severity, and the status of
    items whose status no person set) and closes items whose source is resolved. It never
    changes the owner, due date or milestone of an existing item, nor a status a person set,
    except that an item a person keeps open shows as overdue once its due date passes.
    """
    if stored is None:
        return derived
    if PlanField.STATUS in stored.edited:
        status = stored.status
        if status in (PlanStatus.OPEN, PlanStatus.OVERDUE):
            status = _open(stored.due_on, today)
        closed_on = stored.closed_on
    elif derived is None:
        status = PlanStatus.CLOSED
        closed_on = stored.closed_on if stored.status is PlanStatus.CLOSED else today
    else:
        accepted = derived.status is PlanStatus.RISK_ACCEPTED
        status = PlanStatus.RISK_ACCEPTED if accepted else _open(stored.due_on, today)
        closed_on = None
    merged = replace(
        stored,
        title=derived.title if derived is not None else stored.title,
        severity=derived.severity if derived is not None else stored.severity,
        status=status,
        closed_on=closed_on,
    )
    return None if merged == stored else merged


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
    """The plan after a sync of ``existing`` (in memory): what ``merge_item`` gives for every
    item, in plan order."""
    derived = derive_plan(findings, answers, catalog, site_ids, assets, today, improvements)
    stored = {i.id: i for i in existing}
    result = []
    for iid in set(stored) | set(derived):
        merged = merge_item(stored.get(iid), derived.get(iid), today)
        result.append(merged if merged is not None else stored[iid])
    return sorted(result, key=plan_order)


def edited_item(
    item: PlanItem,
    today: dt.date,
    *,
    owner: str | None = None,
    due: dt.date | None = None,
    status: PlanStatus | None = None,
    milestone: str | None = None,
) -> PlanItem:
    """``item`` with a person's changes; the fields given are marked as the person's."""
    fields = set(item.edited)
    changed = item
    if owner is not None:
        changed = replace(changed, owner=owner)
        fields.add(PlanField.OWNER)
    if due is not None:
        changed = replace(changed, due_on=due)
        fields.add(PlanField.DUE)
    if milestone is not None:
        changed = replace(changed, milestone=milestone)
        fields.add(PlanField.MILESTONE)
    if status is not None:
        fields.add(PlanField.STATUS)
        closed_on = (changed.closed_on or today) if status is PlanStatus.CLOSED else None
        changed = replace(changed, status=status, closed_on=closed_on)
    if changed.status in (PlanStatus.OPEN, PlanStatus.OVERDUE):
        changed = replace(changed, status=_open(changed.due_on, today))
    return replace(changed, edited=frozenset(fields))


def plan_order(item: PlanItem) -> tuple[int, str, str]:
    """Overdue first, then open, accepted and closed; earliest due date first."""
    rank = {
        PlanStatus.OVERDUE: 0,
        PlanStatus.OPEN: 1,
        PlanStatus.RISK_ACCEPTED: 2,
        PlanStatus.CLOSED: 3,
    }
    return (rank[item.status], (item.due_on or dt.date.max).isoformat(), item.id)


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


def plan_rows(items: Iterable[PlanItem]) -> Iterator[tuple[Cell, ...]]:
    """The plan as CSV rows (``CSV_HEADER``)."""
    for i in items:
        yield (
            i.id,
            i.status.value,
            i.severity.value,
            i.site_id,
            i.title,
            i.owner,
            i.milestone,
            i.due_on.isoformat() if i.due_on else "",
            i.created_on.isoformat(),
            i.closed_on.isoformat() if i.closed_on else "",
            i.source_kind.value,
            i.source_id,
        )


def plan_csv(items: Iterable[PlanItem]) -> str:
    """The plan as a CSV document (cells neutralised)."""
    return csv_text(CSV_HEADER, plan_rows(items))


@dataclass(frozen=True, slots=True)
class QuarterlyReview:
    """What moved in one quarter, for the review meeting."""

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
    active = [i for i in items if i.status.active]
    return QuarterlyReview(
        quarter=quarter,
        opened=sum(start <= i.created_on <= today for i in items),
        closed=sum(i.closed_on is not None and start <= i.closed_on <= today for i in items),
        open_now=len(active),
        overdue=sum(i.status is PlanStatus.OVERDUE for i in active),
        risk_accepted=sum(i.status is PlanStatus.RISK_ACCEPTED for i in active),
        by_severity=dict(Counter(i.severity.value for i in active)),
        by_owner=dict(Counter(i.owner for i in active).most_common(10)),
        due_next_quarter=sum(i.due_on is not None and today < i.due_on <= next_end for i in active),
    )
