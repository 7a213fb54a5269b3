"""A product whose vendor and name are the same word (Orthanc) is shown once, on every page that
joins vendor and model: the discover summary, the report and the web workspace."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from imagewarden.discovery.fingerprint import display_name
from imagewarden.discovery.interface import Product
from imagewarden.render.labels import product_label
from imagewarden.web.templating import environment
from tests.factories import asset


@pytest.mark.parametrize(
    ("vendor", "model", "shown"),
    [
        ("Orthanc", "Orthanc", "Orthanc"),
        ("orthanc", " Orthanc ", "Orthanc"),
        ("OFFIS", "OFFIS DCMTK", "OFFIS DCMTK"),
        ("Siemens Healthineers", "SOMATOM go.Up", "Siemens Healthineers SOMATOM go.Up"),
        ("GE", "GEneric viewer", "GE GEneric viewer"),  # a prefix of a word is not the vendor
        ("", "Orthanc", "Orthanc"),
        ("Philips", "", "Philips"),
    ],
)
def test_vendor_and_model_are_joined_without_saying_the_vendor_twice(
    vendor: str, model: str, shown: str
) -> None:
    assert product_label(vendor, model) == shown
    assert display_name(Product(vendor, model, "1.0", None)) == shown


def test_the_web_asset_list_names_a_discovered_orthanc_once() -> None:
    found = asset("discovered-10-0-0-5", vendor="Orthanc", model="Orthanc")
    page = SimpleNamespace(total=1, items=[found], offset=0, limit=50)
    html = environment().get_template("assets_table.html").render(page=page, params={})
    assert "<td>Orthanc</td>" in html and "Orthanc Orthanc" not in html
