"""Text from users' files and folders, made safe to show on a terminal.

A file name or a cell may hold terminal control characters (an ESC sequence can rewrite the
screen or the title bar); they are shown escaped (``\\x1b``), never sent to the terminal.
"""

from __future__ import annotations

import unicodedata


def printable(text: str) -> str:
    """``text`` with control characters (other than newline and tab) shown as escapes."""
    if text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        if char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co"):
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)
