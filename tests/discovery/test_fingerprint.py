"""Product fingerprints are catalog data with a schema; versions compare numerically."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagewarden.discovery import fingerprint
from imagewarden.discovery.catalog_data import load_discovery_data, shipped_data
from imagewarden.model import UserInputError

SHIPPED = shipped_data()


def test_shipped_fingerprints_name_the_stack_and_flag_old_releases() -> None:
    known = SHIPPED.implementations
    dcmtk = fingerprint.identify(known, "1.2.276.0.7230010.3.0.3.6.7", "OFFIS_DCMTK_367")
    assert dcmtk is not None
    assert (dcmtk.vendor, dcmtk.name, dcmtk.version, dcmtk.outdated) == (
        "OFFIS",
        "DCMTK",
        "3.6.7",
        True,
    )
    newer = fingerprint.identify(known, "1.2.276.0.7230010.3.0.3.6.10", "OFFIS_DCMTK_3610")
    assert newer is not None and newer.version == "3.6.10" and newer.outdated is False
    pynet = fingerprint.identify(known, "1.2.826.0.1.3680043.9.3811.3.0.4", "PYNETDICOM_304")
    assert pynet is not None and pynet.version == "3.0.4" and pynet.outdated is None
    # A UID that merely starts with the same digits is another organisation's root.
    assert fingerprint.identify(known, "1.2.276.0.72300101", "X") is None
    assert fingerprint.identify(known, "9.9.9", "") is None


def test_rest_products_use_the_same_baselines() -> None:
    old = fingerprint.product(SHIPPED, "orthanc", "1.10.1")
    assert old is not None and old.outdated is True
    current = fingerprint.product(SHIPPED, "orthanc", "1.12.4")
    assert current is not None and current.outdated is False


def test_a_broken_fingerprint_file_is_reported_with_file_and_entry(tmp_path: Path) -> None:
    bad = tmp_path / "implementations.yaml"
    bad.write_text("- {id: x, vendor: V, product: P, version_name: '(', source: s}\n")
    with pytest.raises(UserInputError, match=r"implementations.yaml:1 .*entry 1 x: version_name"):
        load_discovery_data(tmp_path)
    bad.write_text("- {id: x, vendor: V, product: P, supported_from: 'new', source: s}\n")
    with pytest.raises(UserInputError, match="supported_from"):
        load_discovery_data(tmp_path)


def test_outdated_compares_versions_like_the_vulnerability_matcher() -> None:
    assert fingerprint.is_outdated("3.6.0", "3.6.8") is True
    assert fingerprint.is_outdated("1.12.4", "1.12.0") is False
    assert fingerprint.is_outdated("2.0", "2.0.0") is False  # same release, not older
    assert fingerprint.is_outdated("PYNETDICOM_304", "3.0.0") is None  # not a version
