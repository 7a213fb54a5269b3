"""Evidence redaction: nothing that identifies a patient or unlocks a system is stored.

Evidence is built from facts, which should never hold patient data; this is the second line
of defence for facts a collector got wrong (a free-text field holding a name, a banner holding
a password).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from imagewarden.model import FactValue

REDACTED = "[redacted]"
_MAX_TEXT = 200

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
    # The type is part of the cache key: True == 1 must not share an entry.
    """One evidence value with patient identifiers and secrets removed."""
    return _redact_value(key, type(value).__name__, value)


@lru_cache(maxsize=65536)
def _redact_value(key: str, _kind: str, value: FactValue) -> FactValue:
    if _SENSITIVE_KEYS.search(key):
        return REDACTED
    if isinstance(value, str):
        if _PERSON_NAME.match(value.strip()) or _SECRET_VALUE.search(value):
            return REDACTED
        if len(value) > _MAX_TEXT:
            return value[:_MAX_TEXT] + "…"
    return value


def redact(evidence: Mapping[str, FactValue]) -> dict[str, FactValue]:
    """A copy of ``evidence`` safe to store, log and print."""
    return {key: redact_value(key, value) for key, value in evidence.items()}
