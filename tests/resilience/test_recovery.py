"""Recovery planning over the catalog's dependency graph and a real inventory."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagewarden.model import Site, UserInputError
from imagewarden.resilience.data import ResilienceData, load_resilience_data, reference_problems
from imagewarden.resilience.recovery import RecoveryPlan, plan_site
from tests.resilience.department import department

NORTH = Site("north", "North Hospital")


def _plan(data: ResilienceData, measured: dict[str, float] | None = None) -> RecoveryPlan:
    assets = [a for a in department().assets if a.site_id == "north"]
    return plan_site(NORTH, assets, data.services, measured or {})


def test_order_respects_dependencies_then_clinical_priority(data: ResilienceData) -> None:
    plan = _plan(data)
    order = [s.service.id for s in plan.steps]
    position = {sid: i for i, sid in enumerate(order)}
    for step in plan.steps:
        for dep in step.depends_on:
            assert position[dep] < position[step.service.id]
    # after storage, the PACS database (priority 1) goes before the RIS (priority 2)
    assert position["pacs-db"] < position["ris"]
    assert order[:4] == ["network", "dns", "identity", "storage"]
    # services without an asset at the site are left out (no viewers, no remote access)
    assert "viewers" not in position and "remote-access" not in position


def test_steps_name_the_real_assets(data: ResilienceData) -> None:
    step = next(s for s in _plan(data).steps if s.service.id == "pacs-app")
    assert [a.name for a in step.assets] == ["Main PACS"]


def test_restore_test_measurement_replaces_default_and_breaks_72h(data: ResilienceData) -> None:
    fast = _plan(data)
    assert fast.within_target
    assert any("no restore test measured (Main PACS)" in g for g in fast.gaps)
    slow = _plan(data, {"PACS-1": 200.0})
    pacs = next(s for s in slow.steps if s.service.id == "pacs-app")
    assert pacs.measured and pacs.hours == 200.0
    assert not slow.within_target and slow.critical_hours > 72
    assert any("beyond the 72 h target" in g for g in slow.gaps)
    assert not any("no restore test measured (Main PACS)" in g for g in slow.gaps)


def test_four_week_horizon_gap(data: ResilienceData) -> None:
    plan = _plan(data, {"VNA-1": 800.0})
    assert any("beyond four weeks" in g and "Vendor neutral archive" in g for g in plan.gaps)


def test_dependency_cycle_is_a_clear_error(tmp_path: Path) -> None:
    root = tmp_path / "resilience"
    (root / "playbooks").mkdir(parents=True)
    (root / "services.yaml").write_text(
        "- {id: a, title: A, depends_on: [b], clinical_priority: 1, restore_hours: 1,"
        " enterprise: true}\n"
        "- {id: b, title: B, depends_on: [a], clinical_priority: 1, restore_hours: 1,"
        " enterprise: true}\n"
    )
    data = load_resilience_data(root)
    with pytest.raises(UserInputError, match="cycle: a, b"):
        plan_site(NORTH, [], data.services, {})
    assert [str(p) for p in reference_problems(data)] == [
        "services: dependencies form a cycle: a, b"
    ]


def test_bad_catalog_entry_names_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "resilience"
    root.mkdir()
    (root / "services.yaml").write_text(
        "- {id: a, title: A, clinical_priority: 1, restore_hours: 1}\n"
        "- {id: b, title: B, clinical_priority: 9, restore_hours: 1}\n"
    )
    with pytest.raises(UserInputError) as raised:
        load_resilience_data(root)
    assert raised.value.location is not None
    assert raised.value.location.line == 2 and "clinical_priority" in str(raised.value)
