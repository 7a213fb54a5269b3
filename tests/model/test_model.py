"""Domain model invariants other capabilities rely on."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from imagewarden.model import (
    FACTS,
    AssetCategory,
    AssetType,
    FactType,
    Location,
    NetworkZone,
    Severity,
    SubjectKind,
    UserInputError,
    finding_fingerprint,
)


def test_every_asset_type_has_a_category() -> None:
    assert {t.category for t in AssetType} == set(AssetCategory)
    modalities = {t.value for t in AssetType if t.is_modality}
    assert modalities == {"ct", "mr", "us", "dx", "cr", "mg", "nm", "pt", "xa", "rf", "dexa"}


def test_shared_zones() -> None:
    shared = {z.value for z in NetworkZone if z.is_shared}
    assert shared == {"clinical", "corporate", "flat", "guest"}


def test_severity_order() -> None:
    assert [s.rank for s in Severity] == [0, 1, 2, 3, 4]


def test_fingerprint_is_stable_and_distinct() -> None:
    check = "urn:imagewarden:check:os-end-of-life"
    fingerprint = finding_fingerprint(check, SubjectKind.ASSET, "CT-1")
    # Published ids must never change between releases: this value is frozen on purpose.
    assert fingerprint == "iwf-8c6fad8b9bfabd6baada"
    assert re.fullmatch(r"iwf-[0-9a-f]{20}", fingerprint)
    assert fingerprint != finding_fingerprint(check, SubjectKind.ASSET, "CT-2")
    assert fingerprint != finding_fingerprint(check, SubjectKind.SERVICE, "CT-1")


def test_fact_names_and_types() -> None:
    for name, spec in FACTS.items():
        assert name == spec.name
        assert re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", name), name
        assert bool(spec.choices) == (spec.type is FactType.CHOICE), name
        assert spec.description.strip(), name


def test_user_input_error_names_the_place() -> None:
    error = UserInputError("bad value", Location("assets.csv", 4, 12, "phi_stored"), "yes or no")
    assert str(error) == "assets.csv:4:12 (phi_stored): bad value (yes or no)"
    assert str(UserInputError("no database")) == "no database"


def test_every_exported_name_resolves_to_its_module_s_object() -> None:
    import imagewarden.model as model
    from imagewarden.model import errors, facts

    namespace: dict[str, object] = {}
    exec("from imagewarden.model import *", namespace)
    assert set(model.__all__) <= set(namespace) and set(model.__all__) <= set(dir(model))
    assert model.UserInputError is errors.UserInputError and model.FACTS is facts.FACTS
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        _ = model.Nothing


def test_the_errors_and_facts_load_without_pydantic() -> None:
    """Each name loads its own module on first use: a command that needs only the errors,
    enums and facts (``backup verify``) does not pay for pydantic and the catalog schemas."""
    probe = (
        "import sys\n"
        "from imagewarden.model import FACTS, SubjectKind, UserInputError\n"
        "print(sorted(m for m in ('pydantic', 'imagewarden.model.catalog') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
