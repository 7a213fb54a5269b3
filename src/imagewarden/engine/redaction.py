"""Evidence redaction: nothing that identifies a patient or unlocks a system is stored.

Evidence is built from facts, which should never hold patient data; this is the second line
of defence for facts a collector got wrong (a free-text field holding a name, a banner holding
a password).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from imagewarden.model import FactValue

REDACTED = "[redacted]"
_MAX_TEXT = 200
_MISSING = object()

# Names of fields that carry patient identifiers (DICOM keywords and common spellings) or
# secrets. Matched against the whole key and each dotted part, case-insensitively.
_SENSITIVE_KEYS = re.compile(
    r"(patient|birth|accession|mrn|ssn|social_security|otherpatient|issuer_of_patient|"
    r"password|passwd|secret|token|api_?key|credential_value|private_key|cookie)",
    re.IGNORECASE,
)
# Values that look like DICOM person names (FAMILY^GIVEN) or key material.
_PERSON_NAME = re.compile(r"^[^\s^=]+\^[^\s^]*(\^[^\^]*){0,3}$")
_SECRET_VALUE = re.compile(r"(-----BEGIN [A-Z ]*PRIVATE KEY-----|\bpassword\s*[=:])", re.I)


def redact_value(key: str, value: FactValue) -> FactValue:
    """One evidence value with patient identifiers and secrets removed."""
    if _SENSITIVE_KEYS.search(key):
        return REDACTED
    return _redact_text(value) if isinstance(value, str) else value


# typed: a str subclass (an enum's value) keeps its own type in the cache.
@lru_cache(maxsize=65536, typed=True)
def _redact_text(value: str) -> str:
    if _PERSON_NAME.match(value.strip()) or _SECRET_VALUE.search(value):
        return REDACTED
    if len(value) > _MAX_TEXT:
        return value[:_MAX_TEXT] + "…"
    return value


def redact(evidence: Mapping[str, FactValue]) -> dict[str, FactValue]:
    """A copy of ``evidence`` safe to store, log and print."""
    return {key: redact_value(key, value) for key, value in evidence.items()}


def evidence_of(names: Sequence[str]) -> Callable[[Mapping[str, FactValue]], dict[str, FactValue]]:
    """A function picking the facts ``names`` (in this order) a subject has, redacted.

    The same as ``redact`` of those facts, with the names' sensitivity decided once: a check
    shows the same evidence names for every subject it matches.
    """
    shown = tuple((name, bool(_SENSITIVE_KEYS.search(name))) for name in dict.fromkeys(names))

    def pick(facts: Mapping[str, FactValue]) -> dict[str, FactValue]:
        evidence: dict[str, FactValue] = {}
        for name, sensitive in shown:
            value = facts.get(name, _MISSING)
            if value is _MISSING:
                continue
            if sensitive:
                evidence[name] = REDACTED
            elif isinstance(value, str):
                evidence[name] = _redact_text(value)
            else:
                evidence[name] = value  # type: ignore[assignment]
        return evidence

    return pick
