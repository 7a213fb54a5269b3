"""Framework crosswalk: for every requirement of a framework, what covers it and how it stands.

A requirement is referenced by checklist questions, by safeguards and by checks. Its status:

* gap:          a current finding cites it (through its check, or through the question of a
                finding raised by an answer) or a citing question is answered "no";
* partial:      a citing question is answered "partial" (and no gap);
* met:          every citing question answered at a site is "yes" or "not applicable";
* not assessed: it is cited by the catalog, but nothing was answered or found about it;
* not covered:  nothing in the catalog cites it.

Score = (met + 0.5 x partial) / (met + partial + gap) x 100, over assessed requirements;
coverage = requirements cited by the catalog / all requirements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from imagewarden.catalog import Catalog
from imagewarden.governance.checklists import question_index, questions
from imagewarden.governance.interface import AnswerRecord
from imagewarden.model import Finding, FindingStatus
from imagewarden.model.checklist import Answer
from imagewarden.render.csv import Cell, csv_text

STATUSES = ("met", "partial", "gap", "not assessed", "not covered")
CURRENT = (FindingStatus.OPEN, FindingStatus.ACCEPTED)


@dataclass(slots=True)
class _Tally:
    """A requirement's citations and counts while the crosswalk is being built."""

    framework: str
    id: str
    title: str
    questions: list[str] = field(default_factory=list)
    safeguards: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)
    findings: int = 0

    def frozen(self) -> RequirementCoverage:
        return RequirementCoverage(
            self.framework,
            self.id,
            self.title,
            tuple(self.questions),
            tuple(self.safeguards),
            tuple(self.checks),
            MappingProxyType(dict(self.answers)),
            self.findings,
        )


@dataclass(frozen=True, slots=True)
class RequirementCoverage:
    """One requirement of a framework: what cites it and how it stands."""

    framework: str
    id: str
    title: str
    questions: tuple[str, ...] = ()
    safeguards: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    answers: Mapping[str, int] = field(default_factory=dict)
    """Current answers of the citing questions, by answer value."""
    findings: int = 0
    """Current findings that cite it."""

    @property
    def status(self) -> str:
        """gap, partial, met, not assessed or not covered (see the module docstring)."""
        if self.findings or self.answers.get("no"):
            return "gap"
        if self.answers.get("partial"):
            return "partial"
        if self.answers.get("yes") or self.answers.get("not_applicable"):
            return "met"
        if self.questions or self.safeguards or self.checks:
            return "not assessed"
        return "not covered"


@dataclass(frozen=True, slots=True)
class FrameworkCoverage:
    """How one framework stands, requirement by requirement."""

    framework: str
    title: str
    requirements: tuple[RequirementCoverage, ...]

    def count(self, status: str) -> int:
        """Requirements in ``status``."""
        return sum(r.status == status for r in self.requirements)

    @property
    def score(self) -> float | None:
        """(met + 0.5 x partial) / assessed x 100, or None when nothing is assessed."""
        met, partial, gap = self.count("met"), self.count("partial"), self.count("gap")
        assessed = met + partial + gap
        return round(100 * (met + 0.5 * partial) / assessed, 1) if assessed else None

    @property
    def coverage(self) -> float:
        """Share of the requirements the catalog cites, in percent."""
        cited = len(self.requirements) - self.count("not covered")
        return round(100 * cited / len(self.requirements), 1) if self.requirements else 0.0


def crosswalk(
    catalog: Catalog, answers: Iterable[AnswerRecord], findings: Iterable[Finding]
) -> list[FrameworkCoverage]:
    """Every framework of the catalog against the current answers and findings."""
    table: dict[tuple[str, str], _Tally] = {}
    for fw in catalog.frameworks.values():
        for req in fw.requirements:
            table[(fw.id, req.id)] = _Tally(fw.id, req.id, req.title)

    def cite(framework: str, rid: str) -> _Tally | None:
        return table.get((framework, rid))

    question_refs: dict[str, list[_Tally]] = defaultdict(list)
    for placed in questions(catalog):
        for ref in placed.question.refs:
            row = cite(ref.framework, ref.id)
            if row is not None:
                row.questions.append(placed.question.id)
                question_refs[placed.question.id].append(row)
    for sg in catalog.safeguards.values():
        for ref in sg.refs:
            row = cite(ref.framework, ref.id)
            if row is not None:
                row.safeguards.append(sg.id)
    check_refs: dict[str, list[_Tally]] = defaultdict(list)
    for check in catalog.checks.values():
        for ref in check.refs:
            row = cite(ref.framework, ref.id)
            if row is not None:
                row.checks.append(check.id)
                check_refs[check.id].append(row)
    for answer in answers:
        for row in question_refs.get(answer.question_id, ()):
            row.answers[answer.answer.value] = row.answers.get(answer.answer.value, 0) + 1
    index = question_index(catalog)
    for finding in findings:
        if finding.status not in CURRENT:
            continue
        question = finding.extra.get("question")
        if isinstance(question, str) and question in index:
            # a finding raised by a checklist answer: the answer itself is counted above,
            # so a "partial" answer scores as partial, not as a gap through its finding
            continue
        hit: dict[int, _Tally] = {}
        for row in check_refs.get(finding.check_id, ()):
            hit[id(row)] = row
        for row in hit.values():
            row.findings += 1
    return [
        FrameworkCoverage(
            fw.id,
            fw.title,
            tuple(table[(fw.id, r.id)].frozen() for r in fw.requirements),
        )
        for fw in catalog.frameworks.values()
    ]


CSV_HEADER = (
    "framework",
    "requirement",
    "title",
    "status",
    "questions",
    "answers_yes",
    "answers_partial",
    "answers_no",
    "safeguards",
    "checks",
    "current_findings",
)


def crosswalk_rows(coverage: Sequence[FrameworkCoverage]) -> Iterator[tuple[Cell, ...]]:
    """One CSV row (``CSV_HEADER``) per requirement of every framework."""
    for fw in coverage:
        for r in fw.requirements:
            yield (
                fw.framework,
                r.id,
                r.title,
                r.status,
                " ".join(r.questions),
                r.answers.get(Answer.YES.value, 0),
                r.answers.get(Answer.PARTIAL.value, 0),
                r.answers.get(Answer.NO.value, 0),
                " ".join(r.safeguards),
                " ".join(r.checks),
                r.findings,
            )


def crosswalk_csv(coverage: Sequence[FrameworkCoverage]) -> str:
    """The crosswalk as a CSV document (cells neutralised)."""
    return csv_text(CSV_HEADER, crosswalk_rows(coverage))
