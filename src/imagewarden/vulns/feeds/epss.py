"""FIRST EPSS scores (CSV, plain or gzip) with the ``#model_version:...,score_date:...`` line."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from imagewarden.model import Location, UserInputError
from imagewarden.vulns.feeds.source import open_binary
from imagewarden.vulns.interface import EpssScore

_CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
_SCORE_DATE = re.compile(r"score_date:(\d{4}-\d{2}-\d{2})")


def _probability(text: str, column: str, where: Location) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UserInputError(f"{column} {text[:20]!r} is not a number", where) from None
    if not 0.0 <= value <= 1.0:
        raise UserInputError(f"{column} {value} is outside 0..1", where)
    return value


def read_epss(path: Path) -> Iterator[EpssScore]:
    """Every score of a FIRST EPSS CSV file (plain or gzip), streamed."""
    score_date = ""
    header: list[str] | None = None
    with open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        try:
            for line_number, line in enumerate(text, start=1):
                if line.startswith("#"):
                    found = _SCORE_DATE.search(line)
                    score_date = found.group(1) if found else score_date
                    continue
                if not line.strip():
                    continue
                row = next(csv.reader([line]))
                if header is None:
                    header = [c.strip().lower() for c in row]
                    missing = {"cve", "epss", "percentile"} - set(header)
                    if missing:
                        raise UserInputError(
                            f"not an EPSS CSV: columns {', '.join(sorted(missing))} missing",
                            Location(str(path), line_number),
                        )
                    continue
                where = Location(str(path), line_number)
                if len(row) != len(header):
                    raise UserInputError(
                        f"{len(row)} fields, the header has {len(header)}; "
                        "nothing from this file was imported",
                        where,
                    )
                values = dict(zip(header, row, strict=True))
                cve = values["cve"].strip()
                if not _CVE_ID.match(cve):
                    raise UserInputError(f"cve {cve[:40]!r} is not a CVE id", where)
                yield EpssScore(
                    cve=cve,
                    epss=_probability(values["epss"], "epss", where),
                    percentile=_probability(values["percentile"], "percentile", where),
                    score_date=values.get("epss_date", "").strip() or score_date,
                )
        except UnicodeDecodeError:
            raise UserInputError("not UTF-8 text", Location(str(path))) from None
    if header is None:
        raise UserInputError("no EPSS header row (cve,epss,percentile)", Location(str(path)))
