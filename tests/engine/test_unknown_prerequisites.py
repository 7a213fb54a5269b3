"""Unknown is not "no" in the catalog: a prerequisite fact the inventory leaves empty never
suppresses a check whose problem fact is known (issue 10, item 2)."""

from __future__ import annotations

import pytest

from imagewarden.catalog import Catalog
from imagewarden.engine.conditions import evaluate
from imagewarden.model import FactValue

# check -> (the problem fact that is known, the prerequisite left empty in the first case)
CASES: list[tuple[str, dict[str, FactValue], str]] = [
    ("phi-unencrypted-at-rest", {"phi.encrypted_at_rest": False}, "phi.stored"),
    ("mds2-phi-without-encryption-at-rest", {"mds2.encrypts_at_rest": False}, "phi.stored"),
    ("archive-without-immutable-backup", {"backup.immutable": False}, "backup.covered"),
    ("vendor-remote-access-without-mfa", {"remote_access.mfa": False}, "remote_access.enabled"),
    (
        "vendor-remote-access-shared-account",
        {"remote_access.shared_account": True},
        "remote_access.enabled",
    ),
    (
        "vendor-remote-access-not-logged",
        {"remote_access.session_logging": False},
        "remote_access.enabled",
    ),
    (
        "no-antimalware-no-allowlisting",
        {"endpoint.antimalware": False},
        "endpoint.application_allowlisting",
    ),
    (
        "vendor-without-baa",
        {"contract.baa_on_file": False, "asset.category": "modality"},
        "phi.stored",
    ),
]


@pytest.mark.parametrize(("check", "known", "empty"), CASES)
def test_an_empty_prerequisite_does_not_suppress_the_check(
    catalog: Catalog, check: str, known: dict[str, FactValue], empty: str
) -> None:
    when = catalog.checks[f"urn:imagewarden:check:{check}"].when
    assert when is not None
    assert evaluate(when, known), f"{check} is suppressed while {empty} is unknown"


@pytest.mark.parametrize(("check", "known", "empty"), CASES)
def test_a_prerequisite_known_false_still_rules_the_check_out(
    catalog: Catalog, check: str, known: dict[str, FactValue], empty: str
) -> None:
    when = catalog.checks[f"urn:imagewarden:check:{check}"].when
    assert when is not None
    ruled_out: dict[str, FactValue] = {**known, empty: False}
    if check == "no-antimalware-no-allowlisting":
        ruled_out[empty] = True  # allow-listing known present: protected
    if check == "vendor-without-baa":
        ruled_out["remote_access.enabled"] = False
    assert not evaluate(when, ruled_out)
