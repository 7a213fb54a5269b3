"""Version comparison that survives vendor schemes.

Imaging vendors write versions as "VA20A", "syngo CT VB20A", "3.6.7", "1.12.3-1",
"2.4.1 SP2" or "12.2.8.410". A version is split into runs of digits and letters; digits
compare as numbers, letters as text. A missing trailing part counts as zero, except that a
pre-release word (alpha, beta, rc, ...) sorts before the release and any other letter suffix
after it ("4.0e" is later than "4.0").
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"\d+|[a-z]+")
_PRE = {"alpha", "a", "beta", "b", "rc", "pre", "dev", "preview"}
_PRODUCT_WORD = re.compile(r"^[a-z][a-z.\-]*$")

Token = int | str


def _strip_product_words(text: str) -> str:
    """Drop leading words without digits ("syngo CT VB20A" -> "VB20A", "enCORE 15" -> "15")."""
    words = text.split()
    while len(words) > 1 and _PRODUCT_WORD.match(words[0]):
        words.pop(0)
    return " ".join(words)


@lru_cache(maxsize=65536)
def version_key(text: str) -> tuple[Token, ...]:
    """A sort key for a version string that orders vendor schemes sensibly."""
    cleaned = _strip_product_words(text.strip().lower())
    if cleaned.startswith("v") and cleaned[1:2].isdigit():
        cleaned = cleaned[1:]
    return tuple(int(t) if t.isdigit() else t for t in _TOKEN.findall(cleaned))


def _compare_token(a: Token, b: Token) -> int:
    if isinstance(a, int) and isinstance(b, int):
        return (a > b) - (a < b)
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    # A number against letters at the same place: numbers are the later release line
    # ("2.0.1" after "2.0.beta"), which matches how vendors append letter builds.
    return 1 if isinstance(a, int) else -1


def _compare_tail(token: Token) -> int:
    """How a leftover token compares with nothing."""
    if isinstance(token, int):
        return 1 if token > 0 else 0
    return -1 if token in _PRE else 1


@lru_cache(maxsize=1 << 18)
def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as version ``a`` is before, equal to or after version ``b``.

    Memoised: feeds repeat the same bounds and fleets the same versions."""
    ka, kb = version_key(a), version_key(b)
    for x, y in zip(ka, kb, strict=False):
        result = _compare_token(x, y)
        if result:
            return result
    if len(ka) == len(kb):
        return 0
    if len(ka) > len(kb):
        for token in ka[len(kb) :]:
            tail = _compare_tail(token)
            if tail:
                return tail
        return 0
    for token in kb[len(ka) :]:
        tail = _compare_tail(token)
        if tail:
            return -tail
    return 0


@lru_cache(maxsize=65536)
def is_version(text: str) -> bool:
    """True when the text carries a comparable version (at least one digit)."""
    return any(isinstance(t, int) for t in version_key(text))


_PHRASE = re.compile(r"^\s*(<=|>=|<|>|=)?\s*v?(\d[\w.\-]*\w|\d)", re.I)
_OPEN_END = re.compile(r"^\s*(?:\+|(?:and|or)\s+(?:later|newer|above|higher)\b)", re.I)


@lru_cache(maxsize=65536)
def read_version(text: str) -> tuple[str, str]:
    """The one reading of a version phrase, for inventories, advisories and descriptions.

    '3.6.9' -> ('=', '3.6.9'); '< 1.5.8' -> ('<', '1.5.8'); '3.6.9+ DEV', '3.6.9+' and
    '3.6.9 and later' -> ('>=', '3.6.9'): a build at or after 3.6.9, never release 3.6.9
    itself; text that does not start with a version -> ('', '').
    """
    found = _PHRASE.match(text)
    if found is None:
        return "", ""
    op = found.group(1) or "="
    if op == "=" and _OPEN_END.match(text[found.end() :]):
        op = ">="
    return op, found.group(2)


def open_ended(text: str) -> str:
    """The base of an open-ended version ('3.6.9' for '3.6.9+ DEV'), or '' for any other."""
    op, version = read_version(text)
    return version if op == ">=" else ""


def satisfies(version: str, op: str, bound: str) -> bool:
    """``version op bound`` with op one of <, <=, =, >=, >."""
    result = compare(version, bound)
    return {
        "<": result < 0,
        "<=": result <= 0,
        "=": result == 0,
        ">=": result >= 0,
        ">": result > 0,
    }[op]


def in_range(
    version: str,
    *,
    start_including: str = "",
    start_excluding: str = "",
    end_including: str = "",
    end_excluding: str = "",
) -> bool:
    """NVD version range test; an empty bound does not restrict."""
    if start_including and compare(version, start_including) < 0:
        return False
    if start_excluding and compare(version, start_excluding) <= 0:
        return False
    if end_including and compare(version, end_including) > 0:
        return False
    return not (end_excluding and compare(version, end_excluding) >= 0)
