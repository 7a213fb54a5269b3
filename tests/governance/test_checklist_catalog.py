"""Checklist catalog integrity: enough questions per audience, every reference resolves."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from imagewarden.catalog import Catalog, load_catalog, validate_catalog
from imagewarden.catalog.loader import default_catalog_dir
from imagewarden.model import UserInputError
from imagewarden.model.checklist import CSF_FUNCTIONS, Audience


def test_at_least_80_questions_over_all_six_audiences(catalog: Catalog) -> None:
    audiences = Counter(c.audience for c in catalog.checklists.values())
    assert set(audiences) == set(Audience)
    total = sum(len(c.questions) for c in catalog.checklists.values())
    assert total >= 80
    functions = {q.function for c in catalog.checklists.values() for q in c.questions}
    assert functions == set(CSF_FUNCTIONS)


def test_every_question_cites_existing_requirements_and_safeguards(catalog: Catalog) -> None:
    assert validate_catalog(catalog) == []
    csf = {r.id for r in catalog.frameworks["nist-csf-2.0"].requirements}
    assert len(csf) == 106
    for checklist in catalog.checklists.values():
        for q in checklist.questions:
            assert q.rationale and q.evidence
            assert all(s in catalog.safeguards for s in q.safeguards)
            cited = [r for r in q.refs if r.framework == "nist-csf-2.0"]
            assert cited and all(r.id in csf for r in cited)
            for ref in q.refs:
                if ref.framework == "hicp":
                    assert ref.edition == "2019"


def test_the_proposed_rule_is_a_framework_with_a_source(catalog: Catalog) -> None:
    nprm = catalog.frameworks["hipaa-nprm-2025"]
    assert "90 FR 898" in nprm.source and "proposed" in nprm.title.lower()
    cited = {
        r.id
        for c in catalog.checklists.values()
        for q in c.questions
        for r in q.refs
        if r.framework == "hipaa-nprm-2025"
    }
    assert {"backups-48-hours", "restore-72-hours", "multifactor-authentication"} <= cited


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    shutil.copytree(default_catalog_dir(), root)
    return root


def test_a_wrong_reference_is_reported_by_validation(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "checklists" / "executive.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("id: GV.RR-01}", "id: GV.RR-09}", 1), encoding="utf-8")
    broken = root / "checklists" / "ai-governance.yaml"
    text = broken.read_text(encoding="utf-8")
    broken.write_text(
        text.replace("ai-vendor-due-diligence]", "no-such-safeguard]", 1), encoding="utf-8"
    )
    problems = [str(p) for p in validate_catalog(load_catalog(root))]
    assert any("exec-01" in p and "GV.RR-09" in p for p in problems)
    assert any("ai-03" in p and "no-such-safeguard" in p for p in problems)


def test_a_question_without_rationale_is_refused_with_the_file_named(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "checklists" / "vendor-management.yaml"
    lines = [
        ln
        for ln in path.read_text(encoding="utf-8").splitlines()
        if "rationale: Remote service and cloud vendors" not in ln
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(UserInputError) as caught:
        load_catalog(root)
    assert "vendor-management.yaml" in str(caught.value)
    assert "rationale" in str(caught.value)
