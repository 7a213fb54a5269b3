"""Start the lab's pynetdicom SCPs on loopback addresses and record how they were used.

Each SCP binds its own 127.0.0.x address (pynetdicom, unlike Orthanc or DCMTK, can bind one
address), counts simultaneous associations (the gentleness figure the tests read), and is
shut down when the ``Lab`` context exits. Nothing here writes to disk except the TLS
persona's throwaway certificate; received datasets are never kept.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from pynetdicom import AE, AllStoragePresentationContexts, evt
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    ModalityWorklistInformationFind,
    PatientRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelFind,
    Verification,
)
from pynetdicom.transport import ThreadedAssociationServer

from imagewarden.discovery.lab.certs import self_signed
from imagewarden.discovery.lab.personas import DEFAULT_PERSONAS, Persona

logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)


@dataclass
class Usage:
    """Connections a persona saw: the live count and the highest at any moment."""

    active: int = 0
    peak: int = 0
    total: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def opened(self) -> None:
        """Count a new connection."""
        with self._lock:
            self.active += 1
            self.total += 1
            self.peak = max(self.peak, self.active)

    def closed(self) -> None:
        """Count a closed connection."""
        with self._lock:
            self.active = max(0, self.active - 1)


class _CountedSocket(socket.socket):
    """An accepted plain socket that reports its close before the FIN leaves."""

    __slots__ = ()

    def shutdown(self, how: int) -> None:
        _release(self)
        super().shutdown(how)

    def close(self) -> None:
        _release(self)
        super().close()


class _CountedTlsSocket(ssl.SSLSocket):
    """The same for a TLS socket."""

    def shutdown(self, how: int) -> None:
        _release(self)
        super().shutdown(how)

    def close(self) -> None:
        _release(self)
        super().close()


_LIVE: dict[int, Usage] = {}
_LIVE_LOCK = threading.Lock()


def _release(sock: socket.socket) -> None:
    with _LIVE_LOCK:
        usage = _LIVE.pop(id(sock), None)
    if usage is not None:
        usage.closed()


def _count_connections(server: ThreadedAssociationServer, usage: Usage) -> None:
    """Count connections at the TCP level and turn Nagle off on accepted sockets.

    pynetdicom's connection events fire from its state machine some time after the socket
    closed, so they would count a prober's next connection as overlapping the last one. Here a
    connection counts from accept until the server shuts the socket down, which happens before
    the peer can see the close. (Nagle: pynetdicom leaves it on, ~40 ms per exchange.)
    """
    original = server.get_request

    def get_request() -> tuple[socket.socket, Any]:
        sock, address = original()
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        counted = _CountedTlsSocket if isinstance(sock, ssl.SSLSocket) else _CountedSocket
        sock.__class__ = counted
        with _LIVE_LOCK:
            _LIVE[id(sock)] = usage
        usage.opened()
        return sock, address

    server.get_request = get_request  # type: ignore[method-assign]


def _find_handler(persona: Persona) -> Any:
    def handle(event: Any) -> Iterator[tuple[int, Dataset | None]]:
        for _ in range(persona.find_matches):
            if event.is_cancelled:
                yield 0xFE00, None
                return
            identifier = Dataset()
            identifier.QueryRetrieveLevel = "STUDY"
            identifier.StudyInstanceUID = generate_uid()
            yield 0xFF00, identifier
        yield 0x0000, None

    return handle


def _tls_context(persona: Persona, folder: Path) -> ssl.SSLContext:
    cert, key = self_signed(folder, f"{persona.name}.lab.invalid", persona.address)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


class Lab:
    """``with Lab() as lab:`` runs the personas until the block ends."""

    def __init__(self, personas: tuple[Persona, ...] = DEFAULT_PERSONAS) -> None:
        self.personas = personas
        self.usage: dict[str, Usage] = {p.address: Usage() for p in personas}
        self._servers: list[ThreadedAssociationServer] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def _ae(self, persona: Persona) -> AE:
        ae = AE(ae_title=persona.ae_title)
        ae.require_called_aet = persona.check_called_ae
        ae.require_calling_aet = list(persona.allowed_calling)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 5
        if persona.implementation_class_uid:
            ae.implementation_class_uid = persona.implementation_class_uid
        if persona.implementation_version:
            ae.implementation_version_name = persona.implementation_version
        ae.add_supported_context(Verification)
        ae.supported_contexts = ae.supported_contexts + AllStoragePresentationContexts[:100]
        if persona.archive:
            for context in (
                StudyRootQueryRetrieveInformationModelFind,
                PatientRootQueryRetrieveInformationModelFind,
            ):
                ae.add_supported_context(context)
        else:
            ae.add_supported_context(ModalityWorklistInformationFind)
        return ae

    def start(self) -> None:
        """Start every persona's SCP (OSError when an address is taken)."""
        self._tmp = tempfile.TemporaryDirectory(prefix="imagewarden-lab-")
        for persona in self.personas:
            usage = self.usage[persona.address]
            handlers: list[Any] = [
                (evt.EVT_C_STORE, lambda _e: 0xA700),  # never keeps anything (out of resources)
                (evt.EVT_C_FIND, _find_handler(persona)),
            ]
            context = (
                _tls_context(persona, Path(self._tmp.name) / persona.name) if persona.tls else None
            )
            server = self._ae(persona).start_server(
                (persona.address, persona.port),
                block=False,
                evt_handlers=handlers,
                ssl_context=context,
            )
            if server is None:  # only None when block=True
                raise RuntimeError(f"lab SCP {persona.name} did not start")
            _count_connections(server, usage)
            self._servers.append(server)

    def stop(self) -> None:
        """Shut every SCP down, all at once.

        Each shutdown waits for its server's poll loop to notice (up to half a second) and
        for its associations to end; in parallel the lab stops in the time of the slowest.
        """
        stopping = [
            threading.Thread(target=server.shutdown, name=f"lab-stop-{index}", daemon=True)
            for index, server in enumerate(self._servers)
        ]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()
        self._servers.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Lab:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
