"""Hostile files for the vulnerability importers, small on disk and huge when read.

Deflate and gzip let a short file describe gigabytes: a block compressed once and ended with
a full flush holds no reference to what came before it, so repeating its bytes repeats its
content (a zip part or one gzip stream); gzip members can also simply be concatenated.
"""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

BLOCK = 1 << 20


def flushed(data: bytes) -> bytes:
    """Raw deflate of ``data`` ending in a full flush: repeatable, not final."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


FINAL = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
"""An empty final deflate block."""


class Part:
    """A zip part given as pieces of (content, times): its deflate stream is built from
    one compressed copy of each piece, repeated."""

    def __init__(self, pieces: Sequence[tuple[bytes, int]]) -> None:
        self.stream = b"".join(flushed(content) * times for content, times in pieces) + FINAL
        self.size = sum(len(content) * times for content, times in pieces)


def write_zip(path: Path, parts: dict[str, bytes | Part]) -> None:
    """A zip of deflated parts (the CRC of a crafted part is left 0: readers must stop at a
    limit long before the end, where a CRC is checked)."""
    out = io.BytesIO()
    directory = []
    for name, content in parts.items():
        if isinstance(content, Part):
            data, crc, size = content.stream, 0, content.size
        else:
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
            data = compressor.compress(content) + compressor.flush()
            crc, size = zlib.crc32(content), len(content)
        encoded = name.encode()
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0
            )
        )
        out.write(encoded)
        out.write(data)
        directory.append((encoded, crc, len(data), size, offset))
    start = out.tell()
    for encoded, crc, compressed, size, offset in directory:
        out.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                compressed,
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
        )
        out.write(encoded)
    end = out.tell()
    out.write(
        struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, len(directory), len(directory), end - start, start, 0
        )
    )
    path.write_bytes(out.getvalue())


def _skeleton() -> dict[str, bytes]:
    """The parts of a real one-sheet workbook with a shared string."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["MPII-2", "Does the device maintain PII?", "Yes"])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1">'
)
_SHEET_TAIL = b"</row></sheetData></worksheet>"
_SST_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _with_strings(parts: dict[str, bytes | Part], strings: Part) -> dict[str, bytes | Part]:
    """Declare a shared-strings part, as Excel writes it, and add it."""
    types = parts["[Content_Types].xml"]
    rels = parts["xl/_rels/workbook.xml.rels"]
    assert isinstance(types, bytes) and isinstance(rels, bytes)
    parts["[Content_Types].xml"] = types.replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        b"</Relationships>",
        b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml" Id="rId99"/></Relationships>',
    )
    parts[STRINGS] = strings
    return parts


def xlsx_many_cells(path: Path, cells: int = 26_000_000) -> Path:
    """One row of ``cells`` cells (26 million fit in about 3 MB)."""
    per_block = 65_536
    parts: dict[str, bytes | Part] = dict(_skeleton())
    parts[SHEET] = Part(
        [(_SHEET_HEAD, 1), (b"<c><v>1</v></c>" * per_block, cells // per_block), (_SHEET_TAIL, 1)]
    )
    write_zip(path, parts)
    return path


def xlsx_many_strings(path: Path, strings: int = 100_000_000) -> Path:
    """``strings`` shared strings (100 million fit in a few MB)."""
    per_block = 65_536
    pieces = [(_SST_HEAD, 1), (b"<si><t>a</t></si>" * per_block, strings // per_block)]
    write_zip(path, _with_strings(dict(_skeleton()), Part([*pieces, (b"</sst>", 1)])))
    return path


def xlsx_huge_string(path: Path, size: int = 2 * 1024**3 - 1024) -> Path:
    """One shared string of ``size`` characters (2 GiB in about 2 MB)."""
    pieces = [(_SST_HEAD + b"<si><t>", 1), (b"a" * BLOCK, size // BLOCK)]
    write_zip(path, _with_strings(dict(_skeleton()), Part([*pieces, (b"</t></si></sst>", 1)])))
    return path


def xlsx_malformed_sheet(path: Path) -> Path:
    """A workbook whose sheet is not well-formed XML."""
    parts: dict[str, bytes | Part] = dict(_skeleton())
    parts[SHEET] = _SHEET_HEAD + b"<c><v>1</v></row>"
    write_zip(path, parts)
    return path


def gzip_long_line(path: Path, size: int = 5 * 1024**3) -> Path:
    """An EPSS-looking .csv.gz whose second line is ``size`` bytes (5 GiB in about 5 MB)."""
    member = gzip.compress(b"a" * BLOCK, compresslevel=9)
    with path.open("wb") as out:
        out.write(gzip.compress(b"cve,epss,percentile\nCVE-2024-0001,"))
        for _ in range(size // BLOCK):
            out.write(member)
    return path


def deep_json(depth: int, inner: str = "[", outer: str = "]") -> bytes:
    """``depth`` nested arrays."""
    return (inner * depth + outer * depth).encode()
