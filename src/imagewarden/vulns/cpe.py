"""CPE 2.3 formatted strings: parsing and the names assets are matched by."""

from __future__ import annotations

import re
from dataclasses import dataclass

from imagewarden.model import UserInputError
from imagewarden.vulns.feeds.source import excerpt

_PREFIX = "cpe:2.3:"
_SPLIT = re.compile(r"(?<!\\):")


@dataclass(frozen=True, slots=True)
class Cpe:
    """The fields of a CPE 2.3 name that matching uses (lower case, unescaped)."""

    part: str
    vendor: str
    product: str
    version: str
    update: str


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def parse_cpe(text: str) -> Cpe:
    """Parse ``cpe:2.3:part:vendor:product:version:update:...``; raises ValueError."""
    if not text.startswith(_PREFIX):
        raise ValueError(f"not a CPE 2.3 name: {excerpt(text)}")
    fields = _SPLIT.split(text[len(_PREFIX) :])
    if len(fields) != 11 or fields[0] not in ("a", "o", "h", "*"):
        raise ValueError(f"a CPE 2.3 name has 13 fields: {excerpt(text)}")
    part, vendor, product, version, update = (_unescape(f).lower() for f in fields[:5])
    return Cpe(part, vendor, product, version, update)


def parse_cpe_input(text: str, where: str) -> Cpe:
    """``parse_cpe`` for user input: a bad name is a user error naming ``where``."""
    try:
        return parse_cpe(text)
    except ValueError as exc:
        raise UserInputError(str(exc), hint=where) from None


def cpe_name(text: str) -> str:
    """A product or vendor name in CPE style: 'Mirth Connect' -> 'mirth_connect'."""
    return re.sub(r"[^a-z0-9.+\-]+", "_", text.strip().lower()).strip("_")


def is_any(value: str) -> bool:
    """'*' (ANY) and '-' (not applicable) put no condition on a version or update."""
    return value in ("*", "-", "")
