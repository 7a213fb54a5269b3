"""The executive summary: a few plain sentences for a radiology chair, and the top asks.

Sentences are data (a tuple of strings) so the HTML page, the JSON export and any future
renderer say exactly the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from imagewarden.model import Severity
from imagewarden.render.labels import SEVERITIES_DESC, number_word, plural
from imagewarden.report.end_of_life import EndOfLifeAsset
from imagewarden.report.readiness import CRITICAL_CEILING, Readiness
from imagewarden.report.safeguard_plan import FindingKind, PlanItem, SafeguardPlan
from imagewarden.report.views import FindingView

TOP_ASKS = 3


@dataclass(frozen=True, slots=True)
class ExecutiveSummary:
    """The executive summary: sentences for leadership and the top asks."""

    sentences: tuple[str, ...]
    asks: tuple[PlanItem, ...]
    """The safeguards that together address the most high or critical findings: what
    leadership is asked to fund or mandate."""


def addressed(
    asks: Sequence[PlanItem], kinds: Iterable[FindingKind], *, high_or_critical: bool = False
) -> int:
    """Current findings (only high or critical ones, if asked) that any of ``asks`` addresses."""
    ids = {a.safeguard.id for a in asks}
    return sum(
        k.findings
        for k in kinds
        if (k.high_or_critical or not high_or_critical) and k.addressed_by(ids)
    )


def _gain(item: PlanItem, kinds: Iterable[FindingKind]) -> tuple[int, int, float]:
    """(high or critical findings, findings) of ``kinds`` the item addresses, and its impact."""
    mine = [k for k in kinds if item.safeguard.id in k.safeguards]
    return (
        sum(k.findings for k in mine if k.high_or_critical),
        sum(k.findings for k in mine),
        item.impact,
    )


def choose_asks(
    items: Sequence[PlanItem], kinds: Sequence[FindingKind], n: int = TOP_ASKS
) -> tuple[PlanItem, ...]:
    """The ``n`` safeguards that together address the most high or critical findings.

    Greedy set cover: each pick is the safeguard that adds the most high or critical findings
    not yet addressed by earlier picks (then the most findings, then the highest impact), so
    two safeguards for the same findings do not take two of the three asks. ``kinds`` are
    the current findings by kind (see ``FindingKind``).
    """
    chosen: list[PlanItem] = []
    open_kinds = list(kinds)
    remaining = list(items)
    while remaining and len(chosen) < n:
        best = max(remaining, key=partial(_gain, kinds=open_kinds))
        if not _gain(best, open_kinds)[1]:
            break
        chosen.append(best)
        remaining.remove(best)
        open_kinds = [k for k in open_kinds if best.safeguard.id not in k.safeguards]
    return tuple(chosen)


def _lower_first(title: str) -> str:
    """'Put modalities ...' -> 'put modalities ...' but 'DICOM ...' stays as written."""
    if len(title) > 1 and title[0].isupper() and title[1].islower():
        return title[0].lower() + title[1:]
    return title


def _join(items: Sequence[str], separator: str = ", ") -> str:
    """'a', 'a and b', 'a, b and c'; long items that hold commas read better with '; '."""
    if len(items) <= 2:
        return " and ".join(items)
    return separator.join(items[:-1]) + separator.rstrip() + " and " + items[-1]


def _readiness_sentence(readiness: Readiness, assets: int, sites: int) -> str:
    text = (
        f"Overall cybersecurity readiness is {readiness.score} out of 100 "
        f"(grade {readiness.grade}, {readiness.label.lower()}), across {assets} imaging "
        f"{plural(assets, 'device or system', 'devices and systems')} at {sites} "
        f"{plural(sites, 'site')}."
    )
    if readiness.critical_ceiling_applied:
        text += f" The score is held at {CRITICAL_CEILING} while a critical finding is open."
    return text


def _unmanaged_sentence(hosts: int, findings: int) -> str:
    text = (
        f"{hosts} {plural(hosts, 'host')} found on the network {plural(hosts, 'is', 'are')} "
        "not in the managed inventory"
    )
    if findings:
        text += (
            f"; {plural(hosts, 'its', 'their')} {findings} "
            f"{plural(findings, 'finding is', 'findings are')} counted apart"
        )
    return text + ": identify, register or remove them."


def _findings_sentence(by_severity: Mapping[Severity, int], accepted: int) -> str:
    total = sum(by_severity.values())
    if total == 0:
        return "No open findings remain; keep re-assessing after every change to the fleet."
    parts = [f"{by_severity[s]} {s.value}" for s in SEVERITIES_DESC if by_severity.get(s)]
    text = f"{total} {plural(total, 'finding needs', 'findings need')} attention: {_join(parts)}."
    if accepted:
        text += (
            f" {accepted} of them {plural(accepted, 'is an accepted risk', 'are accepted risks')}"
            " with a documented reason and review date."
        )
    return text


def _end_of_life_sentence(rows: Sequence[EndOfLifeAsset], assets: int) -> str | None:
    os_rows = [r for r in rows if r.os_past_end_of_support]
    devices = sum(1 for r in rows if not r.os_past_end_of_support)
    device_text = (
        f"{devices} {plural(devices, 'device is', 'devices are')} past the manufacturer's end "
        "of support"
    )
    if not os_rows:
        return f"{device_text}." if devices else None
    shared = sum(1 for r in os_rows if r.shared_segment)
    text = (
        f"{len(os_rows)} of {assets} imaging devices and systems run an operating system that "
        "no longer receives security updates"
    )
    if shared:
        text += f", {shared} of them on network segments shared with general IT"
    if devices:
        text += f"; {devices} more {device_text.split(' ', 1)[1]}"
    return text + "."


def _top_risk_sentence(view: FindingView) -> str:
    where = (
        f"on {view.asset_name} at {view.site_name}"
        if view.finding.asset_id
        else (f"at {view.site_name}")
    )
    return (
        f"The highest risk is “{view.finding.title}” {where} "
        f"(risk score {view.finding.risk.score} of 100, {view.finding.severity.value})."
    )


def _asks_sentence(
    asks: Sequence[PlanItem], kinds: Sequence[FindingKind], by_severity: Mapping[Severity, int]
) -> str:
    hc_total = sum(n for s, n in by_severity.items() if s.rank >= Severity.HIGH.rank)
    titles = [_lower_first(a.safeguard.title) for a in asks]
    count = number_word(len(asks), capital=True)
    verb = plural(len(asks), "action", "actions")
    if hc_total:
        closed = addressed(asks, kinds, high_or_critical=True)
        total, kind = hc_total, "high or critical"
    else:
        closed = addressed(asks, kinds)
        total, kind = sum(by_severity.values()), "open"
    share = f"all {total}" if closed == total else f"{closed} of the {total}"
    scope = f"{share} {kind} {plural(total, 'finding')}"
    return f"{count} {verb} would address {scope}: {_join(titles, '; ')}."


def executive_summary(
    *,
    readiness: Readiness,
    assets: int,
    sites: int,
    by_severity: Mapping[Severity, int],
    accepted: int,
    top: FindingView | None,
    end_of_life: Sequence[EndOfLifeAsset],
    plan: SafeguardPlan,
    unmanaged: int = 0,
    unmanaged_findings: int = 0,
) -> ExecutiveSummary:
    """Three to five sentences, most important first: ``by_severity`` counts the current
    findings, of which ``accepted`` are accepted risks; ``top`` is the riskiest of them."""
    sentences = [
        _readiness_sentence(readiness, assets, sites),
        _findings_sentence(by_severity, accepted),
    ]
    if unmanaged:
        sentences.append(_unmanaged_sentence(unmanaged, unmanaged_findings))
    end_of_life_text = _end_of_life_sentence(end_of_life, assets)
    if end_of_life_text:
        sentences.append(end_of_life_text)
    if top is not None:
        sentences.append(_top_risk_sentence(top))
    asks = choose_asks(plan.items, plan.kinds)
    if asks:
        sentences.append(_asks_sentence(asks, plan.kinds, by_severity))
    return ExecutiveSummary(tuple(sentences), asks)
