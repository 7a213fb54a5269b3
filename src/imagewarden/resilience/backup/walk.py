"""List the files of an archive directory in a stable order, reporting what cannot be listed.

Symlinks that stay inside the tree are followed (archives are often assembled from links),
with a set of visited directories so a link back to an ancestor is reported once instead of
looping. A link whose target leaves the tree is reported as ``link_outside_tree`` and never
read (a hostile tree could otherwise make the scan hash and copy /etc/passwd), unless the
caller opts in with ``follow_links``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from imagewarden.resilience.backup.scan import _os_problem, inside_tree

ORTHANC_INDEX_FILES = frozenset({"index", "index-wal", "index-shm", "index-journal"})


@dataclass(frozen=True, slots=True)
class Entry:
    """A listed path (relative to the root) and, when it could not be listed, why."""

    rel: str
    problem: str = ""
    """Set when the entry could not be listed (it is reported, not scanned)."""


def _is_hex2(name: str) -> bool:
    return len(name) == 2 and all(c in "0123456789abcdef" for c in name)


def is_orthanc_storage(root: Path) -> bool:
    """Orthanc's storage area: two levels of two-hex-digit folders holding attachments."""
    try:
        names = [p.name for p in root.iterdir() if p.name not in ORTHANC_INDEX_FILES]
    except OSError:
        return False
    return bool(names) and all(_is_hex2(n) and (root / n).is_dir() for n in names)


def _repeat_kind(root: Path, rel_dir: str, rel: str) -> str:
    """A link to an ancestor is a loop; a link to another listed folder is a repeat."""
    target = os.path.realpath(root / rel)
    here = os.path.realpath(root / rel_dir)
    return "symlink_loop" if (here + os.sep).startswith(target + os.sep) else "symlink_repeat"


def _leaves_tree(root: Path, entry: os.DirEntry[str]) -> bool:
    try:
        is_link = entry.is_symlink()
    except OSError:
        return False
    return is_link and not inside_tree(str(root), os.path.realpath(entry.path))


def _plain_file(entry: os.DirEntry[str]) -> bool:
    """A regular file, not a link, by the type the directory listing gave (no system call
    where the file system reports types); a file swapped after listing is refused when it
    is opened, as for any entry."""
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def walk(root: Path, *, follow_links: bool = False) -> Iterator[Entry]:
    """Yield every regular file under ``root`` (relative POSIX paths), sorted, depth first;
    links leaving the tree are yielded as problems unless ``follow_links``."""
    orthanc = is_orthanc_storage(root)
    top = root.stat()
    visited = {(top.st_dev, top.st_ino)}
    stack: list[str] = [""]
    for _ in range(100_000_000):
        if not stack:
            return
        rel_dir = stack.pop()
        try:
            with os.scandir(root / rel_dir if rel_dir else root) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield Entry(rel_dir or ".", _os_problem(exc))
            continue
        subdirs: list[str] = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if orthanc and not rel_dir and entry.name in ORTHANC_INDEX_FILES:
                continue
            if not follow_links and _leaves_tree(root, entry):
                yield Entry(rel, "link_outside_tree")
                continue
            if _plain_file(entry):  # most entries: no stat here (the checker's open has it)
                yield Entry(rel)
                continue
            try:
                st = entry.stat(follow_symlinks=True)
            except OSError as exc:
                problem = _os_problem(exc)
                yield Entry(rel, "broken_symlink" if problem == "vanished" else problem)
                continue
            if stat.S_ISDIR(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if key in visited:
                    yield Entry(rel, _repeat_kind(root, rel_dir, rel))
                    continue
                visited.add(key)
                subdirs.append(rel)
            elif stat.S_ISREG(st.st_mode):
                yield Entry(rel)
            else:
                yield Entry(rel, "not_regular_file")
        stack.extend(reversed(subdirs))
