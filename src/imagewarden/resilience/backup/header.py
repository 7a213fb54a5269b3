"""A lean DICOM Part-10 header reader for the backup hot path.

It walks the file meta group and the data set up to Pixel Data (7FE0,0010) without reading
pixel values, and decodes only four UIDs (SOP Class, SOP Instance, Study, Series) and the
transfer syntax. Patient attributes are skipped by length and never decoded, so they cannot
end up in a manifest or a log. pydicom is ~10x slower for this job because it builds a full
Dataset; here one pass over a bytes buffer with precompiled structs is enough.

The walk is written twice: here in Python, the reference and the fallback, and in C
(``_header_walk.c``, an optional compiled extension, ~10x faster again), which gives exactly
the same results, errors and ``NeedMore`` sizes. ``read_header`` is the C walk when the
extension was built at install time, this module's ``read_header_python`` otherwise.
"""

from __future__ import annotations

import struct
from typing import Protocol

PREAMBLE = 128
MAGIC = b"DICM"

# Explicit VRs whose length field is 4 bytes after 2 reserved bytes (PS3.5 7.1.2).
_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT", b"SV", b"UV"}
)
# Every other VR of PS3.5 Table 6.2-1 has a 2-byte length.
_SHORT_VRS = frozenset(
    {b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"PN",
     b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US"}
)  # fmt: skip
# What an explicit VR says about its element: how its length is encoded, and whether its
# content (when of undefined length) is walked as explicit VR items.
_SHORT, _IMPLICIT, _LONG, _LONG_SQ, _LONG_UN = 0, 1, 2, 3, 4
_VR_KINDS: dict[bytes, int] = {
    **dict.fromkeys(_SHORT_VRS, _SHORT),
    **dict.fromkeys(_LONG_VRS, _LONG),
    b"SQ": _LONG_SQ,
    b"UN": _LONG_UN,
}
_UNDEFINED = 0xFFFFFFFF
_ITEM = 0xFFFEE000
_ITEM_END = 0xFFFEE00D
_SEQ_END = 0xFFFEE0DD
_PIXEL_DATA = 0x7FE00010
_WANTED = {
    0x00080016: "sop_class",
    0x00080018: "sop_instance",
    0x0020000D: "study",
    0x0020000E: "series",
}
_TS_ELEMENT = 0x0010  # (0002,0010) Transfer Syntax UID
_IMPLICIT_LE = "1.2.840.10008.1.2"
_EXPLICIT_BE = "1.2.840.10008.1.2.2"
_DEFLATED = "1.2.840.10008.1.2.1.99"
_MAX_DEPTH = 16  # nested sequences deeper than this are treated as corruption

_LE_HH = struct.Struct("<HH")
_BE_HH = struct.Struct(">HH")
_LE_H = struct.Struct("<H")
_BE_H = struct.Struct(">H")
_LE_I = struct.Struct("<I")
_BE_I = struct.Struct(">I")
# an element's tag, VR and 2-byte length (explicit VR); its tag and 4-byte length (implicit)
_LE_EXPLICIT = struct.Struct("<HH2sH")
_BE_EXPLICIT = struct.Struct(">HH2sH")
_LE_IMPLICIT = struct.Struct("<HHI")
_BE_IMPLICIT = struct.Struct(">HHI")


class HeaderError(Exception):
    """The header is malformed; ``code`` is a stable problem name for the manifest."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


class NeedMore(Exception):
    """The header continues past the bytes given; retry with at least ``size`` bytes."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class HeaderInfo:
    """The UIDs and pixel data position read from a header. A plain class, not a dataclass:
    this module is imported by every checking process as it starts, and ``dataclasses``
    (with ``inspect``) would be most of that start-up."""

    __slots__ = ("pixel_data_end", "pixel_data_offset", "series", "sop_class", "sop_instance",
                 "study", "transfer_syntax", "walked")  # fmt: skip

    def __init__(
        self,
        transfer_syntax: str = "",
        sop_class: str = "",
        sop_instance: str = "",
        study: str = "",
        series: str = "",
        pixel_data_offset: int = -1,
        pixel_data_end: int = -1,
        walked: bool = True,
    ) -> None:
        self.transfer_syntax = transfer_syntax
        self.sop_class = sop_class
        self.sop_instance = sop_instance
        self.study = study
        self.series = series
        self.pixel_data_offset = pixel_data_offset
        """Byte offset of the Pixel Data element, -1 when the data set has none."""
        self.pixel_data_end = pixel_data_end
        """Offset where defined-length pixel data ends; -1 if undefined length or absent."""
        self.walked = walked
        """False when the data set could not be walked (deflated transfer syntax)."""


def has_magic(buf: bytes) -> bool:
    """The 128-byte preamble is followed by "DICM"."""
    return len(buf) >= PREAMBLE + 4 and buf[PREAMBLE : PREAMBLE + 4] == MAGIC


def _uid(raw: bytes) -> str:
    return raw.rstrip(b"\x00 ").decode("ascii", "replace")


class _Walker:
    """Walks data elements of one encoding in ``buf``; raises NeedMore past the end."""

    __slots__ = (
        "be", "buf", "explicit", "explicit_head", "found", "hh", "i32", "implicit_head", "n",
        "u16", "whole",
    )  # fmt: skip

    def __init__(self, buf: bytes, explicit: bool, big_endian: bool, whole: bool = False) -> None:
        self.buf = buf
        self.whole = whole
        self.n = len(buf)
        self.explicit = explicit
        self.be = big_endian
        self.hh = _BE_HH if big_endian else _LE_HH
        self.u16 = _BE_H if big_endian else _LE_H
        self.i32 = _BE_I if big_endian else _LE_I
        self.explicit_head = _BE_EXPLICIT if big_endian else _LE_EXPLICIT
        self.implicit_head = _BE_IMPLICIT if big_endian else _LE_IMPLICIT
        self.found: dict[str, str] = {}

    def _element(self, pos: int, explicit: bool) -> tuple[int, int, int, bool]:
        """Return (tag, value offset, length, is_sequence) of the element at ``pos``.

        An undefined-length UN element holds implicit VR items (PS3.5 6.2.2), so it is
        reported as a sequence whose content is walked implicitly.
        """
        if pos + 8 > self.n:
            raise NeedMore(pos + 8)
        group, elem = self.hh.unpack_from(self.buf, pos)
        tag = (group << 16) | elem
        if group == 0xFFFE:  # item and delimiters are always implicit-style
            return tag, pos + 8, self.i32.unpack_from(self.buf, pos + 4)[0], False
        if explicit:
            vr = self.buf[pos + 4 : pos + 6]
            if vr in _LONG_VRS:
                if pos + 12 > self.n:
                    raise NeedMore(pos + 12)
                return tag, pos + 12, self.i32.unpack_from(self.buf, pos + 8)[0], vr == b"SQ"
            if vr not in _SHORT_VRS:
                raise HeaderError("bad_vr", f"invalid VR at offset {pos}")
            return tag, pos + 8, self.u16.unpack_from(self.buf, pos + 6)[0], False
        length = self.i32.unpack_from(self.buf, pos + 4)[0]
        return tag, pos + 8, length, length == _UNDEFINED

    def walk(
        self, pos: int, stop_at: int, depth: int, *, top: bool, explicit: bool
    ) -> tuple[int, int]:
        """Walk elements from ``pos``; return (position, pixel tag offset or -1).

        At the top level the walk ends at Pixel Data or the end of the buffer; inside an
        undefined-length item it ends at the item delimiter.
        """
        if depth > _MAX_DEPTH:
            raise HeaderError("nesting_too_deep")
        # This loop runs ~150 times per file and is the whole cost of the header check (and
        # holds the GIL while the hashing threads wait for it), so each element is decoded
        # with one struct call and one dict lookup, and nothing that is not needed is built.
        buf, n = self.buf, self.n
        i32 = self.i32.unpack_from
        head = (self.explicit_head if explicit else self.implicit_head).unpack_from
        kinds = _VR_KINDS
        whole = self.whole and top
        while pos < stop_at:
            if pos + 8 > n:
                if pos == n and whole:
                    return pos, -1
                raise NeedMore(pos + 8)
            if explicit:
                group, elem, vr, length = head(buf, pos)
                kind = _SHORT if group == 0xFFFE else kinds.get(vr)
            else:
                group, elem, length = head(buf, pos)
                kind = _IMPLICIT
            if group == 0xFFFE:
                if elem == 0xE00D and not top:
                    return pos + 8, -1
                raise HeaderError("bad_sequence", f"unexpected delimiter at offset {pos}")
            if group == 0x7FE0 and elem == 0x0010 and top:
                return pos, pos
            if kind is None:
                raise HeaderError("bad_vr", f"invalid VR at offset {pos}")
            if kind >= _LONG:
                if pos + 12 > n:
                    raise NeedMore(pos + 12)
                length = i32(buf, pos + 8)[0]
                value = pos + 12
            else:
                value = pos + 8
            if length == _UNDEFINED:
                # sequences, and OB/UN elements encapsulated like pixel data, end with a
                # sequence delimiter after their items; UN content is implicit VR
                pos = self._sequence(value, depth + 1, explicit and kind != _LONG_UN)
                continue
            end = value + length
            if (group == 0x0008 or group == 0x0020) and top and kind != _LONG_SQ:
                field = _WANTED.get((group << 16) | elem)
                if field is not None:
                    if end > n:
                        raise NeedMore(end)
                    self.found[field] = _uid(buf[value:end])
            pos = end
        if top and pos > n:
            raise NeedMore(pos)
        return pos, -1

    def _sequence(self, pos: int, depth: int, explicit: bool) -> int:
        """Skip an undefined-length sequence starting at its first item; return end."""
        for _ in range(10_000_000):
            tag, value, length, _seq = self._element(pos, False)
            if tag == _SEQ_END:
                return value
            if tag != _ITEM:
                raise HeaderError("bad_sequence", f"expected item at offset {pos}")
            if length == _UNDEFINED:
                pos, _ = self.walk(value, 1 << 62, depth, top=False, explicit=explicit)
            else:
                self._defined_sequence_item(value, value + length, depth)
                pos = value + length
        raise HeaderError("bad_sequence", "too many items")

    def _defined_sequence_item(self, pos: int, end: int, depth: int) -> None:
        if end < pos:
            raise HeaderError("bad_length", f"item length overflows at {pos}")


def _meta(buf: bytes) -> tuple[int, str]:
    """Parse the file meta group (always explicit VR little endian); return (end, syntax)."""
    pos = PREAMBLE + 4
    n = len(buf)
    syntax = ""
    head = _LE_EXPLICIT.unpack_from
    for _ in range(1000):
        if pos + 8 > n:
            raise NeedMore(pos + 8)
        group, elem, vr, length = head(buf, pos)
        if group != 0x0002:
            return pos, syntax
        kind = _VR_KINDS.get(vr)
        if kind is None:
            raise HeaderError("bad_vr", f"invalid VR at offset {pos}")
        if kind >= _LONG:
            if pos + 12 > n:
                raise NeedMore(pos + 12)
            length = _LE_I.unpack_from(buf, pos + 8)[0]
            value = pos + 12
        else:
            value = pos + 8
        if length == _UNDEFINED:
            raise HeaderError("bad_meta", "undefined length in file meta group")
        end = value + length
        if end > n:
            raise NeedMore(end)
        if elem == _TS_ELEMENT:
            syntax = _uid(buf[value:end])
        pos = end
    raise HeaderError("bad_meta", "file meta group too long")


def read_header_python(buf: bytes, *, whole: bool) -> HeaderInfo:
    """Parse a Part-10 header from the first bytes of a file.

    Raises HeaderError for malformed headers (``no_magic`` when the preamble and "DICM" are
    missing) and NeedMore when the buffer ends before Pixel Data or the end of the file;
    ``whole`` says the buffer is the entire file, so its end is the end of the data set and
    NeedMore from a whole file means the file is truncated.
    """
    if not has_magic(buf):
        raise HeaderError("no_magic")
    pos, syntax = _meta(buf)
    if not syntax:
        raise HeaderError("no_transfer_syntax")
    if syntax == _DEFLATED:
        return HeaderInfo(transfer_syntax=syntax, walked=False)
    walker = _Walker(
        buf, explicit=syntax != _IMPLICIT_LE, big_endian=syntax == _EXPLICIT_BE, whole=whole
    )
    try:
        _end, pixel = walker.walk(pos, 1 << 62, 0, top=True, explicit=walker.explicit)
    except HeaderError as exc:
        # Some writers declare explicit VR but write implicit; readers (pydicom, DCMTK)
        # accept that, so a backup of such a file is not corrupt.
        if exc.code != "bad_vr" or not walker.explicit or pos >= len(buf) - 8:
            raise
        if 65 <= buf[pos + 4] <= 90 and 65 <= buf[pos + 5] <= 90:
            raise
        walker = _Walker(buf, explicit=False, big_endian=walker.be, whole=whole)
        _end, pixel = walker.walk(pos, 1 << 62, 0, top=True, explicit=False)
    pixel_end = -1
    if pixel >= 0:
        _tag, value, length, _seq = walker._element(pixel, walker.explicit)
        pixel_end = -1 if length == _UNDEFINED else value + length
    found = walker.found
    return HeaderInfo(
        transfer_syntax=syntax,
        sop_class=found.get("sop_class", ""),
        sop_instance=found.get("sop_instance", ""),
        study=found.get("study", ""),
        series=found.get("series", ""),
        pixel_data_offset=pixel,
        pixel_data_end=pixel_end,
    )


class HeaderReader(Protocol):
    """The signature of ``read_header``, whichever walk it is."""

    def __call__(self, buf: bytes, /, *, whole: bool) -> HeaderInfo: ...


def _pick_reader() -> HeaderReader:
    try:
        from imagewarden.resilience.backup import _header_walk
    except ImportError:  # not built (no compiler at install time): the Python walk
        return read_header_python
    _header_walk.bind(HeaderInfo, HeaderError, NeedMore)
    return _header_walk.read_header


read_header: HeaderReader = _pick_reader()
"""Parse a Part-10 header (``read_header_python`` says how), in C when it is built."""
NATIVE = read_header is not read_header_python
"""The C walk is in use."""
