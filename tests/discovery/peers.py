"""Small misbehaving TCP peers for robustness tests, and a connection counter."""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
from collections.abc import Callable

Behaviour = Callable[[socket.socket], None]


def _read_some(conn: socket.socket) -> None:
    conn.settimeout(2)
    with contextlib.suppress(OSError):
        conn.recv(65536)


def http_reply(conn: socket.socket) -> None:
    _read_some(conn)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


def a_abort(conn: socket.socket) -> None:
    _read_some(conn)
    conn.sendall(struct.pack(">BBIBBBB", 7, 0, 4, 0, 0, 2, 0))


def short_ac(conn: socket.socket) -> None:
    _read_some(conn)
    conn.sendall(struct.pack(">BBI", 2, 0, 10) + b"\x00" * 10)


def overrunning_ac(conn: socket.socket) -> None:
    _read_some(conn)
    body = struct.pack(">HH", 1, 0) + b"X" * 64 + struct.pack(">BBH", 0x21, 0, 500) + b"\x01"
    conn.sendall(struct.pack(">BBI", 2, 0, len(body)) + body)


def huge_pdu(conn: socket.socket) -> None:
    _read_some(conn)
    conn.sendall(struct.pack(">BBI", 2, 0, 0x7FFFFFFF))


def truncated_body(conn: socket.socket) -> None:
    """An A-ASSOCIATE-AC that announces 100 body bytes, sends 20, and hangs up."""
    _read_some(conn)
    conn.sendall(struct.pack(">BBI", 2, 0, 100) + b"\x00" * 20)


def truncated_header(conn: socket.socket) -> None:
    _read_some(conn)
    conn.sendall(b"\x02\x00\x00")


def banner(conn: socket.socket) -> None:
    """A service that talks first (an SSH server on a DICOM port)."""
    conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
    _read_some(conn)


def p_data_reply(conn: socket.socket) -> None:
    """A well-formed P-DATA-TF where an answer to A-ASSOCIATE-RQ belongs."""
    _read_some(conn)
    pdv = struct.pack(">IBB", 4, 1, 3) + b"\x00\x00"
    conn.sendall(struct.pack(">BBI", 4, 0, len(pdv)) + pdv)


def reject_calling(conn: socket.socket) -> None:
    """A-ASSOCIATE-RJ: rejected-permanent by the service user, calling AE not recognised."""
    _read_some(conn)
    conn.sendall(struct.pack(">BBIBBBB", 3, 0, 4, 0, 1, 1, 3))


def tls_only_with_alert(context: ssl.SSLContext) -> Behaviour:
    """A TLS-only DICOM port whose TLS stack answers plain text with a TLS alert record (as
    many non-OpenSSL stacks do) and, over TLS, rejects the association."""

    def behaviour(conn: socket.socket) -> None:
        conn.settimeout(2)
        with contextlib.suppress(OSError):
            first = conn.recv(1, socket.MSG_PEEK)
            if first != b"\x16":  # not a TLS handshake record: a fatal protocol_version alert
                conn.recv(65536)
                conn.sendall(b"\x15\x03\x03\x00\x02\x02\x46")
                return
            with context.wrap_socket(conn, server_side=True) as tls:
                reject_calling(tls)

    return behaviour


def over_tls(context: ssl.SSLContext, behaviour: Behaviour) -> Behaviour:
    """``behaviour`` inside a TLS session (the peer's certificate from ``context``)."""

    def wrapped(conn: socket.socket) -> None:
        conn.settimeout(2)
        with contextlib.suppress(OSError), context.wrap_socket(conn, server_side=True) as tls:
            behaviour(tls)

    return wrapped


def silent(conn: socket.socket) -> None:
    _read_some(conn)
    conn.settimeout(5)
    with contextlib.suppress(OSError):
        # hold the connection open without answering, reading whatever else comes: a
        # socket closed with unread bytes resets the connection, which is an answer
        while conn.recv(4096):
            pass


class Listener:
    """A TCP listener on one address that counts connections and runs a behaviour on each."""

    def __init__(self, address: str, port: int, behaviour: Behaviour | None = None) -> None:
        self.connections = 0
        self._behaviour = behaviour
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((address, port))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            if self._behaviour is not None:
                self._behaviour(conn)

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()


class RecordingProxy:
    """Forwards one address to another and keeps every byte the client sent (for audits)."""

    def __init__(self, address: str, port: int, upstream: tuple[str, int]) -> None:
        self.sent: list[bytes] = []
        self._upstream = upstream
        self._listener = Listener(address, port, self._relay)

    def _relay(self, client: socket.socket) -> None:
        recorded = bytearray()
        with socket.create_connection(self._upstream, timeout=5) as server:
            pumps = [
                threading.Thread(target=self._pump, args=(client, server, recorded)),
                threading.Thread(target=self._pump, args=(server, client, None)),
            ]
            for pump in pumps:
                pump.start()
            for pump in pumps:
                pump.join(timeout=10)
        self.sent.append(bytes(recorded))

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket, record: bytearray | None) -> None:
        src.settimeout(5)
        with contextlib.suppress(OSError):
            while chunk := src.recv(65536):
                if record is not None:
                    record.extend(chunk)
                dst.sendall(chunk)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def __enter__(self) -> RecordingProxy:
        self._listener.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.__exit__(*exc)


def record_bytes(store: list[bytes]) -> Behaviour:
    """A behaviour that never answers and keeps what the client sent until it hangs up."""

    def behaviour(conn: socket.socket) -> None:
        data = bytearray()
        conn.settimeout(3)
        with contextlib.suppress(OSError):
            while chunk := conn.recv(65536):
                data.extend(chunk)
        store.append(bytes(data))

    return behaviour
