"""Words and colours a reader sees for the domain's enum values, shared by every renderer."""

from __future__ import annotations

import datetime as dt

from imagewarden.model import (
    AssetCategory,
    AssetType,
    Criticality,
    DefenseLayer,
    FactValue,
    FindingStatus,
    FrameworkRef,
    SafeguardType,
    Severity,
)

SEVERITIES_DESC: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -s.rank))
"""Critical first: the order in which every table and chart lists severities."""

SEVERITY_LABEL: dict[Severity, str] = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
    Severity.INFO: "Info",
}

# Colour-blind safe (ColorBrewer RdBu, safe for every common colour-vision deficiency):
# critical, high and medium differ in lightness as well as hue, low is blue and info grey,
# so each severity stays distinct for deuteranopes, protanopes, tritanopes and in greyscale
# print. Text on a severity colour uses SEVERITY_INK (contrast >= 4.5:1, WCAG AA).
SEVERITY_COLOUR: dict[Severity, str] = {
    Severity.CRITICAL: "#67001f",
    Severity.HIGH: "#b2182b",
    Severity.MEDIUM: "#f4a582",
    Severity.LOW: "#2166ac",
    Severity.INFO: "#5a6270",
}

SEVERITY_INK: dict[Severity, str] = {
    Severity.CRITICAL: "#ffffff",
    Severity.HIGH: "#ffffff",
    Severity.MEDIUM: "#1f2933",
    Severity.LOW: "#ffffff",
    Severity.INFO: "#ffffff",
}
"""Text colour on each severity's colour."""

STATUS_LABEL: dict[FindingStatus, str] = {
    FindingStatus.OPEN: "Open",
    FindingStatus.ACCEPTED: "Accepted risk",
    FindingStatus.MITIGATED: "Mitigated",
    FindingStatus.FALSE_POSITIVE: "False positive",
}

CRITICALITY_RANK: dict[Criticality, int] = {
    Criticality.LOW: 0,
    Criticality.MEDIUM: 1,
    Criticality.HIGH: 2,
    Criticality.CRITICAL: 3,
}

LAYER_LABEL: dict[DefenseLayer, str] = {
    DefenseLayer.GOVERNANCE: "Governance",
    DefenseLayer.PEOPLE: "People",
    DefenseLayer.PHYSICAL: "Physical",
    DefenseLayer.NETWORK: "Network",
    DefenseLayer.DEVICE: "Device",
    DefenseLayer.APPLICATION: "Application",
    DefenseLayer.DATA: "Data",
    DefenseLayer.RECOVERY: "Recovery",
}

SAFEGUARD_TYPE_LABEL: dict[SafeguardType, str] = {
    SafeguardType.TECHNICAL: "Technical",
    SafeguardType.ADMINISTRATIVE: "Administrative",
    SafeguardType.PHYSICAL: "Physical",
}

SITE_WIDE = "site"
"""Category key of findings about a whole site rather than one asset."""

CATEGORY_LABEL: dict[str, str] = {
    AssetCategory.MODALITY.value: "Modalities",
    AssetCategory.WORKSTATION.value: "Workstations",
    AssetCategory.ARCHIVE.value: "PACS / VNA",
    AssetCategory.INFORMATION_SYSTEM.value: "RIS / reporting",
    AssetCategory.VIEWER.value: "Viewers",
    AssetCategory.AI.value: "AI applications",
    AssetCategory.CLOUD.value: "Cloud services",
    AssetCategory.REMOTE_ACCESS.value: "Remote access",
    AssetCategory.INTEGRATION.value: "Integration engines",
    AssetCategory.NETWORK.value: "Network devices",
    AssetCategory.UNKNOWN.value: "Unclassified assets",
    SITE_WIDE: "Site-wide",
}

_FRAMEWORK_SHORT: dict[str, str] = {
    "nist-csf-2.0": "NIST CSF 2.0",
    "hicp": "HICP",
    "hipaa": "HIPAA",
    "hipaa-security-rule": "HIPAA",
    "hph-cpg": "HPH CPG",
}

_NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
)


def framework_label(framework_id: str) -> str:
    """Short name of a framework as auditors write it ('NIST CSF 2.0', 'HICP')."""
    return _FRAMEWORK_SHORT.get(framework_id, framework_id)


def ref_label(ref: FrameworkRef) -> str:
    """One citation as text, naming the edition when the catalog gives one."""
    name = framework_label(ref.framework)
    if ref.edition and ref.edition not in name:
        name = f"{name} ({ref.edition})"
    return f"{name} {ref.id}"


def number_word(n: int, *, capital: bool = False) -> str:
    """Small counts as words, as plain-language prose writes them; larger ones as digits."""
    word = _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)
    return word.capitalize() if capital else word


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """``singular`` for one, else ``plural_form`` (default: ``singular`` + s)."""
    return singular if n == 1 else (plural_form or singular + "s")


def format_hours(hours: float) -> str:
    """A duration given in hours as people say it: "2.5 h", "12 min", never "0.0 h"."""
    if hours >= 1:
        return f"{hours:.1f} h"
    minutes = hours * 60
    return f"{round(minutes)} min" if minutes >= 1 else "under a minute"


def format_fact(value: FactValue | None) -> str:
    """A fact value as a reader sees it: yes/no, ISO dates, short floats."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return format_when(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


def format_when(value: dt.datetime | dt.date | None) -> str:
    """A date, or a time with its zone, as text; a dash when unknown."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%d %H:%M")
        return f"{text} {value.tzname()}" if value.tzinfo is not None else text
    return value.isoformat()


def product_label(vendor: str, model: str) -> str:
    """Vendor and model as one name, without saying the vendor twice: ('Orthanc', 'Orthanc')
    -> 'Orthanc', ('OFFIS', 'OFFIS DCMTK') -> 'OFFIS DCMTK', ('Siemens', 'SOMATOM') ->
    'Siemens SOMATOM'."""
    vendor, model = vendor.strip(), model.strip()
    if not vendor:
        return model
    if not model:
        return vendor
    said = vendor.casefold()
    if model.casefold() == said or model.casefold().startswith(said + " "):
        return model  # the model already names its vendor
    return f"{vendor} {model}"


_TYPE_WORDS = {"pacs": "PACS", "vna": "VNA", "ris": "RIS", "ai": "AI"}


def asset_type_label(value: str) -> str:
    """'ct' -> 'CT', 'ai_application' -> 'AI application', 'pacs' -> 'PACS'."""
    try:
        if AssetType(value).is_modality:
            return value.upper()
    except ValueError:
        pass
    words = [_TYPE_WORDS.get(w, w) for w in value.split("_")]
    text = " ".join(words)
    return text[0].upper() + text[1:] if text else text


GRADE_COLOUR = {"A": "#1e7b4a", "B": "#3b7d23", "C": "#8a6100", "D": "#b9410c", "F": "#8b1a1a"}
"""Colour of each readiness grade (gauge, board page)."""
