"""File-name and byte signs of ransomware."""

from __future__ import annotations

import os

import pytest

from imagewarden.resilience.backup.classify import (
    HIGH_ENTROPY,
    entropy,
    extension_changed,
    is_ransom_note,
)


@pytest.mark.parametrize(
    "name",
    ["HOW_TO_DECRYPT.txt", "RESTORE-MY-FILES.html", "!!!README!!!.txt", "recover_files.hta"],
)
def test_ransom_notes(name: str) -> None:
    assert is_ransom_note(name)


@pytest.mark.parametrize("name", ["README.txt", "IM0001.dcm", "DICOMDIR", "report.pdf"])
def test_ordinary_files_are_not_ransom_notes(name: str) -> None:
    assert not is_ransom_note(name)


@pytest.mark.parametrize(
    ("name", "changed"),
    [("IM1.dcm.locked", True), ("IM1.dcm.x7k2q", True), ("scan.encrypted", True),
     ("IM1.dcm", False), ("1.2.840.113619.2.55", False), ("IM1", False)],
)  # fmt: skip
def test_extension_changes(name: str, changed: bool) -> None:
    assert extension_changed(name) is changed


def test_entropy_separates_random_from_structured_bytes() -> None:
    assert entropy(os.urandom(65536)) > HIGH_ENTROPY
    assert entropy(b"DICM" * 1000 + bytes(range(256))) < HIGH_ENTROPY
    assert entropy(b"") == 0.0
