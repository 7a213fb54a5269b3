"""Recognising a connection's protocol from its first bytes, and the small parsers besides DICOM.

* TLS on any port: the ClientHello (offered versions, server name, ALPN) and the ServerHello
  (negotiated version and cipher suite); everything after the hellos is skipped.
* HL7 over MLLP: frames are counted (the ``FS CR`` trailer), their content is never read.
* Plain HTTP: the request line's method and a *template* of the path (UIDs and numbers
  replaced, query string dropped) when the path is a DICOMweb one; other requests are only
  counted; headers are read only for the body length and never kept.
"""

from __future__ import annotations

import re
import struct
from typing import TYPE_CHECKING

from imagewarden.traffic.dicom_ul import DicomSniffer, Position
from imagewarden.traffic.flows import Budget, Connection, Direction, Opaque

if TYPE_CHECKING:
    from imagewarden.traffic.flows import Sniffer

TLS_VERSIONS = {
    0x0300: "SSLv3",
    0x0301: "TLSv1.0",
    0x0302: "TLSv1.1",
    0x0303: "TLSv1.2",
    0x0304: "TLSv1.3",
}
LEGACY_TLS = frozenset({"SSLv3", "TLSv1.0", "TLSv1.1"})
CIPHER_SUITES = {
    0x1301: "TLS_AES_128_GCM_SHA256",
    0x1302: "TLS_AES_256_GCM_SHA384",
    0x1303: "TLS_CHACHA20_POLY1305_SHA256",
    0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256",
    0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384",
    0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA",
    0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
    0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
}
HTTP_METHODS = (b"GET ", b"POST ", b"PUT ", b"DELETE ", b"HEAD ", b"OPTIONS ", b"PATCH ")
MAX_HELLO = 16 * 1024 + 5
MAX_HTTP_HEAD = 16 * 1024
DICOMWEB_WORDS = frozenset(
    {"studies", "series", "instances", "frames", "rendered", "workitems", "wado", "qido",
     "stow", "dicom-web", "dicomweb", "dicom", "bulkdata", "metadata"}
)  # fmt: skip
_UID = re.compile(r"^[0-9]+(\.[0-9]+)+$")
_NUMBER = re.compile(r"^[0-9]+$")
_HEXID = re.compile(r"^[0-9A-Fa-f-]{16,}$")
_SAFE = re.compile(r"[^A-Za-z0-9._~-]")
_U16 = struct.Struct(">H").unpack_from


def _tls_version(code: int) -> str:
    return TLS_VERSIONS.get(code, f"0x{code:04x}")


def path_template(target: bytes) -> tuple[str, bool]:
    """A path with its identifiers replaced, and whether it is a DICOMweb path.

    ``/dicom-web/studies/1.2.3/series?PatientID=X`` gives
    ``/dicom-web/studies/{uid}/series``: the query string (which may hold patient
    identifiers) is dropped, and so is anything after a fragment marker.
    """
    text = target.split(b"?", 1)[0].split(b"#", 1)[0].decode("ascii", "replace")
    if text.startswith(("http://", "https://")):
        text = "/" + text.split("/", 3)[-1] if text.count("/") >= 3 else "/"
    parts = []
    dicomweb = False
    for segment in text.split("/")[1:12]:
        lowered = segment.lower()
        if lowered in DICOMWEB_WORDS:
            dicomweb = True
        if _UID.match(segment):
            parts.append("{uid}")
        elif _NUMBER.match(segment):
            parts.append("{n}")
        elif _HEXID.match(segment) or len(segment) > 40:
            parts.append("{id}")
        else:
            parts.append(_SAFE.sub("_", segment)[:40])
    return "/" + "/".join(parts), dicomweb


class TlsSniffer:
    """Reads the first handshake record of a direction (ClientHello or ServerHello)."""

    __slots__ = ("acc", "budget", "conn", "direction", "held")

    def __init__(self, conn: Connection, direction: Direction, budget: Budget) -> None:
        self.conn = conn
        self.direction = direction
        self.budget = budget
        self.acc = bytearray()
        self.held = 0
        direction.skip = 0

    def feed(self, buf: bytes, start: int, end: int) -> None:
        """Collect the first record, then skip the rest of the stream."""
        acc = self.acc
        room = MAX_HELLO - len(acc)
        chunk = buf[start : min(end, start + room)]
        if len(acc) + len(chunk) > 64 and not self.held:
            if not self.budget.take(MAX_HELLO):
                self._done()
                return
            self.held = MAX_HELLO
        acc += chunk
        if len(acc) >= 5:
            length = _U16(acc, 3)[0]
            if len(acc) >= 5 + length or len(acc) >= MAX_HELLO:
                self._hello(bytes(acc[5 : 5 + length]))
                self._done()

    def _done(self) -> None:
        if self.held:
            self.budget.give(self.held)
            self.held = 0
        self.acc = bytearray()
        self.direction.sniffer = Opaque(self.direction)

    def lost(self, n: int) -> None:
        """The hello was not captured whole: read what there is."""
        if len(self.acc) > 9:
            self._hello(bytes(self.acc[5:]))
        self._done()

    def finish(self) -> None:
        """Release the held budget."""
        if self.held:
            self.budget.give(self.held)
            self.held = 0

    def _hello(self, record: bytes) -> None:
        if len(record) < 38 or record[0] not in (1, 2):
            return
        conn = self.conn
        kind = record[0]
        legacy = _U16(record, 4)[0]
        pos = 38
        try:
            pos += 1 + record[pos]  # session id
            if kind == 1:
                pos += 2 + _U16(record, pos)[0]  # cipher suites
                pos += 1 + record[pos]  # compression methods
            else:
                suite = _U16(record, pos)[0]
                pos += 3
            extensions = self._extensions(record, pos)
        except (IndexError, struct.error):
            extensions = {}
        if kind == 1:
            offered = extensions.get(0x002B)
            best = legacy
            if offered and len(offered) >= 3:
                codes = [_U16(offered, i)[0] for i in range(1, 1 + offered[0] - 1, 2)]
                known = [c for c in codes if c in TLS_VERSIONS]
                best = max(known, default=legacy)
            conn.tls_offered = _tls_version(best)
            sni = extensions.get(0x0000)
            if sni and len(sni) > 5 and sni[2] == 0:
                size = _U16(sni, 3)[0]
                conn.tls_sni = "".join(
                    chr(c) if (chr(c).isalnum() or chr(c) in ".-_") else "?"
                    for c in sni[5 : 5 + min(size, 253)]
                )
            alpn = extensions.get(0x0010)
            if alpn and len(alpn) > 3:
                conn.tls_alpn = "".join(
                    chr(c) if 0x20 < c < 0x7F else "?" for c in alpn[3 : 3 + min(alpn[2], 32)]
                )
        else:
            chosen = extensions.get(0x002B)
            version = _U16(chosen, 0)[0] if chosen and len(chosen) == 2 else legacy
            conn.tls_version = _tls_version(version)
            conn.tls_cipher = CIPHER_SUITES.get(suite, f"0x{suite:04x}")

    @staticmethod
    def _extensions(record: bytes, pos: int) -> dict[int, bytes]:
        found: dict[int, bytes] = {}
        if pos + 2 > len(record):
            return found
        end = min(len(record), pos + 2 + _U16(record, pos)[0])
        pos += 2
        while pos + 4 <= end:
            kind, size = struct.unpack_from(">HH", record, pos)
            found[kind] = record[pos + 4 : pos + 4 + size]
            pos += 4 + size
        return found


class MllpSniffer:
    """Counts HL7 messages framed by MLLP (``VT`` ... ``FS CR``); never reads them."""

    __slots__ = ("conn", "direction", "last_fs")

    def __init__(self, conn: Connection, direction: Direction) -> None:
        self.conn = conn
        self.direction = direction
        self.last_fs = False
        direction.skip = 0

    def feed(self, buf: bytes, start: int, end: int) -> None:
        """Count frame trailers, including one split across two segments."""
        count = buf.count(b"\x1c\x0d", start, end)
        if self.last_fs and buf[start] == 0x0D:
            count += 1
        self.last_fs = buf[end - 1] == 0x1C
        if self.direction.from_client:
            self.conn.hl7_to_server += count
        else:
            self.conn.hl7_to_client += count

    def lost(self, n: int) -> None:
        """A frame trailer may have been lost; counting continues."""
        self.last_fs = False

    def finish(self) -> None:
        """Nothing held."""


class HttpRequestSniffer:
    """Reads request lines of plain HTTP (client side) to count DICOMweb requests."""

    __slots__ = ("acc", "conn", "direction")

    def __init__(self, conn: Connection, direction: Direction) -> None:
        self.conn = conn
        self.direction = direction
        self.acc = bytearray()
        direction.skip = 0

    def feed(self, buf: bytes, start: int, end: int) -> None:
        """Collect a request head, note it, then skip its body."""
        i = start
        while i < end:
            skip = self.direction.skip
            if skip:
                n = min(skip, end - i)
                self.direction.skip -= n
                i += n
                continue
            before = len(self.acc)
            self.acc += buf[i : min(end, i + MAX_HTTP_HEAD - before)]
            stop = self.acc.find(b"\r\n\r\n", max(0, before - 3))
            if stop < 0:
                if len(self.acc) >= MAX_HTTP_HEAD:
                    self._give_up()
                return
            head = bytes(self.acc[:stop])
            i += stop + 4 - before
            self.acc.clear()
            body = self._request(head)
            if body is None:
                self._give_up()
                return
            self.direction.skip = body

    def _request(self, head: bytes) -> int | None:
        """Note the request; the body length to skip (None: cannot tell, stop parsing)."""
        line, _, headers = head.partition(b"\r\n")
        parts = line.split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/"):
            return None
        method = parts[0].decode("ascii", "replace")[:10]
        if method.encode() + b" " not in HTTP_METHODS:
            return None
        template, dicomweb = path_template(parts[1])
        conn = self.conn
        if dicomweb:
            key = (method, template)
            if key in conn.http_requests or len(conn.http_requests) < 64:
                conn.http_requests[key] = conn.http_requests.get(key, 0) + 1
        else:
            conn.http_other += 1
        length = 0
        for header in headers.split(b"\r\n"):
            name, _, value = header.partition(b":")
            name = name.strip().lower()
            if name == b"transfer-encoding" and b"chunked" in value.lower():
                return None
            if name == b"content-length":
                try:
                    length = int(value.strip())
                except ValueError:
                    return None
        return max(0, length)

    def _give_up(self) -> None:
        self.acc = bytearray()
        self.direction.sniffer = Opaque(self.direction)

    def lost(self, n: int) -> None:
        """Framing is lost: stop reading requests on this connection."""
        self._give_up()

    def finish(self) -> None:
        """Nothing held beyond a request head."""


def _dicom_request_header(head: bytes) -> bool:
    """An A-ASSOCIATE-RQ header: type 1, protocol version 1, a plausible length."""
    if len(head) < 10 or head[0] != 1 or head[1] != 0:
        return False
    length = struct.unpack_from(">I", head, 2)[0]
    return 68 <= length <= 128 * 1024 and head[6:8] == b"\x00\x01"


class Classifier:
    """Decides a connection's protocol from the first bytes either side sends."""

    __slots__ = ("acc", "budget", "conn", "dicom_port", "direction", "where")

    NEED = 10

    def __init__(
        self,
        conn: Connection,
        direction: Direction,
        budget: Budget,
        where: Position,
        dicom_port: bool,
    ) -> None:
        self.conn = conn
        self.direction = direction
        self.budget = budget
        self.where = where
        self.dicom_port = dicom_port
        """The server port is one the user named as DICOM: hunt for PDUs mid-stream."""
        self.acc = b""
        direction.skip = 0

    def feed(self, buf: bytes, start: int, end: int) -> None:
        """Decide once ``NEED`` bytes are in (or earlier when they cannot match anything)."""
        take = min(self.NEED - len(self.acc), end - start)
        self.acc += buf[start : start + take]
        head = self.acc
        if len(head) < self.NEED and self._could_be_more(head):
            return
        install(self.conn, self._kind(head), self.direction, self.budget, self.where)
        self.direction.feed(head, 0, len(head))
        if start + take < end:
            self.direction.feed(buf, start + take, end)

    def _could_be_more(self, head: bytes) -> bool:
        if head[:1] == b"\x01" or head[:1] == b"\x16" or head[:1] == b"\x0b":
            return True
        return any(m.startswith(head[: len(m)]) for m in HTTP_METHODS) or self.dicom_port

    def _kind(self, head: bytes) -> str:
        if _dicom_request_header(head):
            return "dicom"
        if len(head) >= 3 and head[0] == 0x16 and head[1] == 3 and head[2] <= 4:
            return "tls"
        if head[:4] == b"\x0bMSH" or (head[:1] == b"\x0b" and len(head) < 4):
            return "hl7"
        if any(head.startswith(m) for m in HTTP_METHODS):
            return "http"
        if self.dicom_port:
            return "dicom-hunt"
        return "other"

    def lost(self, n: int) -> None:
        """The first bytes were not captured: unknown, unless the port is a DICOM one."""
        kind = "dicom-hunt" if self.dicom_port else "other"
        install(self.conn, kind, self.direction, self.budget, self.where)

    def finish(self) -> None:
        """Nothing held."""


def install(conn: Connection, kind: str, first: Direction, budget: Budget, where: Position) -> None:
    """Give both directions the parser for ``kind``, decided from ``first``'s bytes."""
    hunting = kind == "dicom-hunt"
    if hunting:
        kind = "dicom"
    client_speaks = kind in ("dicom", "tls", "hl7", "http") and not hunting
    if client_speaks and not first.from_client and conn.provisional:
        conn.swap()
    conn.kind = kind
    conn.provisional = False
    for direction in (conn.c2s, conn.s2c):
        old = direction.sniffer
        sniffer: Sniffer
        if kind == "dicom":
            sniffer = DicomSniffer(conn, direction, budget, where, hunting=hunting)
        elif kind == "tls":
            sniffer = TlsSniffer(conn, direction, budget)
        elif kind == "hl7":
            sniffer = MllpSniffer(conn, direction)
        elif kind == "http" and direction.from_client:
            sniffer = HttpRequestSniffer(conn, direction)
        else:
            sniffer = Opaque(direction)
        direction.sniffer = sniffer
        if direction is not first and isinstance(old, Classifier) and old.acc:
            # The other side had spoken first, too little to decide: replay what it said.
            direction.feed(old.acc, 0, len(old.acc))
