"""MDS2 forms (Manufacturer Disclosure Statement for Medical Device Security, 2019 edition,
.xlsx): the manufacturer's answers become observations on the asset.

The 2019 form identifies every question by a section code and number (DOC-1, MPII-2,
STCF-1, RMOT-1, SBOM-1, ...). The reader finds those ids in any sheet and column, takes the
Yes/No answer on the same row, and maps the questions the checks use to facts. Answers
describe what the device can do, so capabilities are recorded as ``mds2.*`` facts; only
statements about the device itself (it keeps patient data, an SBOM is available) set the
general facts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from imagewarden.model import Location, Observation, ObservationSource, SubjectKind, UserInputError
from imagewarden.readers.limits import COLUMNS
from imagewarden.readers.xlsx import check_workbook
from imagewarden.store import ObservationBatch

_QUESTION_ID = re.compile(r"^([A-Z]{3,4})-(\d{1,2}(?:\.\d{1,2})?)$")
_ANSWERS = {"yes": True, "y": True, "no": False, "n": False}
MAX_ROWS = 5000
"""Rows of each sheet read (the 2019 form has about 250 question rows)."""

# Question id -> fact. Ids and wording from the MDS2 2019 form (ANSI/NEMA HN 1-2019).
QUESTION_FACTS: Mapping[str, str] = {
    "MPII-2": "phi.stored",  # Does the device maintain personally identifiable information?
    "STCF-1": "mds2.encrypts_at_rest",  # Can the device encrypt data at rest?
    "TXCF-2": "mds2.encrypts_in_transit",  # Is PII encrypted prior to transmission?
    "RMOT-1": "mds2.remote_service",  # Does the device permit remote service connections?
    "AUTH-1": "mds2.user_authentication",  # Does the device support user authentication?
    "MLDP-2": "mds2.antimalware_supported",  # Does the device support anti-malware software?
    "SBOM-1": "docs.sbom_on_file",  # Is the SBOM for this product available?
}


ON_FILE_FACT = "docs.mds2_on_file"
MDS2_FACTS = frozenset({ON_FILE_FACT, *QUESTION_FACTS.values()})
"""Every fact an MDS2 import sets: a new form replaces all of them for its asset."""


@dataclass(frozen=True, slots=True)
class Mds2Form:
    """The answers of one MDS2 form and the facts they give the asset."""

    asset_id: str
    answers: Mapping[str, bool | None]
    """Every question id with a Yes (True), No (False) or other (None) answer."""
    observations: tuple[Observation, ...]

    def batch(self) -> ObservationBatch:
        """The observations as one collector batch: a newer form of the same asset replaces
        every MDS2 fact, so an answer left out of it is unknown again, not stale."""
        return ObservationBatch(
            ObservationSource.ANSWERED,
            self.observations,
            subjects=((SubjectKind.ASSET, self.asset_id),),
            names=MDS2_FACTS,
        )


def _answer(cells: list[object]) -> bool | str | None:
    for cell in cells:
        if cell is None:
            continue
        text = str(cell).strip().lower()
        if text in _ANSWERS:
            return _ANSWERS[text]
        if text in ("n/a", "na", "not applicable", "see note"):
            return None
    return ""


def _answers(path: Path, where: Location) -> dict[str, bool | None]:
    from openpyxl import load_workbook  # loads slowly: only when a form is read

    answers: dict[str, bool | None] = {}
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except UserInputError:
        raise
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise UserInputError(f"not a readable .xlsx workbook: {_problem(exc)}", where) from None
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(max_row=MAX_ROWS, max_col=COLUMNS.value(), values_only=True)
            for row in rows:
                cells = list(row)
                for index, cell in enumerate(cells):
                    found = _QUESTION_ID.match(str(cell).strip()) if cell is not None else None
                    if not found:
                        continue
                    # The question text comes next, then the answer: skip the text cell.
                    answer = _answer(cells[index + 2 :])
                    if answer == "":
                        answer = _answer(cells[index + 1 :])
                    if isinstance(answer, str):
                        break
                    answers.setdefault(found.group(0), answer)
                    break
    except UserInputError:
        raise
    except Exception as exc:  # a malformed sheet fails only when its rows are read
        raise UserInputError(f"not a readable .xlsx workbook: {_problem(exc)}", where) from None
    finally:
        workbook.close()
    return answers


def _problem(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:80]}" if text else type(exc).__name__


def read_mds2(path: Path, asset_id: str, observed_at: dt.datetime) -> Mds2Form:
    """Read an MDS2 2019 workbook's Yes/No answers as facts of ``asset_id``.

    The workbook is checked against the spreadsheet limits (``check_workbook``) before
    openpyxl opens it; only its first ``MAX_ROWS`` rows of each sheet are read.
    """
    where = Location(str(path))
    check_workbook(path)
    answers = _answers(path, where)
    if not answers:
        raise UserInputError(
            "no MDS2 question ids (DOC-1, MPII-1, ...) with Yes/No answers found", where
        )
    collector = f"mds2:{path.name}"

    def fact(name: str, value: bool) -> Observation:
        return Observation(
            SubjectKind.ASSET,
            asset_id,
            name,
            value,
            ObservationSource.ANSWERED,
            observed_at,
            collector,
        )

    observations = [fact(ON_FILE_FACT, True)]
    for question, name in QUESTION_FACTS.items():
        value = answers.get(question)
        if value is not None:
            observations.append(fact(name, value))
    return Mds2Form(asset_id, answers, tuple(observations))
