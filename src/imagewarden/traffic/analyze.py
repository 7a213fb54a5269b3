"""Read a capture (files, or folders of rotated files) in time order as one capture."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from imagewarden.model import Location, UserInputError
from imagewarden.traffic.decode import AnalyzeOptions, Analyzer
from imagewarden.traffic.model import CaptureBatch, CaptureFile
from imagewarden.traffic.pcapfile import first_timestamp, read_capture

Progress = Callable[[int, int], None]
"""Called with (bytes read so far, bytes in all files)."""


def capture_files(paths: Sequence[Path]) -> list[Path]:
    """The files to read, in the order their packets were captured.

    A folder stands for the rotated files inside it (tcpdump ``-C``/``-G``, dumpcap ring
    buffers): every regular file not starting with a dot. Files are ordered by the time of
    their first packet (then by name), so a ring buffer whose names wrapped is still read in
    capture order.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if not inside:
                raise UserInputError("the folder holds no capture files", Location(str(path)))
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        elif not path.exists():
            raise UserInputError("no such file or folder", Location(str(path)))
        else:
            raise UserInputError("is not a regular file or folder", Location(str(path)))
    unique: dict[Path, None] = {}
    for path in found:
        unique.setdefault(path.resolve(), None)
    timed = [(first_timestamp(p), p.name, p) for p in unique]
    timed.sort(key=lambda item: (item[0] is not None, item[0] or 0.0, item[1]))
    return [p for _ts, _name, p in timed]


def analyze_files(
    paths: Sequence[Path],
    options: AnalyzeOptions = AnalyzeOptions(),
    progress: Progress = lambda _done, _total: None,
    site_id: str | None = None,
) -> CaptureBatch:
    """Analyse the capture made of ``paths`` in one pass; see ``capture_files``."""
    files = capture_files(paths)
    total = sum(p.stat().st_size for p in files) or 1
    analyzer = Analyzer(options)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress(min(done, total), total)

    summaries = []
    undecoded = 0
    for path in files:
        summary = read_capture(path, analyzer, advance)
        summaries.append(summary)
        undecoded += summary.undecoded_packets
    analyzer.finish()
    progress(total, total)
    starts = [s.first_ts for s in summaries if s.first_ts is not None]
    ends = [s.last_ts for s in summaries if s.last_ts is not None]
    return CaptureBatch(
        files=tuple(
            CaptureFile(s.name, s.format, s.bytes, s.packets, s.first_ts, s.last_ts)
            for s in summaries
        ),
        flows=analyzer.table.records(),
        stats=analyzer.stats(undecoded),
        started=min(starts) if starts else None,
        ended=max(ends) if ends else None,
        analyzed_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        site_id=site_id,
    )
