"""Choosing the importer, and the rule that no input ever ends in a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imagewarden.inventory import (
    CsvImporter,
    ImportContext,
    InventoryInputError,
    JsonImporter,
    importer_for,
    read_inventory,
)
from imagewarden.inventory.columns import ASSET_COLUMNS, FACT_ALIASES, REQUIRED_COLUMNS
from imagewarden.model import FACTS, SubjectKind, UserInputError

from .util import HEADER, write


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.csv", CsvImporter),
        ("a.CSV", CsvImporter),
        ("a.txt", CsvImporter),
        ("a.json", JsonImporter),
        ("a.Json", JsonImporter),
    ],
)
def test_importer_by_suffix(name: str, kind: type) -> None:
    assert isinstance(importer_for(Path(name)), kind)


@pytest.mark.parametrize("name", ["inventory.xlsx", "inventory", "inventory.csv.gz"])
def test_unknown_suffix_names_the_supported_ones(
    tmp_path: Path, context: ImportContext, name: str
) -> None:
    path = write(tmp_path, name, f"{HEADER}\nA,S,N,ct\n")
    with pytest.raises(InventoryInputError) as info:
        read_inventory(path, context)
    assert isinstance(info.value, UserInputError)
    assert "supported: .csv, .txt, .json" in str(info.value)


def test_every_importable_fact_has_a_column() -> None:
    columns = {c.fact.name for c in ASSET_COLUMNS.columns if c.fact is not None}
    expected = {
        spec.name
        for spec in FACTS.values()
        if spec.subject is SubjectKind.ASSET
        and not spec.derived
        and not spec.name.startswith("asset.")
    }
    assert columns == expected
    for name in expected:
        assert ASSET_COLUMNS.by_name[name.replace(".", "_")].fact is FACTS[name]


def test_fact_aliases_name_registered_facts() -> None:
    assert set(FACT_ALIASES) <= set(FACTS)
    assert REQUIRED_COLUMNS == ("id", "site", "name", "type")


_CSV_PIECES = st.sampled_from(
    [
        HEADER,
        "\n",
        ",",
        ";",
        '"',
        "A",
        "ct",
        "10.0.0.1",
        "dicom:104",
        "yes",
        "\r\n",
        "\x00",
        "\xff",
        "é",
        "services",
        "ae_title",
        "phi",
        "2024-01-01",
        "x_",
        " ",
    ]
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_CSV_PIECES, max_size=40).map("".join), st.booleans())
def test_csv_never_crashes(tmp_path: Path, context: ImportContext, text: str, latin: bool) -> None:
    data = text.encode("latin-1", "replace") if latin else text.encode("utf-8", "replace")
    path = write(tmp_path, "fuzz.csv", data)
    try:
        read_inventory(path, context)
    except InventoryInputError as error:
        assert error.problems and str(error)


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from(["ct", "S", "A", "10.0.0.1", "dicom", "yes", "2024-01-01", "", "dicom:104"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "site",
                    "name",
                    "type",
                    "assets",
                    "sites",
                    "services",
                    "facts",
                    "protocol",
                    "port",
                    "ae_title",
                    "phi",
                    "format",
                    "zz",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_JSON_VALUES)
def test_json_never_crashes(tmp_path: Path, context: ImportContext, document: object) -> None:
    import json

    path = write(tmp_path, "fuzz.json", json.dumps(document))
    try:
        read_inventory(path, context)
    except InventoryInputError as error:
        assert error.problems and str(error)
