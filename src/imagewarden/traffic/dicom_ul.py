"""Our own DICOM upper-layer parser (PS3.8 section 9.3), fed one TCP direction at a time.

What is read: A-ASSOCIATE-RQ/AC/RJ (AE titles, application context, presentation contexts
and their results, implementation class UID and version, maximum PDU length, the *type* of a
user identity), A-RELEASE, A-ABORT, and in P-DATA-TF only the PDVs that carry a command set
(command field, SOP class, status, move destination, message ids).

What is never read: data-set PDVs (their length is added to a skip count and their bytes are
never looked at or copied: identifiers of a C-FIND, images of a C-STORE) and the username,
passcode or token of a user identity negotiation (only its type is kept).

The parser is a state machine over bytes as they arrive: headers are collected in a small
buffer (bounded, and charged to the analysis budget), so any split of the stream into
segments, down to one byte each, gives the same result. A length that lies or a PDU that
makes no sense is counted as malformed; the parser then hunts for the next plausible PDU
header instead of trusting the stream further.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Protocol

from imagewarden.traffic.flows import HUGE, Budget, Connection, Direction

# PDU types
ASSOCIATE_RQ, ASSOCIATE_AC, ASSOCIATE_RJ, P_DATA, RELEASE_RQ, RELEASE_RP, ABORT = range(1, 8)

MAX_ASSOCIATE_PDU = 128 * 1024
"""Association PDUs beyond this are refused as malformed (real ones are a few kilobytes)."""
MAX_COMMAND = 16 * 1024
"""A command set is a few hundred bytes; a longer one is malformed."""
MAX_HUNT_PDU = 64 << 20
"""While resynchronising, a candidate P-DATA PDU longer than this is not believed."""
MAX_CONTEXTS = 256
MAX_SET = 64
MAX_ASSOCIATIONS = 16
"""Associations kept per connection (PS3.8 allows one; more is counted, then ignored)."""

COMMANDS = {
    0x0001: "C-STORE",
    0x0010: "C-GET",
    0x0020: "C-FIND",
    0x0021: "C-MOVE",
    0x0030: "C-ECHO",
    0x0100: "N-EVENT-REPORT",
    0x0110: "N-GET",
    0x0120: "N-SET",
    0x0130: "N-ACTION",
    0x0140: "N-CREATE",
    0x0150: "N-DELETE",
    0x0FFF: "C-CANCEL",
}
USER_IDENTITY_TYPES = {
    1: "username",
    2: "username-and-passcode",
    3: "kerberos",
    4: "saml",
    5: "jwt",
}


class Position(Protocol):
    """Where the reader is: the file and the packet number (for notes, never content)."""

    file: str
    pkt: int


_U16 = struct.Struct(">H").unpack_from
_U32 = struct.Struct(">I").unpack_from
_ITEM = struct.Struct(">BxH").unpack_from
_PDV = struct.Struct(">IBB").unpack_from
_ELEMENT = struct.Struct("<HHI").unpack_from
_LE16 = struct.Struct("<H").unpack_from


def status_class(status: int) -> str:
    """PS3.7 annex C: success, pending, cancel, warning or failure."""
    if status == 0:
        return "success"
    if status in (0xFF00, 0xFF01):
        return "pending"
    if status == 0xFE00:
        return "cancel"
    if status == 0x0001 or 0xB000 <= status <= 0xBFFF or status == 0x0107 or status == 0x0116:
        return "warning"
    return "failure"


def text_of(raw: bytes, limit: int = 64) -> str:
    """Printable ASCII of a header field: padding stripped, anything else shown as '?'."""
    cleaned = raw[:limit].rstrip(b"\x00 ").lstrip(b" ")
    return "".join(chr(c) if 0x20 <= c < 0x7F else "?" for c in cleaned)


def uid_of(raw: bytes) -> str:
    """A UID from the wire; anything that is not digits and dots is kept as '?'."""
    raw = raw[:64].rstrip(b"\x00 ")
    return raw.decode("ascii") if raw and not raw.translate(None, b"0123456789.") else "?"


@dataclass
class Association:
    """What one association showed: negotiation, outcome and DIMSE operations (counts)."""

    calling: str = ""
    called: str = ""
    app_context: str = ""
    requested: bool = False
    """The A-ASSOCIATE-RQ was seen (False: the capture started after it)."""
    client_impl_uid: str = ""
    client_impl_version: str = ""
    server_impl_uid: str = ""
    server_impl_version: str = ""
    client_max_pdu: int | None = None
    server_max_pdu: int | None = None
    user_identity: str = ""
    user_identity_answered: bool = False
    proposed: dict[int, str] = field(default_factory=dict)
    """Presentation context id -> abstract syntax UID."""
    results: dict[int, int] = field(default_factory=dict)
    """Presentation context id -> result (0 accepted)."""
    outcome: str = "unknown"
    """accepted | rejected | aborted | no-answer | unknown (started before the capture)."""
    ending: str = ""
    """released | aborted | '' (still open, or the connection just closed)."""
    reject: tuple[int, int, int] | None = None
    abort: tuple[int, int] | None = None
    requests_by_client: dict[str, int] = field(default_factory=dict)
    requests_by_server: dict[str, int] = field(default_factory=dict)
    responses: dict[tuple[str, str], int] = field(default_factory=dict)
    sop_classes: set[str] = field(default_factory=set)
    move_destinations: set[str] = field(default_factory=set)
    data_bytes_to_server: int = 0
    data_bytes_to_client: int = 0
    data_sets_to_server: int = 0
    data_sets_to_client: int = 0

    def accepted_syntaxes(self) -> set[str]:
        """Abstract syntaxes whose presentation context was accepted."""
        return {
            uid for ctx, uid in self.proposed.items() if self.results.get(ctx) == 0 and uid != "?"
        }


def _items(body: bytes, start: int) -> list[tuple[int, int, int]]:
    """(type, value start, value end) of each variable item; stops at an inconsistency."""
    found = []
    pos, end = start, len(body)
    while pos + 4 <= end:
        kind, length = _ITEM(body, pos)
        value = pos + 4
        if value + length > end:
            break
        found.append((kind, value, value + length))
        pos = value + length
    return found


def parse_associate(assoc: Association, body: bytes, request: bool) -> bool:
    """Read an A-ASSOCIATE-RQ (``request``) or -AC body into ``assoc``; False if malformed."""
    if len(body) < 68:
        return False
    if request:
        assoc.requested = True
        assoc.called = text_of(body[4:20], 16)
        assoc.calling = text_of(body[20:36], 16)
    consistent = True
    items = _items(body, 68)
    consumed = items[-1][2] if items else 68
    if consumed != len(body):
        consistent = False
    for kind, start, end in items:
        if kind == 0x10:
            assoc.app_context = uid_of(body[start:end])
        elif kind == 0x20 and request and end - start >= 4:
            ctx = body[start]
            for sub, s, e in _items(body[:end], start + 4):
                if sub == 0x30 and len(assoc.proposed) < MAX_CONTEXTS:
                    assoc.proposed[ctx] = uid_of(body[s:e])
        elif kind == 0x21 and not request and end - start >= 4:
            if len(assoc.results) < MAX_CONTEXTS:
                assoc.results[body[start]] = body[start + 2]
        elif kind == 0x50:
            _user_information(assoc, body[:end], start, request)
    return consistent


def _user_information(assoc: Association, body: bytes, start: int, request: bool) -> None:
    for sub, s, e in _items(body, start):
        if sub == 0x51 and e - s == 4:
            size = _U32(body, s)[0]
            if request:
                assoc.client_max_pdu = size
            else:
                assoc.server_max_pdu = size
        elif sub == 0x52:
            if request:
                assoc.client_impl_uid = uid_of(body[s:e])
            else:
                assoc.server_impl_uid = uid_of(body[s:e])
        elif sub == 0x55:
            if request:
                assoc.client_impl_version = text_of(body[s:e], 16)
            else:
                assoc.server_impl_version = text_of(body[s:e], 16)
        elif sub == 0x58 and e > s:
            # Only the type: the fields that follow hold a username, passcode or token.
            assoc.user_identity = USER_IDENTITY_TYPES.get(body[s], "other")
        elif sub == 0x59:
            assoc.user_identity_answered = True


@dataclass(frozen=True, slots=True)
class Command:
    """The elements of a command set we keep (PS3.7 annex E), never a data set's."""

    field: int
    sop_class: str
    status: int | None
    move_destination: str
    has_data_set: bool


def parse_command(raw: bytes) -> Command | None:
    """Read a command set (implicit VR little endian, group 0000); None if it is not one."""
    pos, end = 0, len(raw)
    command = None
    sop_class = ""
    status = None
    destination = ""
    data_set_type = 0x0101
    while pos + 8 <= end:
        group, element, length = _ELEMENT(raw, pos)
        value = pos + 8
        if group != 0 or value + length > end:
            return None
        if element == 0x0100 and length == 2:
            command = _LE16(raw, value)[0]
        elif element in (0x0002, 0x0003) and not sop_class:
            sop_class = uid_of(raw[value : value + length])
        elif element == 0x0900 and length == 2:
            status = _LE16(raw, value)[0]
        elif element == 0x0600:
            destination = text_of(raw[value : value + length], 16)
        elif element == 0x0800 and length == 2:
            data_set_type = _LE16(raw, value)[0]
        pos = value + length
    if command is None or pos != end:
        return None
    return Command(command, sop_class, status, destination, data_set_type != 0x0101)


# parser states
_HDR, _CTRL, _PDV_HDR, _CMD, _DATA, _HUNT, _DEAD = range(7)


class DicomSniffer:
    """Parses one direction of a DICOM connection; writes what it learns to the connection."""

    __slots__ = (
        "acc",
        "budget",
        "cmd",
        "conn",
        "direction",
        "held",
        "need",
        "pdu_left",
        "pdu_type",
        "pdv_command",
        "pdv_last",
        "state",
        "where",
    )

    def __init__(
        self,
        conn: Connection,
        direction: Direction,
        budget: Budget,
        where: Position,
        hunting: bool = False,
    ) -> None:
        self.conn = conn
        self.direction = direction
        self.budget = budget
        self.where = where
        """The packet being read (the decoder itself), for notes."""
        self.acc = bytearray()
        self.cmd = bytearray()
        self.held = 0
        self.need = 6
        self.pdu_left = 0
        self.pdu_type = 0
        self.pdv_command = False
        self.pdv_last = False
        self.state = _HUNT if hunting else _HDR
        direction.skip = 0

    # --- helpers ---

    def _association(self) -> Association:
        conn = self.conn
        if not conn.associations:
            conn.associations.append(Association())
        return conn.associations[-1]

    def _expect(self, state: int, need: int) -> bool:
        """Collect ``need`` header bytes next; charged to the budget beyond the first 64."""
        extra = max(0, need - 64)
        if extra and not self.budget.take(extra):
            self.conn.note(f"{self._at()}: a {need}-byte PDU was not read (memory budget)")
            self._malformed(None)
            return False
        self.held = extra
        self.state = state
        self.need = need
        self.acc.clear()
        return True

    def _release(self) -> None:
        if self.held:
            self.budget.give(self.held)
            self.held = 0

    def _at(self) -> str:
        return f"{self.where.file} packet {self.where.pkt}"

    def _malformed(self, why: str | None) -> None:
        """The stream stopped making sense: count it and hunt for the next PDU header."""
        self.conn.malformed += 1
        if why:
            self.conn.note(f"{self._at()}: {why}")
        self._release()
        self.acc.clear()
        self.cmd.clear()
        self.state = _HUNT
        self.direction.skip = 0

    # --- the state machine ---

    def feed(self, buf: bytes, start: int, end: int) -> None:
        """Parse the next bytes of this direction."""
        i = start
        direction = self.direction
        while i < end:
            state = self.state
            if state == _DATA:
                skip = direction.skip
                if skip:
                    n = end - i if end - i < skip else skip
                    direction.skip = skip - n
                    i += n
                    if direction.skip:
                        return
                self._pdv_done()
                continue
            if state == _HUNT:
                i = self._hunt(buf, i, end)
                continue
            if state == _DEAD:
                direction.skip = HUGE
                return
            acc = self.acc
            take = self.need - len(acc)
            if take > end - i:
                take = end - i
            acc += buf[i : i + take]
            i += take
            if len(acc) == self.need:
                self._complete()
        if self.state == _DATA and direction.skip == 0:
            self._pdv_done()

    def lost(self, n: int) -> None:
        """Bytes we needed are missing: resynchronise on the next plausible header."""
        if self.state == _HUNT:
            self.acc.clear()  # bytes kept to judge are no longer followed by their sequel
        if self.state in (_DEAD, _HUNT):
            return
        self.conn.note(f"{self._at()}: {n} bytes of DICOM stream not captured")
        self._release()
        self.acc.clear()
        self.cmd.clear()
        self.state = _HUNT
        self.direction.skip = 0

    def finish(self) -> None:
        """Release held budget."""
        self._release()

    def _complete(self) -> None:
        state = self.state
        acc = self.acc
        if state == _HDR:
            self._header(acc[0], acc[1], _U32(acc, 2)[0])
        elif state == _PDV_HDR:
            self._pdv_header(*_PDV(acc, 0))
        elif state == _CMD:
            self.cmd += acc
            self._release()
            if self.pdv_last:
                self._command(bytes(self.cmd))
                self.cmd.clear()
            self._pdv_done()
        elif state == _CTRL:
            body = bytes(acc)
            self._release()
            self._control(body)

    def _header(self, kind: int, reserved: int, length: int) -> None:
        if kind == P_DATA and reserved == 0:
            if length < 6:
                self._malformed(f"P-DATA PDU of {length} bytes cannot hold a PDV")
                return
            self.pdu_left = length
            self.pdu_type = kind
            self._expect(_PDV_HDR, 6)
            return
        if kind in (ASSOCIATE_RQ, ASSOCIATE_AC) and reserved == 0:
            if not 68 <= length <= MAX_ASSOCIATE_PDU:
                self._malformed(f"A-ASSOCIATE PDU claims {length} bytes")
                return
        elif kind in (ASSOCIATE_RJ, RELEASE_RQ, RELEASE_RP, ABORT) and reserved == 0:
            if length != 4:
                self._malformed(f"PDU type {kind} claims {length} bytes instead of 4")
                return
        else:
            self._malformed(f"unknown PDU type {kind:#04x}")
            return
        self.pdu_type = kind
        self._expect(_CTRL, length)

    def _control(self, body: bytes) -> None:
        kind = self.pdu_type
        conn = self.conn
        from_client = self.direction.from_client
        self._expect(_HDR, 6)
        if kind == ASSOCIATE_RQ:
            if not from_client and conn.provisional:
                conn.swap()
                from_client = True
            if len(conn.associations) >= MAX_ASSOCIATIONS:
                conn.malformed += 1
                conn.note(
                    f"{self._at()}: more than {MAX_ASSOCIATIONS} associations on one connection"
                )
                self.state = _DEAD
                self.direction.skip = HUGE
                return
            assoc = Association()
            conn.associations.append(assoc)
            if not parse_associate(assoc, body, request=True):
                conn.malformed += 1
                conn.note(f"{self._at()}: A-ASSOCIATE-RQ items are inconsistent")
            assoc.outcome = "no-answer"
        elif kind == ASSOCIATE_AC:
            assoc = self._association()
            if not parse_associate(assoc, body, request=False):
                conn.malformed += 1
                conn.note(f"{self._at()}: A-ASSOCIATE-AC items are inconsistent")
            assoc.outcome = "accepted"
        elif kind == ASSOCIATE_RJ:
            assoc = self._association()
            assoc.outcome = "rejected"
            assoc.reject = (body[1], body[2], body[3])
        elif kind in (RELEASE_RQ, RELEASE_RP):
            assoc = self._association()
            if assoc.ending != "aborted":
                assoc.ending = "released"
        elif kind == ABORT:
            assoc = self._association()
            assoc.abort = (body[2], body[3])
            if assoc.outcome in ("no-answer", "unknown") and assoc.requested:
                assoc.outcome = "aborted"
            assoc.ending = "aborted"

    def _pdv_header(self, length: int, context: int, control: int) -> None:
        if length < 2 or length + 4 > self.pdu_left or control > 3:
            self._malformed(
                f"PDV of {length} bytes does not fit its P-DATA PDU ({self.pdu_left} left)"
            )
            return
        self.pdu_left -= length + 4
        size = length - 2
        self.pdv_command = bool(control & 1)
        self.pdv_last = bool(control & 2)
        if self.pdv_command:
            if len(self.cmd) + size > MAX_COMMAND:
                self._malformed(f"command set of {len(self.cmd) + size} bytes")
                return
            if size == 0:
                self._complete_empty_command()
                return
            self._expect(_CMD, size)
            return
        assoc = self._association()
        if self.direction.from_client:
            assoc.data_bytes_to_server += size
            if self.pdv_last:
                assoc.data_sets_to_server += 1
        else:
            assoc.data_bytes_to_client += size
            if self.pdv_last:
                assoc.data_sets_to_client += 1
        self.state = _DATA
        self.direction.skip = size

    def _complete_empty_command(self) -> None:
        if self.pdv_last:
            self._command(bytes(self.cmd))
            self.cmd.clear()
        self._pdv_done()

    def _pdv_done(self) -> None:
        if self.pdu_left > 0:
            self._expect(_PDV_HDR, 6)
        else:
            self._expect(_HDR, 6)

    def _command(self, raw: bytes) -> None:
        command = parse_command(raw)
        if command is None:
            self.conn.malformed += 1
            self.conn.note(f"{self._at()}: a command PDV is not a command set")
            return
        assoc = self._association()
        name = COMMANDS.get(command.field & 0x7FFF, f"0x{command.field & 0x7FFF:04x}")
        if command.field & 0x8000:
            key = (name, status_class(command.status) if command.status is not None else "none")
            assoc.responses[key] = assoc.responses.get(key, 0) + 1
        else:
            requests = (
                assoc.requests_by_client if self.direction.from_client else assoc.requests_by_server
            )
            requests[name] = requests.get(name, 0) + 1
            if command.move_destination and len(assoc.move_destinations) < MAX_SET:
                assoc.move_destinations.add(command.move_destination)
        if command.sop_class and command.sop_class != "?" and len(assoc.sop_classes) < MAX_SET:
            assoc.sop_classes.add(command.sop_class)

    # --- resynchronisation ---

    def _hunt(self, buf: bytes, i: int, end: int) -> int:
        """Find the next plausible PDU header in ``buf[i:end]``; returns where parsing resumes.

        Only P-DATA, A-RELEASE and A-ABORT headers are looked for, and a P-DATA header only
        counts when its first PDV header fits it, so bytes of a data set rarely pass. The last
        bytes of a segment, too few to judge, are kept and judged with the next segment.
        """
        if self.acc:
            # bytes kept from the previous segment: judge them with the start of this one
            carried = len(self.acc)
            joined = bytes(self.acc) + buf[i : min(end, i + 12)]
            self.acc.clear()
            found = self._candidate(joined, 0, len(joined), carried)
            if found is not None:
                self._resynced()
                self.feed(joined, found, carried)
                return i
        found = self._candidate(buf, i, end, end - i)
        if found is None:
            self.acc += buf[max(i, end - 11) : end]
            return end
        self._resynced()
        return found

    @staticmethod
    def _plausible(buf: bytes, j: int) -> bool:
        if buf[j] != P_DATA:
            return True
        length = _U32(buf, j + 2)[0]
        pdv, context, control = _PDV(buf, j + 6)
        return (
            6 <= length <= MAX_HUNT_PDU
            and pdv >= 2
            and pdv + 4 <= length
            and bool(context & 1)
            and control <= 3
        )

    def _candidate(self, buf: bytes, i: int, end: int, limit: int) -> int | None:
        """Offset of the first plausible header starting before ``i + limit``, fully visible."""
        stop = i + limit
        while i < stop:
            candidates = [
                j
                for j in (
                    buf.find(b"\x04\x00", i, end),
                    buf.find(b"\x05\x00\x00\x00\x00\x04", i, end),
                    buf.find(b"\x06\x00\x00\x00\x00\x04", i, end),
                    buf.find(b"\x07\x00\x00\x00\x00\x04", i, end),
                )
                if 0 <= j < stop
            ]
            if not candidates:
                return None
            j = min(candidates)
            if j + (12 if buf[j] == P_DATA else 6) > end:
                return None  # too close to the end to judge: carried to the next segment
            if self._plausible(buf, j):
                return j
            i = j + 1
        return None

    def _resynced(self) -> None:
        self.conn.resyncs += 1
        self.state = _HDR
        self.need = 6
        self.acc.clear()
        self.direction.skip = 0
