"""Cross-reference validation of a loaded catalog.

Every reference is checked both ways: a check's safeguards exist and every safeguard is
recommended by at least one check; a framework reference names a requirement that exists in
that framework's edition; a condition reads only registered facts, with values of their type.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from imagewarden.catalog.interface import Catalog
from imagewarden.model import FACTS, Condition, FactType, FrameworkRef, SubjectKind, UserInputError

# Which facts each kind of check may read: a service check also sees its asset and site.
_READABLE = {
    SubjectKind.SITE: {SubjectKind.SITE},
    SubjectKind.ASSET: {SubjectKind.ASSET, SubjectKind.SITE},
    SubjectKind.SERVICE: {SubjectKind.SERVICE, SubjectKind.ASSET, SubjectKind.SITE},
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One catalog problem: where it is and what is wrong."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _ref_problems(
    where: str, refs: tuple[FrameworkRef, ...], catalog: Catalog
) -> Iterator[Problem]:
    for ref in refs:
        framework = catalog.frameworks.get(ref.framework)
        if framework is None:
            known = ", ".join(sorted(catalog.frameworks))
            yield Problem(where, f"unknown framework {ref.framework!r} (known: {known})")
            continue
        if ref.edition is None and framework.cite_with_edition:
            yield Problem(
                where,
                f"{ref.framework} {ref.id}: name the edition ({framework.edition!r}); "
                "its numbering changed between editions",
            )
        if ref.edition is not None and ref.edition != framework.edition:
            yield Problem(
                where,
                f"{ref.framework} {ref.id}: edition {ref.edition!r} but the catalog holds "
                f"edition {framework.edition!r}",
            )
        if ref.id not in {r.id for r in framework.requirements}:
            yield Problem(where, f"{ref.framework} has no requirement {ref.id!r}")


def _value_ok(fact_type: FactType, choices: tuple[str, ...], value: object) -> bool:
    if fact_type is FactType.BOOL:
        return isinstance(value, bool)
    if fact_type in (FactType.INT, FactType.FLOAT):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if fact_type is FactType.CHOICE:
        return value in choices
    return isinstance(value, str)


def _condition_problems(
    where: str, condition: Condition, subject: SubjectKind
) -> Iterator[Problem]:
    for child in (*(condition.all or ()), *(condition.any or ())):
        yield from _condition_problems(where, child, subject)
    if condition.not_ is not None:
        yield from _condition_problems(where, condition.not_, subject)
    if condition.fact is None:
        return
    spec = FACTS.get(condition.fact)
    if spec is None:
        yield Problem(where, f"condition reads unregistered fact {condition.fact!r}")
        return
    if spec.subject not in _READABLE[subject]:
        yield Problem(
            where, f"a {subject.value} check cannot read {spec.subject.value} fact {spec.name!r}"
        )
    values = [v for v in (condition.equals, condition.not_equals) if v is not None]
    values += list(condition.in_ or ()) + list(condition.not_in or ())
    if spec.type is FactType.DATE and values:
        yield Problem(where, f"compare date fact {spec.name!r} through its derived day count")
    for value in values:
        if spec.type is not FactType.DATE and not _value_ok(spec.type, spec.choices, value):
            expected = f"one of {list(spec.choices)}" if spec.choices else spec.type.value
            yield Problem(where, f"{spec.name}: value {value!r} is not {expected}")
    numeric = [condition.gt, condition.gte, condition.lt, condition.lte]
    if any(v is not None for v in numeric) and spec.type not in (FactType.INT, FactType.FLOAT):
        yield Problem(where, f"{spec.name}: numeric comparison on a {spec.type.value} fact")


def validate_catalog(catalog: Catalog) -> list[Problem]:
    """All cross-reference problems; an empty list means the catalog is consistent."""
    problems: list[Problem] = []
    used: set[str] = set()
    for check in catalog.checks.values():
        where = check.id
        for safeguard_id in check.safeguards:
            used.add(safeguard_id)
            if safeguard_id not in catalog.safeguards:
                problems.append(Problem(where, f"unknown safeguard {safeguard_id}"))
        if check.when is not None:
            problems += _condition_problems(where, check.when, check.applies_to.subject)
        for fact in check.evidence:
            spec = FACTS.get(fact)
            if spec is None:
                problems.append(Problem(where, f"evidence names unregistered fact {fact!r}"))
            elif spec.subject not in _READABLE[check.applies_to.subject]:
                problems.append(
                    Problem(
                        where,
                        f"evidence fact {fact!r} is not visible to a "
                        f"{check.applies_to.subject.value} check",
                    )
                )
        problems += _ref_problems(where, check.refs, catalog)
        applies = check.applies_to
        if applies.subject is not SubjectKind.SERVICE and applies.protocols:
            problems.append(Problem(where, "protocols apply only to service checks"))
        if applies.subject is SubjectKind.SITE and (applies.asset_types or applies.categories):
            problems.append(
                Problem(where, "asset types and categories do not apply to site checks")
            )
    for safeguard in catalog.safeguards.values():
        if safeguard.id not in used:
            problems.append(Problem(safeguard.id, "no check recommends this safeguard"))
        problems += _ref_problems(safeguard.id, safeguard.refs, catalog)
    for framework in catalog.frameworks.values():
        ids = [r.id for r in framework.requirements]
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            problems.append(Problem(framework.id, f"requirement {dup!r} listed twice"))
    problems += _checklist_problems(catalog)
    problems += [Problem("products.yaml", c) for c in catalog.products.collisions]
    problems += [Problem("os_lifecycle.yaml", c) for c in catalog.os_table.collisions]
    for row in catalog.os_table.rows:
        if not row.source.strip():
            problems.append(Problem("os_lifecycle.yaml", f"{row.name} has no source"))
    problems += _section_problems(catalog)
    return problems


def _section_problems(catalog: Catalog) -> list[Problem]:
    """Each capability section loads (schema, file, line) and its references resolve."""
    problems: list[Problem] = []
    for name, section in sorted(catalog.sections.items()):
        try:
            data = catalog.section(section)
        except UserInputError as exc:
            problems.append(Problem(name, str(exc)))
            continue
        problems += section.validate(data, catalog)
    return problems


def _checklist_problems(catalog: Catalog) -> Iterator[Problem]:
    """Checklist questions: unique ids, resolvable refs and safeguards, a CSF reference."""
    seen: dict[str, str] = {}
    for checklist in catalog.checklists.values():
        for question in checklist.questions:
            where = f"{checklist.id} {question.id}"
            if question.id in seen:
                yield Problem(where, f"question id also used in {seen[question.id]}")
            seen[question.id] = checklist.id
            yield from _ref_problems(where, question.refs, catalog)
            for safeguard_id in question.safeguards:
                if safeguard_id not in catalog.safeguards:
                    yield Problem(where, f"unknown safeguard {safeguard_id}")
            csf = [r.id for r in question.refs if r.framework == "nist-csf-2.0"]
            if not csf:
                yield Problem(where, "cite at least one NIST CSF 2.0 subcategory")
