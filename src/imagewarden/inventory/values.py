"""Parsing of single cell values: booleans, dates, addresses, choices, AE titles, enums.

Every parser takes the raw value as found in the file: a string from CSV, or a string, bool,
number or null from JSON. Parsers return the typed value, or ``None`` when the value says "not
known" (blank, ``unknown``, ``?``, ``n/a``, ``-``), and raise ``ValueProblem`` with a message
and a hint when the value is wrong. Unknown is never turned into "no".
"""

from __future__ import annotations

import datetime as dt
import difflib
import ipaddress
import math
import re
from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

from imagewarden.model import Criticality, FactSpec, FactType, FactValue, NetworkZone

E = TypeVar("E")


class ValueProblem(ValueError):
    """A value that cannot be used, with a hint on how to write it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


UNKNOWN_WORDS = frozenset({"", "unknown", "?", "n/a", "-"})
"""Values that mean "not known": they produce no observation (and never mean "no")."""

TRUE_WORDS = frozenset({"yes", "y", "true", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "0"})
_BOOL_WORDS: dict[str, bool] = {
    **dict.fromkeys(TRUE_WORDS, True),
    **dict.fromkeys(FALSE_WORDS, False),
}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f]")
_KEY_SEPARATORS = re.compile(r"[\s_\-/.]+")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_IP_SEPARATORS = re.compile(r"[;,\s]+")


def value_key(text: str) -> str:
    """Compare words without case; spaces, '_', '-', '/' and '.' are all one separator."""
    return " ".join(_KEY_SEPARATORS.split(text.casefold())).strip()


def is_unknown(raw: object) -> bool:
    """True for null, blank and the words that mean "not known"."""
    if raw is None:
        return True
    return isinstance(raw, str) and raw.strip().casefold() in UNKNOWN_WORDS


def describe(raw: object) -> str:
    """How a raw value is shown in a message: strings quoted, other JSON values by type."""
    if isinstance(raw, str):
        shown = raw if len(raw) <= 60 else raw[:57] + "..."
        return repr(shown)
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float):
        return repr(raw)
    if isinstance(raw, list):
        return "a list"
    if isinstance(raw, dict):
        return "an object"
    return repr(raw)


def closest(word: str, candidates: Iterable[str], n: int = 1) -> list[str]:
    """The candidates most like ``word`` (difflib), best first."""
    return difflib.get_close_matches(word, list(candidates), n=n, cutoff=0.6)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """ "; did you mean 'x'?" or "" when nothing is close."""
    matches = closest(word, candidates)
    return f"; did you mean {matches[0]!r}?" if matches else ""


# --- text -------------------------------------------------------------------------------------


def parse_text(raw: object, *, single_line: bool = False) -> str:
    """Free text: trimmed. JSON integers are accepted (an id of 17 is '17')."""
    if isinstance(raw, str):
        text = raw.strip()
    elif isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
    elif raw is None:
        return ""
    else:
        hint = "put the number in quotes" if isinstance(raw, float) else "write it as text"
        raise ValueProblem(f"expected text, got {describe(raw)}", hint)
    pattern = _CONTROL_OR_NEWLINE if single_line else _CONTROL
    match = pattern.search(text)
    if match is not None:
        code = ord(match.group())
        kind = "a line break" if match.group() in "\r\n" else f"control character U+{code:04X}"
        raise ValueProblem(f"contains {kind}", "remove it; this value must be a single line")
    return text


# --- booleans, integers, dates ----------------------------------------------------------------


def parse_bool(raw: object) -> bool | None:
    """yes/no, y/n, true/false, 1/0 in any case; JSON true/false and 1/0. Unknown -> None."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = raw.strip().casefold()
        value = _BOOL_WORDS.get(word)
        if value is not None:
            return value
        if word in UNKNOWN_WORDS:
            return None
    elif raw is None:
        return None
    raise ValueProblem(
        f"expected yes or no, got {describe(raw)}",
        "use yes/no, y/n, true/false or 1/0; leave blank or write 'unknown' when not known",
    )


def parse_int(raw: object) -> int | None:
    """A non-negative whole number. Unknown -> None."""
    if isinstance(raw, bool):
        raise ValueProblem(f"expected a whole number, got {describe(raw)}")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not math.isfinite(raw) or not raw.is_integer():
            raise ValueProblem(f"expected a whole number, got {describe(raw)}")
        value = int(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        if text.casefold() in UNKNOWN_WORDS:
            return None
        if not _INTEGER.fullmatch(text):
            raise ValueProblem(
                f"expected a whole number, got {describe(raw)}", "write digits only, e.g. 3"
            )
        value = int(text)
    elif raw is None:
        return None
    else:
        raise ValueProblem(f"expected a whole number, got {describe(raw)}")
    if value < 0:
        raise ValueProblem(f"expected a number of 0 or more, got {value}")
    return value


def parse_float(raw: object) -> float | None:
    """A number from text, or a problem."""
    if isinstance(raw, bool):
        raise ValueProblem(f"expected a number, got {describe(raw)}")
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        if text.casefold() in UNKNOWN_WORDS:
            return None
        try:
            value = float(text)
        except ValueError:
            raise ValueProblem(f"expected a number, got {describe(raw)}") from None
    elif raw is None:
        return None
    else:
        raise ValueProblem(f"expected a number, got {describe(raw)}")
    if not math.isfinite(value):
        raise ValueProblem(f"expected a finite number, got {describe(raw)}")
    return value


_DATE_HINT = "write dates as YYYY-MM-DD, e.g. 2024-03-31"


def parse_date(raw: object) -> dt.date | None:
    """An ISO date YYYY-MM-DD, nothing else (day/month order is ambiguous). Unknown -> None."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValueProblem(f"expected a date, got {describe(raw)}", _DATE_HINT)
    text = raw.strip()
    if text.casefold() in UNKNOWN_WORDS:
        return None
    if _DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError as exc:
            raise ValueProblem(f"{text!r} is not a real date: {exc}", _DATE_HINT) from None
    if re.fullmatch(r"\d{4}-\d{1,2}", text):
        raise ValueProblem(
            f"{text!r} has no day",
            "write a full date YYYY-MM-DD; if only the month is known, use its first day",
        )
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        raise ValueProblem(
            f"{text!r} is not a date in YYYY-MM-DD form",
            "use two-digit months and days, e.g. 2024-03-05",
        )
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ][0-9:.+\-Z]+", text):
        raise ValueProblem(f"{text!r} has a time", "give the date only, YYYY-MM-DD: " + text[:10])
    if re.fullmatch(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}", text):
        raise ValueProblem(
            f"{text!r} is ambiguous (day and month order)", "write dates as YYYY-MM-DD"
        )
    raise ValueProblem(f"expected a date, got {describe(raw)}", _DATE_HINT)


# --- addresses --------------------------------------------------------------------------------


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def parse_ip(text: str) -> str:
    """One IPv4 or IPv6 address, in its canonical spelling."""
    if _CANONICAL_IPV4.fullmatch(text):
        return text  # the common case, without the cost of ipaddress
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    hint = "give an IPv4 address like 10.20.30.40 or an IPv6 address like fd00::10"
    if "/" in text:
        hint = "give the device's own address, not a network (no /prefix)"
    elif re.fullmatch(r"[0-9.]+:\d+", text):
        hint = "give the address without a port; ports go in the services column"
    elif re.fullmatch(r"[0-9.]+", text) and re.search(r"(^|\.)0\d", text):
        hint = "leading zeros are not allowed in IPv4 addresses"
    elif re.search(r"[a-zA-Z]", text) and ":" not in text:
        hint = "host names go in the hostname column"
    raise ValueProblem(f"invalid IP address {text!r}", hint)


def parse_ip_list(raw: object) -> tuple[str, ...]:
    """One or more addresses separated by ';', ',' or whitespace (JSON: also a list).

    Addresses come back canonical (``ipaddress`` spelling), in order, without repeats.
    """
    if raw is None:
        return ()
    if isinstance(raw, list):
        tokens: list[str] = []
        for item in raw:
            if not isinstance(item, str):
                raise ValueProblem(f"expected IP addresses as text, got {describe(item)}")
            tokens.extend(t for t in _IP_SEPARATORS.split(item) if t)
    elif isinstance(raw, str):
        tokens = [t for t in _IP_SEPARATORS.split(raw) if t]
    else:
        raise ValueProblem(f"expected IP addresses, got {describe(raw)}")
    if len(tokens) == 1 and tokens[0].casefold() in UNKNOWN_WORDS:
        return ()
    return tuple(dict.fromkeys(parse_ip(token) for token in tokens))


# --- words from a fixed vocabulary ------------------------------------------------------------


class Vocabulary(Generic[E]):
    """Words accepted for one value (enum values plus aliases), compared with ``value_key``."""

    def __init__(self, what: str, values: Mapping[str, E], aliases: Mapping[str, E]) -> None:
        self.what = what
        self.values: tuple[str, ...] = tuple(values)
        self._by_key: dict[str, E] = {}
        for spelling, value in (*values.items(), *aliases.items()):
            key = value_key(spelling)
            existing = self._by_key.get(key, value)
            if existing is not value and existing != value:
                raise ValueError(f"{what}: {spelling!r} names both {existing} and {value}")
            self._by_key[key] = value

    def spellings(self) -> tuple[str, ...]:
        """Every accepted spelling and the value it means."""
        return tuple(self._by_key)

    def lookup(self, raw: object) -> E | None:
        """The value for ``raw``; None when unknown or blank; ValueProblem when not a word."""
        if raw is None:
            return None
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)  # JSON criticality 4 is "4"
        if not isinstance(raw, str):
            raise ValueProblem(
                f"expected the {self.what} as text, got {describe(raw)}", self.hint()
            )
        key = value_key(raw)
        if key in self._by_key:
            return self._by_key[key]
        if raw.strip().casefold() in UNKNOWN_WORDS:
            return None
        raise ValueProblem(
            f"unknown {self.what} {raw.strip()!r}{did_you_mean(key, self._by_key)}", self.hint()
        )

    def hint(self) -> str:
        """A hint listing the accepted values (and the nearest one to ``text``)."""
        return "accepted: " + ", ".join(self.values)


NETWORK_ZONES = Vocabulary(
    "network zone",
    {z.value: z for z in NetworkZone},
    {
        "flat network": NetworkZone.FLAT,
        "enterprise": NetworkZone.CORPORATE,
        "it": NetworkZone.CORPORATE,
        "corp": NetworkZone.CORPORATE,
        "management network": NetworkZone.MANAGEMENT,
        "mgmt": NetworkZone.MANAGEMENT,
        "medical device": NetworkZone.MEDICAL_DEVICE,
        "medical devices": NetworkZone.MEDICAL_DEVICE,
        "biomed": NetworkZone.MEDICAL_DEVICE,
        "biomedical": NetworkZone.MEDICAL_DEVICE,
        "iomt": NetworkZone.MEDICAL_DEVICE,
        "radiology": NetworkZone.IMAGING,
        "imaging network": NetworkZone.IMAGING,
        "guest wifi": NetworkZone.GUEST,
        "demilitarized zone": NetworkZone.DMZ,
        "perimeter": NetworkZone.DMZ,
    },
)

CRITICALITIES = Vocabulary(
    "criticality",
    {c.value: c for c in Criticality},
    {
        "1": Criticality.LOW,
        "2": Criticality.MEDIUM,
        "3": Criticality.HIGH,
        "4": Criticality.CRITICAL,
        "med": Criticality.MEDIUM,
        "moderate": Criticality.MEDIUM,
    },
)

CHOICE_ALIASES: Mapping[str, Mapping[str, str]] = {
    "remote_access.mode": {
        "always on": "always_on",
        "24x7": "always_on",
        "24/7": "always_on",
        "permanent": "always_on",
        "persistent": "always_on",
        "on demand": "on_demand",
        "customer initiated": "on_demand",
        "customer-initiated": "on_demand",
        "no": "none",
        "disabled": "none",
    },
    "media.removable_import": {
        "allowed": "unchecked",
        "open": "unchecked",
        "scanned": "controlled",
        "disabled": "blocked",
    },
    "ai.deployment": {
        "on prem": "on_premises",
        "on premise": "on_premises",
        "on-prem": "on_premises",
        "local": "on_premises",
        "saas": "cloud",
    },
}
"""Extra spellings of choice facts, by fact name (the choices themselves always work)."""

_CHOICE_VOCABULARIES: dict[str, Vocabulary[str]] = {}


def choice_vocabulary(spec: FactSpec) -> Vocabulary[str]:
    """A vocabulary for an enum's values and aliases."""
    vocabulary = _CHOICE_VOCABULARIES.get(spec.name)
    if vocabulary is None:
        aliases = CHOICE_ALIASES.get(spec.name, {})
        vocabulary = Vocabulary[str](
            f"value for {spec.name}",
            {c: c for c in spec.choices},
            {a: v for a, v in aliases.items() if v in spec.choices},
        )
        _CHOICE_VOCABULARIES[spec.name] = vocabulary
    return vocabulary


def parse_fact(spec: FactSpec, raw: object) -> FactValue | None:
    """The value of a fact as its ``FactType`` says; None when not known."""
    if spec.type is FactType.BOOL:
        return parse_bool(raw)
    if spec.type is FactType.INT:
        return parse_int(raw)
    if spec.type is FactType.DATE:
        return parse_date(raw)
    if spec.type is FactType.FLOAT:
        return parse_float(raw)
    if spec.type is FactType.CHOICE:
        return choice_vocabulary(spec).lookup(raw)
    if is_unknown(raw):
        return None
    return parse_text(raw) or None


# --- DICOM AE titles and ports ----------------------------------------------------------------

AE_TITLE_MAX = 16


def parse_ae_title(raw: object) -> str:
    """A DICOM AE title: 1-16 characters of the default repertoire, no backslash or controls.

    Leading and trailing spaces are not significant in DICOM and are removed.
    """
    if not isinstance(raw, str):
        raise ValueProblem(f"expected an AE title as text, got {describe(raw)}")
    title = raw.strip(" ")
    if not title:
        raise ValueProblem("empty AE title", "an AE title has 1 to 16 characters")
    if len(title) > AE_TITLE_MAX:
        raise ValueProblem(
            f"AE title {title!r} is {len(title)} characters long",
            f"DICOM AE titles have at most {AE_TITLE_MAX} characters",
        )
    if "\\" in title:
        raise ValueProblem(f"AE title {title!r} contains a backslash", "DICOM forbids '\\'")
    for char in title:
        if not (" " <= char <= "~"):
            raise ValueProblem(
                f"AE title {title!r} contains {'control' if char < ' ' else 'non-ASCII'} "
                f"character U+{ord(char):04X}",
                "AE titles use letters, digits, spaces and ASCII punctuation only",
            )
    return title


def parse_port(raw: object) -> int:
    """A TCP/UDP port number from text, or a problem."""
    if isinstance(raw, bool):
        raise ValueProblem(f"expected a port number, got {describe(raw)}")
    if isinstance(raw, str):
        text = raw.strip()
        if not (text.isascii() and text.isdigit()):
            raise ValueProblem(f"invalid port {text!r}", "a port is a number from 1 to 65535")
        port = int(text)
    elif isinstance(raw, int):
        port = raw
    else:
        raise ValueProblem(f"expected a port number, got {describe(raw)}")
    if not 1 <= port <= 65535:
        raise ValueProblem(f"port {port} is out of range", "a port is a number from 1 to 65535")
    return port
