"""The readiness score: one number from 0 to 100 for leadership, with its formula shown.

Readiness = 100 - A - S, rounded to a whole number and never below 0, where

* every current finding (open or accepted: an accepted risk is still a risk) weighs by its
  severity: critical 10, high 5, medium 2, low 1, info 0;
* an asset's load is the sum of its findings' weights, capped at 10, so that one device with
  many findings cannot sink the score alone (one critical finding already means "exposed");
* A = 70 x (sum of capped asset loads) / (10 x assets in the inventory): the exposed share of
  the inventory, worth up to 70 points. Normalising by inventory size lets an enterprise of
  five sites and one of five hundred devices be compared;
* S = 30 x (sum of capped site loads) / (10 x sites): findings about a whole site (downtime
  plan, immutable backup of the archive, incident playbook), worth up to 30 points;
* while any critical finding is current, the score is at most 69 (grade D at best): a single
  critical weakness is enough for an attacker, whatever the rest of the inventory looks like.

Grades: A >= 90 ready, B >= 80 mostly ready, C >= 70 partially ready, D >= 50 at risk,
F below 50 not ready.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from imagewarden.model import Finding, Severity

SEVERITY_WEIGHT: Mapping[Severity, float] = {
    Severity.CRITICAL: 10.0,
    Severity.HIGH: 5.0,
    Severity.MEDIUM: 2.0,
    Severity.LOW: 1.0,
    Severity.INFO: 0.0,
}
LOAD_CAP = 10.0
ASSET_POINTS = 70.0
SITE_POINTS = 30.0
CRITICAL_CEILING = 69

GRADES: tuple[tuple[int, str, str], ...] = (
    (90, "A", "Ready"),
    (80, "B", "Mostly ready"),
    (70, "C", "Partially ready"),
    (50, "D", "At risk"),
    (0, "F", "Not ready"),
)

FORMULA: tuple[str, ...] = (
    "Each current (open or accepted) finding weighs by severity: critical 10, high 5, "
    "medium 2, low 1, info 0.",
    "An asset's load is the sum of its findings' weights, capped at 10; a site's load is the "
    "sum of its site-wide findings' weights, capped at 10.",
    "Asset penalty A = 70 × (sum of asset loads) ÷ (10 × assets in the inventory).",
    "Site penalty S = 30 × (sum of site loads) ÷ (10 × sites).",
    "Readiness = 100 − A − S, rounded, never below 0; while any critical finding is current "
    "the score is at most 69.",
    "Grades: A ≥ 90 Ready, B ≥ 80 Mostly ready, C ≥ 70 Partially ready, D ≥ 50 At risk, "
    "F < 50 Not ready.",
)
"""The formula in plain sentences, for the report's appendix and the JSON export."""


@dataclass(frozen=True, slots=True)
class Readiness:
    """The readiness score with its grade and the parts it is made of."""

    score: int
    grade: str
    label: str
    asset_penalty: float
    site_penalty: float
    critical_ceiling_applied: bool
    assets: int
    """Assets the asset penalty was normalised by."""
    sites: int
    """Sites the site penalty was normalised by."""


def grade_of(score: int) -> tuple[str, str]:
    """Letter grade and label of a readiness score."""
    for floor, grade, label in GRADES:
        if score >= floor:
            return grade, label
    return GRADES[-1][1], GRADES[-1][2]


def _capped_loads(loads: Mapping[str, float]) -> float:
    return sum(min(load, LOAD_CAP) for load in loads.values())


class Loads:
    """The severity loads of current findings per asset and per site, added one by one."""

    def __init__(self) -> None:
        self.asset: dict[str, float] = defaultdict(float)
        self.site: dict[str, float] = defaultdict(float)
        self.any_critical = False

    def add(self, f: Finding) -> None:
        """Count one current finding."""
        weight = SEVERITY_WEIGHT[f.severity]
        self.any_critical = self.any_critical or f.severity is Severity.CRITICAL
        if f.asset_id is not None:
            self.asset[f.asset_id] += weight
        else:
            self.site[f.site_id] += weight

    def score(self, asset_ids: Iterable[str], site_ids: Iterable[str]) -> Readiness:
        """The readiness of the findings added, against the inventory."""
        assets = len(set(asset_ids) | set(self.asset))
        sites = len(set(site_ids) | set(self.site))
        return score_loads(
            _capped_loads(self.asset), _capped_loads(self.site), assets, sites, self.any_critical
        )


def readiness(
    current: Iterable[Finding], asset_ids: Iterable[str], site_ids: Iterable[str]
) -> Readiness:
    """Score current findings against the inventory (see the module docstring for the formula).

    ``current`` must hold only open and accepted findings. Findings about assets or sites not
    in the inventory still count, and widen the denominator so the share stays within 0-1.
    """
    loads = Loads()
    for f in current:
        loads.add(f)
    return loads.score(asset_ids, site_ids)


def score_loads(
    asset_load: float, site_load: float, assets: int, sites: int, any_critical: bool
) -> Readiness:
    """The score from loads already capped and summed (e.g. by the database for a dashboard).

    ``asset_load`` and ``site_load`` are sums of per-asset and per-site loads each capped at
    ``LOAD_CAP``; ``assets`` and ``sites`` the denominators described in ``readiness``.
    """
    asset_penalty = ASSET_POINTS * asset_load / (LOAD_CAP * assets) if assets else 0
    site_penalty = SITE_POINTS * site_load / (LOAD_CAP * sites) if sites else 0
    raw = max(0, round(100 - asset_penalty - site_penalty))
    score = min(raw, CRITICAL_CEILING) if any_critical else raw
    grade, label = grade_of(score)
    return Readiness(
        score=score,
        grade=grade,
        label=label,
        asset_penalty=round(asset_penalty, 1),
        site_penalty=round(site_penalty, 1),
        critical_ceiling_applied=any_critical and raw > CRITICAL_CEILING,
        assets=assets,
        sites=sites,
    )
