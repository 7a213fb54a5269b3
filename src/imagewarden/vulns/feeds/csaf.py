"""CSAF 2.0 advisories (JSON): products of the product tree joined to their CVEs.

A CVE that NVD has not analysed yet often has an advisory naming the product and the affected
versions (e.g. ICSMA advisories for imaging products); these become product mentions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from imagewarden.catalog.products import ProductDictionary
from imagewarden.model import Location, UserInputError
from imagewarden.model.versions import read_version
from imagewarden.readers.compressed import open_maybe_gzip
from imagewarden.readers.json import load_json_bytes
from imagewarden.vulns.feeds.source import excerpt
from imagewarden.vulns.interface import CsafAdvisory, ProductMention
from imagewarden.vulns.names import product_keys

_CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
_AFFECTED = ("known_affected", "first_affected", "last_affected")
MAX_BYTES = 50_000_000
"""Largest CSAF document read (decompressed); real advisories are well under 1 MB."""


def version_spec(text: str) -> list[tuple[str, str]]:
    """'<1.5.8', 'vers:generic/>=1.0|<2.0', '>= 4.0 | <= 4.6', 'HD 16 | HD23', 'vers:all/*'.

    Returns (op, version) pairs; ('range', 'lo|hi') for a closed range, ('', '') for any.
    """
    spec = text.strip()
    if spec.startswith("vers:"):
        spec = spec.split("/", 1)[1] if "/" in spec else ""
    if spec in ("", "*"):
        return [("", "")]
    parts = [p.strip() for p in spec.split("|") if p.strip()]
    parsed = [read_version(p) for p in parts]  # the one reading: "3.6.9+ DEV" is >= 3.6.9
    ops = [reading if reading[0] else ("=", p) for reading, p in zip(parsed, parts, strict=True)]
    lower = [v for op, v in ops if op in (">=", ">")]
    upper = [v for op, v in ops if op in ("<=", "<")]
    if len(ops) == 2 and lower and upper:
        return [("range", f"{lower[0]}|{upper[0]}")]
    if any(not op for op, _ in parsed) and len(parts) == 1:
        return [("", "")]  # prose such as "with wireless option": every version
    return ops


def _walk(branch: Mapping[str, Any], path: dict[str, str], out: dict[str, dict[str, str]]) -> None:
    children = branch.get("branches")
    if not isinstance(children, list):
        return
    for child in children:
        if not isinstance(child, Mapping):
            continue
        here = dict(path)
        here[str(child.get("category", ""))] = str(child.get("name", ""))
        product = child.get("product")
        if isinstance(product, Mapping) and product.get("product_id"):
            out[str(product["product_id"])] = {**here, "full": str(product.get("name", ""))}
        _walk(child, here, out)


def read_csaf(path: Path, dictionary: ProductDictionary) -> Iterator[CsafAdvisory]:
    """The advisory in a CSAF 2.0 JSON file (one per file)."""
    where = Location(str(path))
    with open_maybe_gzip(path) as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise UserInputError(f"CSAF document larger than {MAX_BYTES // 1_000_000} MB", where)
    doc = load_json_bytes(data, str(path))
    document = doc.get("document") if isinstance(doc, Mapping) else None
    tracking = document.get("tracking") if isinstance(document, Mapping) else None
    tree = doc.get("product_tree") if isinstance(doc, Mapping) else None
    if not isinstance(tracking, Mapping) or "id" not in tracking or not isinstance(tree, Mapping):
        raise UserInputError(
            "not a CSAF 2.0 advisory (document.tracking.id and product_tree needed)", where
        )
    advisory_id = str(tracking["id"])
    vulnerabilities = doc.get("vulnerabilities") or []
    if not isinstance(vulnerabilities, list):
        raise UserInputError("'vulnerabilities' is not a list", where)
    products: dict[str, dict[str, str]] = {}
    _walk(tree, {}, products)
    pairs: list[tuple[str, ProductMention]] = []
    for number, vuln in enumerate(vulnerabilities, start=1):
        cve = vuln.get("cve") if isinstance(vuln, Mapping) else None
        if cve is None:
            continue
        if not isinstance(cve, str) or not _CVE_ID.match(cve):
            raise UserInputError(
                f"vulnerability {number}: cve {excerpt(cve, 40)} is not a CVE id",
                Location(str(path), field="vulnerabilities"),
            )
        status = vuln.get("product_status")
        if not isinstance(status, Mapping):
            continue
        ids = [
            pid
            for key in _AFFECTED
            if isinstance(status.get(key), list)
            for pid in status[key]
            if isinstance(pid, str | int)
        ]
        for pid in ids:
            info = products.get(str(pid))
            if info is None:
                continue
            vendor = info.get("vendor", "")
            name = info.get("product_name", "") or info.get("product_family", "")
            keys = product_keys(dictionary, vendor, name)
            if keys is None:
                continue
            version_text = info.get("product_version_range", "") or info.get("product_version", "")
            for op, version in version_spec(version_text):
                pairs.append(
                    (
                        cve,
                        ProductMention(
                            vendor_key=keys[0],
                            product_key=keys[1],
                            label=f"{vendor} {name} {version_text}".strip()[:300],
                            version_op=op,
                            version=version[:100],
                            source=f"csaf:{advisory_id}"[:80],
                        ),
                    )
                )
    yield CsafAdvisory(advisory_id=advisory_id, mentions=tuple(pairs))
