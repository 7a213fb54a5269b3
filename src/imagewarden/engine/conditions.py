"""Evaluation of catalog conditions against a subject's facts.

Unknown is not "no": a test of a fact the subject does not have is false, except
``exists: false``. So "PHI stored unencrypted" fires only when encryption is known to be off;
a separate check can flag what is not recorded.

A condition is compiled once into a Python closure (``compile_condition``): an assessment
tests every check against every subject, so walking the condition's tree each time would
cost more than the tests themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from imagewarden.model import Condition, FactValue

Facts = Mapping[str, FactValue]
Test = Callable[[Facts], bool]
"""A compiled condition: whether it holds for these facts."""

_MISSING = object()


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _value_tests(condition: Condition) -> list[Callable[[object], bool]]:
    """One test of a known value per operator of a fact test, in the operators' order."""
    tests: list[Callable[[object], bool]] = []
    equals, not_equals = condition.equals, condition.not_equals
    if equals is not None:
        tests.append(lambda value: value == equals)
    if not_equals is not None:
        tests.append(lambda value: value != not_equals)
    if condition.in_ is not None:
        members = condition.in_
        tests.append(lambda value: value in members)
    if condition.not_in is not None:
        outsiders = condition.not_in
        tests.append(lambda value: value not in outsiders)
    bounds: tuple[tuple[float | None, Callable[[float, float], bool]], ...] = (
        (condition.gt, float.__gt__),
        (condition.gte, float.__ge__),
        (condition.lt, float.__lt__),
        (condition.lte, float.__le__),
    )
    for bound, accepts in bounds:
        if bound is not None:
            tests.append(_bounded(float(bound), accepts))
    return tests


def _bounded(bound: float, accepts: Callable[[float, float], bool]) -> Callable[[object], bool]:
    def test(value: object) -> bool:
        number = _number(value)
        return number is not None and accepts(number, bound)

    return test


def _fact_test(condition: Condition) -> Test:
    name = condition.fact
    assert name is not None  # guaranteed by the schema
    exists = condition.exists
    tests = _value_tests(condition)
    if exists is None and len(tests) == 1:
        return _one_test(name, condition, tests[0])

    def test(facts: Facts) -> bool:
        value = facts.get(name, _MISSING)
        if exists is not None:
            if (value is not _MISSING) != exists:
                return False
            if value is _MISSING:
                return True
        if value is _MISSING:
            return False
        return all(each(value) for each in tests)

    return test


def _one_test(name: str, condition: Condition, only: Callable[[object], bool]) -> Test:
    """A fact test with one operator; ``equals``, by far the most common, inlined."""
    expected = condition.equals
    if expected is not None:

        def equals(facts: Facts) -> bool:
            value = facts.get(name, _MISSING)
            return value is not _MISSING and value == expected

        return equals

    def single(facts: Facts) -> bool:
        value = facts.get(name, _MISSING)
        return value is not _MISSING and only(value)

    return single


def compile_condition(condition: Condition) -> Test:
    """``condition`` as a function of a subject's facts (see ``evaluate``)."""
    if condition.all is not None:
        every = tuple(compile_condition(child) for child in condition.all)

        def all_hold(facts: Facts) -> bool:
            for part in every:  # noqa: SIM110 - a loop costs less than all() of a generator
                if not part(facts):
                    return False
            return True

        return all_hold
    if condition.any is not None:
        either = tuple(compile_condition(child) for child in condition.any)

        def any_holds(facts: Facts) -> bool:
            for part in either:  # noqa: SIM110 - a loop costs less than any() of a generator
                if part(facts):
                    return True
            return False

        return any_holds
    if condition.not_ is not None:
        negated = compile_condition(condition.not_)
        return lambda facts: not negated(facts)
    return _fact_test(condition)


def evaluate(condition: Condition, facts: Facts) -> bool:
    """Whether a catalog condition holds for these facts (an unknown fact is not "no")."""
    return compile_condition(condition)(facts)
