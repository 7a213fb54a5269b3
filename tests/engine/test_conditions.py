"""Condition semantics that every catalog check relies on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from imagewarden.engine.conditions import evaluate
from imagewarden.model import Condition


def cond(data: dict[str, object]) -> Condition:
    return Condition.model_validate(data)


def test_unknown_fact_is_not_no() -> None:
    unencrypted = cond({"fact": "phi.encrypted_at_rest", "equals": False})
    assert evaluate(unencrypted, {"phi.encrypted_at_rest": False})
    assert not evaluate(unencrypted, {})
    assert not evaluate(cond({"fact": "x", "not_equals": True}), {})


def test_exists() -> None:
    assert evaluate(cond({"fact": "asset.owner", "exists": False}), {})
    assert not evaluate(cond({"fact": "asset.owner", "exists": False}), {"asset.owner": "PACS"})
    assert evaluate(cond({"fact": "asset.owner", "exists": True}), {"asset.owner": "PACS"})


def test_combinators() -> None:
    legacy_shared = cond(
        {
            "all": [
                {"fact": "os.past_end_of_support", "equals": True},
                {
                    "any": [
                        {"fact": "network.shared_segment", "equals": True},
                        {"fact": "network.internet_exposed", "equals": True},
                    ]
                },
            ]
        }
    )
    assert evaluate(legacy_shared, {"os.past_end_of_support": True, "network.shared_segment": True})
    assert not evaluate(
        legacy_shared, {"os.past_end_of_support": True, "network.shared_segment": False}
    )
    assert evaluate(cond({"not": {"fact": "a", "equals": 1}}), {"a": 2})


def test_membership_and_numbers() -> None:
    assert evaluate(cond({"fact": "m", "in": ["always_on", "on_demand"]}), {"m": "on_demand"})
    assert not evaluate(cond({"fact": "m", "not_in": ["none"]}), {"m": "none"})
    assert evaluate(cond({"fact": "n", "gte": 1}), {"n": 3})
    assert not evaluate(cond({"fact": "n", "gt": 365}), {"n": 365})
    assert evaluate(cond({"fact": "n", "lt": 0}), {"n": -4})


def test_booleans_are_not_numbers() -> None:
    assert not evaluate(cond({"fact": "n", "gte": 1}), {"n": True})
    assert not evaluate(cond({"fact": "n", "lte": 5}), {"n": "3"})


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"fact": "x"},
        {"all": [], "fact": "x", "equals": 1},
        {"all": [{"fact": "x", "equals": 1}], "any": [{"fact": "y", "equals": 1}]},
        {"fact": "x", "equals": 1, "unknown_op": 2},
    ],
)
def test_malformed_conditions_are_rejected(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        cond(data)


@given(st.integers(-10_000, 10_000), st.integers(-10_000, 10_000))
def test_numeric_bounds_agree_with_python(value: int, bound: int) -> None:
    assert evaluate(cond({"fact": "n", "gte": bound}), {"n": value}) == (value >= bound)
    assert evaluate(cond({"fact": "n", "lt": bound}), {"n": value}) == (value < bound)
    negated = cond({"not": {"fact": "n", "gte": bound}})
    assert evaluate(negated, {"n": value}) == (value < bound)


def test_checks_of_other_producers_carry_no_condition() -> None:
    from imagewarden.model import Check

    base = {
        "id": "urn:imagewarden:check:t",
        "title": "t",
        "why": "w",
        "severity": "high",
        "safeguards": ["urn:imagewarden:safeguard:x"],
    }
    assert Check.model_validate({**base, "producer": "vulns"}).when is None
    with pytest.raises(ValidationError, match="needs 'when'"):
        Check.model_validate(base)
    with pytest.raises(ValidationError, match="evaluated only by rules"):
        Check.model_validate({**base, "producer": "vulns", "when": {"fact": "x", "equals": 1}})
