"""A lean DICOM upper-layer (PS3.8) encoder/decoder for the PDUs discovery needs.

Only what a probe sends or must understand: A-ASSOCIATE-RQ/AC/RJ, A-RELEASE-RQ/RP, A-ABORT and
P-DATA-TF carrying C-ECHO, C-FIND and C-CANCEL command sets. Datasets that a peer sends back
(C-FIND identifiers, which hold patient data) are never decoded: a P-DATA value whose control
header says "dataset" is skipped as opaque bytes. Every decoder treats its input as hostile:
lengths are checked against the buffer and a malformed PDU raises ``PduError``, never anything
else.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"
IMPLICIT_VR_LE = "1.2.840.10008.1.2"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
VERIFICATION = "1.2.840.10008.1.1"

# Our own implementation identity: a UUID-derived root (2.25), so it names no organisation.
IMPLEMENTATION_CLASS_UID = "2.25.177054133384930237620391826416745118245"
IMPLEMENTATION_VERSION = "IMAGEWARDEN_01"

MAX_PDU_LENGTH = 16384
MAX_ACCEPTED_PDU = 1 << 20
"""Bigger PDUs from a peer are refused: discovery never needs more than a few kilobytes."""

ASSOCIATE_RQ, ASSOCIATE_AC, ASSOCIATE_RJ = 0x01, 0x02, 0x03
P_DATA, RELEASE_RQ, RELEASE_RP, ABORT = 0x04, 0x05, 0x06, 0x07

PDU_NAMES = {
    ASSOCIATE_RQ: "A-ASSOCIATE-RQ",
    ASSOCIATE_AC: "A-ASSOCIATE-AC",
    ASSOCIATE_RJ: "A-ASSOCIATE-RJ",
    P_DATA: "P-DATA-TF",
    RELEASE_RQ: "A-RELEASE-RQ",
    RELEASE_RP: "A-RELEASE-RP",
    ABORT: "A-ABORT",
}
HEADER = 6
"""Bytes of a PDU header (type, reserved, 4-byte length); body offsets count after it."""


def named(pdu_type: int) -> str:
    """'an A-ASSOCIATE-AC', 'a P-DATA-TF': a PDU type's name with its article."""
    name = PDU_NAMES.get(pdu_type, f"PDU of type 0x{pdu_type:02x}")
    return ("an " if name.startswith("A-") else "a ") + name


STATUS_SUCCESS = 0x0000
PENDING_STATUSES = frozenset({0xFF00, 0xFF01})
CANCEL_STATUS = 0xFE00


class PduError(ValueError):
    """The peer sent bytes that are not a well-formed PDU."""


@dataclass(frozen=True, slots=True)
class PresentationContext:
    """One proposed presentation context: an abstract syntax and its transfer syntaxes."""

    id: int
    abstract_syntax: str
    transfer_syntaxes: tuple[str, ...] = (IMPLICIT_VR_LE, EXPLICIT_VR_LE)


@dataclass(frozen=True, slots=True)
class AssociateAccept:
    """An A-ASSOCIATE-AC: the peer accepted; what it announced about itself."""

    called_ae: str
    calling_ae: str
    results: dict[int, int]
    """Presentation context id -> result (0 accepted, 1-4 the reasons of PS3.8 9.3.3.2)."""
    max_pdu_length: int | None
    implementation_class_uid: str
    implementation_version: str


@dataclass(frozen=True, slots=True)
class AssociateReject:
    """An A-ASSOCIATE-RJ: result, source and reason (PS3.8 9.3.4)."""

    result: int
    source: int
    reason: int

    def describe(self) -> str:
        """PS3.8 9.3.4 in words, with the numbers, e.g. 'rejected-permanent by the service
        user: calling AE title not recognised (result 1, source 1, reason 3)'."""
        result = _REJECT_RESULTS.get(self.result, "rejected")
        source = _REJECT_SOURCES.get(self.source, "an unknown source")
        reason = _REJECT_REASONS.get((self.source, self.reason), "reason not in PS3.8")
        numbers = f"result {self.result}, source {self.source}, reason {self.reason}"
        return f"{result} by the {source}: {reason} ({numbers})"


_REJECT_RESULTS = {1: "rejected-permanent", 2: "rejected-transient"}
_REJECT_SOURCES = {
    1: "service user",
    2: "service provider (ACSE)",
    3: "service provider (presentation)",
}
_REJECT_REASONS = {
    (1, 1): "no reason given",
    (1, 2): "application context name not supported",
    (1, 3): "calling AE title not recognised",
    (1, 7): "called AE title not recognised",
    (2, 1): "no reason given",
    (2, 2): "protocol version not supported",
    (3, 1): "temporary congestion",
    (3, 2): "local limit exceeded",
}


_ABORT_SOURCES = {0: "service user", 2: "service provider"}
_ABORT_REASONS = {
    0: "reason not specified",
    1: "unrecognised PDU",
    2: "unexpected PDU",
    4: "unrecognised PDU parameter",
    5: "unexpected PDU parameter",
    6: "invalid PDU parameter value",
}


@dataclass(frozen=True, slots=True)
class Abort:
    """An A-ABORT from the peer."""

    source: int
    reason: int

    def describe(self) -> str:
        """PS3.8 9.3.8 in words, with the numbers."""
        source = _ABORT_SOURCES.get(self.source, "an unknown source")
        reason = (
            _ABORT_REASONS.get(self.reason, "reason not in PS3.8")
            if self.source == 2
            else ("no reason given")
        )
        return f"A-ABORT from the {source}: {reason} (source {self.source}, reason {self.reason})"


@dataclass(frozen=True, slots=True)
class PDataValue:
    """One presentation data value of a P-DATA-TF (a command or a dataset fragment)."""

    context_id: int
    is_command: bool
    is_last: bool
    data: bytes


@dataclass(frozen=True, slots=True)
class PData:
    """A P-DATA-TF and its values."""

    values: tuple[PDataValue, ...]


@dataclass(frozen=True, slots=True)
class ReleaseReply:
    """An A-RELEASE-RP."""

    pass


@dataclass(frozen=True, slots=True)
class ReleaseRequest:
    """An A-RELEASE-RQ from the peer."""

    pass


Pdu = AssociateAccept | AssociateReject | Abort | PData | ReleaseReply | ReleaseRequest


# --- encoding -----------------------------------------------------------------------------


def _ae(title: str) -> bytes:
    raw = title.encode("ascii", "strict")
    if not 0 < len(raw) <= 16:
        raise ValueError(f"AE title must be 1-16 ASCII characters: {title!r}")
    return raw.ljust(16, b" ")


def _item(item_type: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", item_type, 0, len(payload)) + payload


def _uid(uid: str) -> bytes:
    return uid.encode("ascii")


def associate_rq(
    calling_ae: str,
    called_ae: str,
    contexts: tuple[PresentationContext, ...],
    max_pdu: int = MAX_PDU_LENGTH,
) -> bytes:
    """Our A-ASSOCIATE-RQ: application context, the proposed contexts, our identity."""
    items = [_item(0x10, _uid(APPLICATION_CONTEXT))]
    for ctx in contexts:
        sub = _item(0x30, _uid(ctx.abstract_syntax))
        sub += b"".join(_item(0x40, _uid(ts)) for ts in ctx.transfer_syntaxes)
        items.append(_item(0x20, struct.pack(">BBBB", ctx.id, 0, 0, 0) + sub))
    user = _item(0x51, struct.pack(">I", max_pdu))
    user += _item(0x52, _uid(IMPLEMENTATION_CLASS_UID))
    user += _item(0x55, IMPLEMENTATION_VERSION.encode("ascii"))
    items.append(_item(0x50, user))
    body = struct.pack(">HH", 1, 0) + _ae(called_ae) + _ae(calling_ae) + bytes(32)
    body += b"".join(items)
    return struct.pack(">BBI", ASSOCIATE_RQ, 0, len(body)) + body


def release_rq() -> bytes:
    """An A-RELEASE-RQ."""
    return struct.pack(">BBII", RELEASE_RQ, 0, 4, 0)


def abort_pdu() -> bytes:
    """An A-ABORT (source: service user)."""
    return struct.pack(">BBIBBBB", ABORT, 0, 4, 0, 0, 0, 0)


def _element(group: int, elem: int, value: bytes) -> bytes:
    if len(value) % 2:
        value += b"\x00"
    return struct.pack("<HHI", group, elem, len(value)) + value


def _command_set(elements: list[tuple[int, bytes]]) -> bytes:
    body = b"".join(_element(0x0000, tag, value) for tag, value in sorted(elements))
    return _element(0x0000, 0x0000, struct.pack("<I", len(body))) + body


def _us(value: int) -> bytes:
    return struct.pack("<H", value)


def _p_data(context_id: int, is_command: bool, data: bytes) -> bytes:
    control = (0x01 if is_command else 0x00) | 0x02  # always one, last, fragment
    pdv = struct.pack(">IBB", len(data) + 2, context_id, control) + data
    return struct.pack(">BBI", P_DATA, 0, len(pdv)) + pdv


def c_echo_rq(context_id: int, message_id: int) -> bytes:
    """A C-ECHO-RQ on the Verification context."""
    command = _command_set(
        [
            (0x0002, _uid(VERIFICATION)),
            (0x0100, _us(0x0030)),
            (0x0110, _us(message_id)),
            (0x0800, _us(0x0101)),
        ]
    )
    return _p_data(context_id, True, command)


def c_find_rq(context_id: int, message_id: int, sop_class: str) -> bytes:
    """A C-FIND-RQ at STUDY level that asks only for Study Instance UID (universal match).

    The identifier holds no patient attribute, so the peer returns as little as it can.
    """
    command = _command_set(
        [
            (0x0002, _uid(sop_class)),
            (0x0100, _us(0x0020)),
            (0x0110, _us(message_id)),
            (0x0700, _us(0)),
            (0x0800, _us(0x0000)),
        ]
    )
    identifier = struct.pack("<HHI", 0x0008, 0x0052, 6) + b"STUDY "
    identifier += struct.pack("<HHI", 0x0020, 0x000D, 0)
    return _p_data(context_id, True, command) + _p_data(context_id, False, identifier)


def c_cancel_rq(context_id: int, message_id: int) -> bytes:
    """A C-CANCEL-RQ for the C-FIND with ``message_id``."""
    command = _command_set(
        [(0x0100, _us(0x0FFF)), (0x0120, _us(message_id)), (0x0800, _us(0x0101))]
    )
    return _p_data(context_id, True, command)


def split_pdus(data: bytes) -> list[tuple[int, bytes]]:
    """(type, body) of each whole PDU in ``data``; used on bytes discovery itself sends."""
    found: list[tuple[int, bytes]] = []
    offset = 0
    while offset + HEADER <= len(data):
        pdu_type, _, length = struct.unpack_from(">BBI", data, offset)
        found.append((pdu_type, data[offset + HEADER : offset + HEADER + length]))
        offset += HEADER + length
    return found


# --- decoding -----------------------------------------------------------------------------


def pdu_length(header: bytes) -> int:
    """Body length announced by a 6-byte PDU header; refuses unknown types and huge sizes."""
    if len(header) != HEADER:
        raise PduError(f"PDU header truncated after {len(header)} of {HEADER} bytes")
    pdu_type, _, length = struct.unpack(">BBI", header)
    if pdu_type not in (ASSOCIATE_AC, ASSOCIATE_RJ, P_DATA, RELEASE_RQ, RELEASE_RP, ABORT):
        raise PduError(f"byte 0 is 0x{pdu_type:02x}, not a PDU type a peer may send")
    if length > MAX_ACCEPTED_PDU:
        raise PduError(too_long(pdu_type, length))
    return int(length)


def too_long(pdu_type: int, length: int) -> str:
    """Why a PDU announcing ``length`` body bytes is refused."""
    return (
        f"bytes 2-5 announce {named(pdu_type)} body of {length} bytes, more than the "
        f"{MAX_ACCEPTED_PDU} discovery accepts"
    )


@dataclass(slots=True)
class _UserInfo:
    max_pdu: int | None = None
    uid: str = ""
    version: str = ""


def _text(raw: bytes) -> str:
    # Implementation UIDs and version names are ASCII; anything else is replaced, not trusted.
    return raw.decode("ascii", "replace").strip(" \x00")


def _items(body: bytes, start: int) -> list[tuple[int, bytes]]:
    """The items of ``body``, which begins at PDU byte ``start`` (for the error's offsets)."""
    items: list[tuple[int, bytes]] = []
    offset = 0
    while offset < len(body):
        at = start + offset
        if offset + 4 > len(body):
            raise PduError(
                f"item header at byte {at} truncated: {len(body) - offset} of 4 bytes present"
            )
        item_type, _, length = struct.unpack_from(">BBH", body, offset)
        begin = offset + 4
        if begin + length > len(body):
            raise PduError(
                f"item 0x{item_type:02x} at byte {at} announces {length} bytes, "
                f"only {len(body) - begin} remain in the PDU"
            )
        items.append((item_type, body[begin : begin + length]))
        offset = begin + length
    return items


def _user_info(payload: bytes, start: int) -> _UserInfo:
    info = _UserInfo()
    for sub_type, value in _items(payload, start):
        if sub_type == 0x51 and len(value) == 4:
            info.max_pdu = struct.unpack(">I", value)[0]
        elif sub_type == 0x52:
            info.uid = _text(value)[:64]
        elif sub_type == 0x55:
            info.version = _text(value)[:16]
    return info


_AC_FIXED = 68
"""Bytes of an A-ASSOCIATE-AC body before its variable items (PS3.8 9.3.3)."""


def _associate_ac(body: bytes) -> AssociateAccept:
    if len(body) < _AC_FIXED:
        raise PduError(
            f"A-ASSOCIATE-AC body has {len(body)} bytes, fewer than its {_AC_FIXED} bytes "
            "of fixed fields"
        )
    called = _text(body[4:20])
    calling = _text(body[20:36])
    results: dict[int, int] = {}
    info = _UserInfo()
    offset = HEADER + _AC_FIXED
    for item_type, value in _items(body[_AC_FIXED:], offset):
        if item_type == 0x21:
            if len(value) < 4:
                raise PduError(f"presentation context item has {len(value)} bytes, fewer than 4")
            results[value[0]] = value[2]
        elif item_type == 0x50:
            info = _user_info(value, offset + 4)
        offset += 4 + len(value)
    return AssociateAccept(called, calling, results, info.max_pdu, info.uid, info.version)


def _p_data_values(body: bytes) -> PData:
    values: list[PDataValue] = []
    offset = 0
    while offset < len(body):
        at = HEADER + offset
        if offset + 6 > len(body):
            raise PduError(f"presentation data value at byte {at} truncated")
        length, context_id, control = struct.unpack_from(">IBB", body, offset)
        if length < 2 or offset + 4 + length > len(body):
            raise PduError(
                f"presentation data value at byte {at} announces {length} bytes, "
                f"{len(body) - offset - 4} remain"
            )
        data = body[offset + 6 : offset + 4 + length]
        values.append(PDataValue(context_id, bool(control & 1), bool(control & 2), data))
        offset += 4 + length
    return PData(tuple(values))


def decode(pdu_type: int, body: bytes) -> Pdu:
    """Decode one PDU body (the bytes after the 6-byte header).

    ``PduError`` names where the PDU breaks, as a byte offset from the PDU's first byte.
    """
    if pdu_type == ASSOCIATE_AC:
        return _associate_ac(body)
    if pdu_type in (ASSOCIATE_RJ, ABORT):
        if len(body) < 4:
            raise PduError(f"{PDU_NAMES[pdu_type]} body has {len(body)} bytes; it needs 4")
        if pdu_type == ASSOCIATE_RJ:
            return AssociateReject(body[1], body[2], body[3])
        return Abort(body[2], body[3])
    if pdu_type == P_DATA:
        return _p_data_values(body)
    if pdu_type == RELEASE_RP:
        return ReleaseReply()
    if pdu_type == RELEASE_RQ:
        return ReleaseRequest()
    raise PduError(f"byte 0 is 0x{pdu_type:02x}, not a PDU type a peer may send")


def command_status(command: bytes) -> tuple[int | None, int | None]:
    """(Command Field, Status) from an implicit-VR command set; anything else is ignored.

    Only group 0000 is read, and only these two unsigned shorts: a command set never carries
    patient data, and the dataset that may follow is never passed here.
    """
    field_value: int | None = None
    status: int | None = None
    offset = 0
    while offset + 8 <= len(command):
        group, element, length = struct.unpack_from("<HHI", command, offset)
        start = offset + 8
        if group != 0x0000 or start + length > len(command):
            break
        if length == 2 and element == 0x0100:
            field_value = struct.unpack_from("<H", command, start)[0]
        elif length == 2 and element == 0x0900:
            status = struct.unpack_from("<H", command, start)[0]
        offset = start + length
    return field_value, status
