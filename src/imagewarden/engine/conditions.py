"""Evaluation of catalog conditions against a subject's facts.

Unknown is not "no": a test of a fact the subject does not have is false, except
``exists: false``. So "PHI stored unencrypted" fires only when encryption is known to be off;
a separate check can flag what is not recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from imagewarden.model import Condition, FactValue

_MISSING = object()


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _compare(condition: Condition, value: object) -> bool:
    if condition.equals is not None and value != condition.equals:
        return False
    if condition.not_equals is not None and value == condition.not_equals:
        return False
    if condition.in_ is not None and value not in condition.in_:
        return False
    if condition.not_in is not None and value in condition.not_in:
        return False
    bounds: tuple[tuple[float | None, Callable[[float, float], bool]], ...] = (
        (condition.gt, float.__gt__),
        (condition.gte, float.__ge__),
        (condition.lt, float.__lt__),
        (condition.lte, float.__le__),
    )
    for bound, accepts in bounds:
        if bound is not None:
            number = _number(value)
            if number is None or not accepts(number, float(bound)):
                return False
    return True


def evaluate(condition: Condition, facts: Mapping[str, FactValue]) -> bool:
    """Whether a catalog condition holds for these facts (an unknown fact is not "no")."""
    if condition.all is not None:
        return all(evaluate(child, facts) for child in condition.all)
    if condition.any is not None:
        return any(evaluate(child, facts) for child in condition.any)
    if condition.not_ is not None:
        return not evaluate(condition.not_, facts)
    assert condition.fact is not None  # guaranteed by the schema
    value = facts.get(condition.fact, _MISSING)
    if condition.exists is not None:
        if (value is not _MISSING) != condition.exists:
            return False
        if value is _MISSING:
            return True
    if value is _MISSING:
        return False
    return _compare(condition, value)
