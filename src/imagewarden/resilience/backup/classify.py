"""Signs of ransomware or corruption that a file name or raw bytes show without parsing."""

from __future__ import annotations

import math
import re
from collections import Counter

# Note file names left by ransomware families (generic shapes, not a family list): instructions
# to "decrypt", "restore" or "recover" files, usually .txt/.html/.hta next to the victims.
# A plain README.txt is not one: exported archives and CDs carry those.
_RANSOM_NOTE = re.compile(
    r"(decrypt|restore|recover|unlock|ransom|how[_\- ]?to|!+[_\- ]*read[_\- ]?me|instructions?)"
    r".*\.(txt|html?|hta|url|rtf)$",
    re.IGNORECASE,
)
# Extensions that ransomware appends; any unknown suffix after ".dcm" counts as well.
_RANSOM_EXTENSIONS = frozenset(
    {
        ".locked", ".lock", ".encrypted", ".enc", ".crypt", ".crypted", ".cry", ".crypto",
        ".lockbit", ".conti", ".ryk", ".ryuk", ".akira", ".royal", ".blackcat", ".hive",
        ".phobos", ".zepto", ".locky", ".wncry", ".wnry", ".cerber", ".pay", ".ransom",
    }
)  # fmt: skip
_DICOM_EXTENSIONS = frozenset({".dcm", ".dicom", ".dic", ".ima", ".img", ""})
HIGH_ENTROPY = 7.5
"""Bits per byte above which bytes look encrypted (or compressed) rather than DICOM."""
ENTROPY_SAMPLE = 64 * 1024


def is_ransom_note(name: str) -> bool:
    """A file name shaped like a ransom note."""
    return bool(_RANSOM_NOTE.search(name))


def extension_changed(name: str) -> bool:
    """True for "IM1.dcm.locked"-style names or a known ransomware extension."""
    # string operations, not PurePosixPath: this runs once per file of the archive
    stem, suffix = _split_suffix(name)
    if suffix in _RANSOM_EXTENSIONS:
        return True
    return _split_suffix(stem)[1] in {".dcm", ".dicom"} and suffix not in _DICOM_EXTENSIONS


def _split_suffix(name: str) -> tuple[str, str]:
    """(stem, lower-case suffix) as PurePosixPath splits them: a dot that starts or ends the
    name does not start a suffix."""
    dot = name.rfind(".")
    if not 0 < dot < len(name) - 1:
        return name, ""
    return name[:dot], name[dot:].lower()


def entropy(sample: bytes) -> float:
    """Shannon entropy of ``sample`` in bits per byte (0 for empty input)."""
    if not sample:
        return 0.0
    total = len(sample)
    return -sum((c / total) * math.log2(c / total) for c in Counter(sample).values())


# Problems that mean a file would not restore as a usable image. "not_dicom" alone is not one
# (archives hold readme files and thumbnails), unless the bytes look encrypted.
INTEGRITY_PROBLEMS = frozenset(
    {
        "truncated", "encrypted_suspect", "ransom_note", "extension_changed", "empty",
        "missing_uid", "duplicate_sop_instance", "unreadable", "permission_denied",
        "symlink_loop", "broken_symlink", "changed_during_scan",
    }
)  # fmt: skip


def is_integrity_problem(code: str) -> bool:
    """A problem that stops the file restoring as a usable image."""
    return code in INTEGRITY_PROBLEMS or code.startswith("bad_header")
