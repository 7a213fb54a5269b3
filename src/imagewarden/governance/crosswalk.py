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

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from imagewarden.catalog import Catalog
from imagewarden.governance.checklists import question_index, questions
from imagewarden.governance.interface import AnswerRecord
from imagewarden.model import Finding, FindingStatus
from imagewarden.model.checklist import Answer

STATUSES = ("met", "partial", "gap", "not assessed", "not covered")
CURRENT = (FindingStatus.OPEN, FindingStatus.ACCEPTED)


@dataclass(slots=True)
class RequirementCoverage:
    framework: str
    id: str
    title: str
    questions: list[str] = field(default_factory=list)
    safeguards: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)
    findings: int = 0

    @property
    def status(self) -> str:
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
    framework: str
    title: str
    requirements: tuple[RequirementCoverage, ...]

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.requirements)

    @property
    def score(self) -> float | None:
        met, partial, gap = self.count("met"), self.count("partial"), self.count("gap")
        assessed = met + partial + gap
        return round(100 * (met + 0.5 * partial) / assessed, 1) if assessed else None

    @property
    def coverage(self) -> float:
        cited = len(self.requirements) - self.count("not covered")
        return round(100 * cited / len(self.requirements), 1) if self.requirements else 0.0


def crosswalk(
    catalog: Catalog, answers: Iterable[AnswerRecord], findings: Iterable[Finding]
) -> list[FrameworkCoverage]:
    table: dict[tuple[str, str], RequirementCoverage] = {}
    for fw in catalog.frameworks.values():
        for req in fw.requirements:
            table[(fw.id, req.id)] = RequirementCoverage(fw.id, req.id, req.title)

    def cite(framework: str, rid: str) -> RequirementCoverage | None:
        return table.get((framework, rid))

    question_refs: dict[str, list[RequirementCoverage]] = defaultdict(list)
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
    check_refs: dict[str, list[RequirementCoverage]] = defaultdict(list)
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
        hit: dict[int, RequirementCoverage] = {}
        for row in check_refs.get(finding.check_id, ()):
            hit[id(row)] = row
        question = finding.extra.get("question")
        if isinstance(question, str) and question in index:
            for row in question_refs.get(question, ()):
                hit[id(row)] = row
        for row in hit.values():
            row.findings += 1
    return [
        FrameworkCoverage(
            fw.id,
            fw.title,
            tuple(table[(fw.id, r.id)] for r in fw.requirements),
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


def crosswalk_csv(coverage: Sequence[FrameworkCoverage]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for fw in coverage:
        for r in fw.requirements:
            writer.writerow(
                [
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
                ]
            )
    return buffer.getvalue()
