"""Error messages of the vulnerability importers quote at most a short excerpt of a value
(a cell may hold a person's name or a whole document), on one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imagewarden.app import Workspace, installed_capabilities
from imagewarden.catalog import Catalog
from imagewarden.model import UserInputError
from imagewarden.store import Store
from imagewarden.vulns import api

SECRET = "Patient-Jane-Doe-" + "x" * 500


def _feeds(tmp_path: Path) -> dict[str, str]:
    cpe_entry = {"criteria": "cpe:2.3:" + SECRET, "vulnerable": True}
    record = {
        "id": "CVE-2024-0001",
        "published": "2024-01-01",
        "lastModified": "2024-01-02",
        "configurations": [{"nodes": [{"cpeMatch": [cpe_entry]}]}],
    }
    return {
        "nvd-id.json": json.dumps({"vulnerabilities": [{"cve": {"id": SECRET}}]}),
        "nvd-cpe.json": json.dumps({"vulnerabilities": [{"cve": record}]}),
        "kev.json": json.dumps({"catalogVersion": "1", "vulnerabilities": [{"cveID": SECRET}]}),
        "epss-cve.csv": f"cve,epss,percentile\n{SECRET},0.1,0.2\n",
        "epss-number.csv": f"cve,epss,percentile\nCVE-2024-0001,{SECRET},0.2\n",
        "csaf.json": json.dumps(
            {
                "document": {"tracking": {"id": "A"}},
                "product_tree": {},
                "vulnerabilities": [{"cve": SECRET}],
            }
        ),
    }


def test_messages_quote_a_short_excerpt(store: Store, catalog: Catalog, tmp_path: Path) -> None:
    workspace = Workspace(store, catalog, installed_capabilities())
    for name, text in _feeds(tmp_path).items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(UserInputError) as raised:
            api.import_feeds(workspace, [path])
        message = raised.value.message
        assert "\n" not in message, name
        assert "x" * 46 not in message, f"{name}: {message}"
