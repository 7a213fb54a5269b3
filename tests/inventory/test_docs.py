"""docs/inventory-format.md documents every column, alias and spelling the importer accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagewarden.inventory.columns import ASSET_COLUMNS, SITE_FACT_COLUMNS
from imagewarden.inventory.normalise import ASSET_TYPE_ALIASES
from imagewarden.inventory.services import FLAGS, PROTOCOL_ALIASES
from imagewarden.inventory.values import CHOICE_ALIASES, NETWORK_ZONES
from imagewarden.model import AssetType

DOC = Path(__file__).resolve().parents[2] / "docs" / "inventory-format.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_column_and_alias_is_documented(doc: str) -> None:
    for column in (*ASSET_COLUMNS.columns, *SITE_FACT_COLUMNS.columns):
        for spelling in (column.name, *column.aliases):
            assert f"`{spelling}`" in doc, spelling


def test_every_type_protocol_flag_zone_and_choice_spelling_is_documented(doc: str) -> None:
    spellings = [
        *(t.value for t in AssetType),
        *ASSET_TYPE_ALIASES,
        *PROTOCOL_ALIASES,
        *FLAGS,
        *NETWORK_ZONES.values,
        *(alias for aliases in CHOICE_ALIASES.values() for alias in aliases),
    ]
    for spelling in spellings:
        assert f"`{spelling}`" in doc, spelling
