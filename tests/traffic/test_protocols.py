"""TLS hellos on any port, HL7 MLLP frame counts, plain-HTTP DICOMweb request templates."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from imagewarden.traffic.protocols import path_template
from tests.traffic.crafted import analyse
from tests.traffic.packets import Conversation


def _ext(kind: int, body: bytes) -> bytes:
    return struct.pack(">HH", kind, len(body)) + body


def client_hello(
    sni: str = "ai.vendor.example", versions: tuple[int, ...] = (0x0304, 0x0303)
) -> bytes:
    name = sni.encode()
    extensions = _ext(0x0000, struct.pack(">HBH", len(name) + 3, 0, len(name)) + name)
    listed = b"".join(struct.pack(">H", v) for v in versions)
    extensions += _ext(0x002B, bytes([len(listed)]) + listed)
    extensions += _ext(0x0010, struct.pack(">H", 9) + b"\x08http/1.1")
    body = struct.pack(">H", 0x0303) + bytes(32) + b"\x00" + struct.pack(">HH", 2, 0x1301)
    body += b"\x01\x00" + struct.pack(">H", len(extensions)) + extensions
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack(">H", len(handshake)) + handshake


def server_hello(version: int = 0x0304, suite: int = 0x1301) -> bytes:
    extensions = _ext(0x002B, struct.pack(">H", version)) if version == 0x0304 else b""
    legacy = 0x0303 if version == 0x0304 else version
    body = struct.pack(">H", legacy) + bytes(32) + b"\x00" + struct.pack(">H", suite) + b"\x00"
    body += struct.pack(">H", len(extensions)) + extensions
    handshake = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + struct.pack(">H", len(handshake)) + handshake


@pytest.mark.parametrize("segment", [1, 3, 1448])
def test_tls_hellos_on_any_port(tmp_path: Path, segment: int) -> None:
    conv = Conversation(server_port=30443).handshake()
    conv.send(True, client_hello(), segment)
    conv.send(False, server_hello(), segment)
    conv.send(True, bytes(range(256)) * 40)  # application data: never read
    conv.close()
    (flow,) = analyse(conv.packets, tmp_path).flows
    assert flow.protocol == "tls" and flow.encrypted and flow.port == 30443
    assert flow.tls_server_names == ("ai.vendor.example",)
    assert flow.tls_offered == "TLSv1.3" and flow.tls_version == "TLSv1.3"
    assert flow.tls_cipher == "TLS_AES_128_GCM_SHA256"
    assert flow.tls_alpn == "http/1.1"


def test_a_legacy_tls_version_is_reported(tmp_path: Path) -> None:
    conv = Conversation(server_port=2762).handshake()
    conv.send(True, client_hello(versions=()))
    conv.send(False, server_hello(0x0301, 0x002F))
    conv.close()
    (flow,) = analyse(conv.packets, tmp_path).flows
    assert flow.tls_version == "TLSv1.0" and flow.tls_cipher == "TLS_RSA_WITH_AES_128_CBC_SHA"


def hl7(control: str) -> bytes:
    """A synthetic MLLP frame (the analysis never reads inside it)."""
    message = f"MSH|^~\\&|RIS|RMC|PACS|RMC|20261101||ORM^O01|{control}|P|2.5\rPID|1||SECRET-MRN\r"
    return b"\x0b" + message.encode() + b"\x1c\x0d"


def test_hl7_frames_are_counted_and_never_read(tmp_path: Path) -> None:
    conv = Conversation(server_port=2575).handshake()
    stream = hl7("1") + hl7("2") + hl7("3")
    conv.send(True, stream, segment=len(hl7("1")) - 1)  # a trailer split across segments
    conv.send(False, hl7("A1") + hl7("A2"), segment=7)
    conv.close()
    batch = analyse(conv.packets, tmp_path)
    (flow,) = batch.flows
    assert flow.protocol == "hl7"
    assert (flow.hl7_messages_to_server, flow.hl7_messages_to_client) == (3, 2)
    assert "SECRET" not in json.dumps(batch.to_json())


def test_dicomweb_requests_keep_the_method_and_path_template_only(tmp_path: Path) -> None:
    conv = Conversation(server_port=8080).handshake()
    body = b"--boundary\r\n" + bytes(5000) + b"\r\n--boundary--\r\n"
    requests = (
        b"GET /dicom-web/studies/1.2.840.113619.2.1.1/series?PatientID=SECRET-ID HTTP/1.1\r\n"
        b"Host: vna\r\nAuthorization: Basic c2VjcmV0\r\n\r\n"
        b"POST /dicom-web/studies HTTP/1.1\r\nHost: vna\r\nContent-Type: multipart/related\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        + b"GET /dicom-web/studies/1.2.3/series/4.5.6/instances/7.8.9/frames/1 HTTP/1.1\r\n"
        b"Host: vna\r\n\r\n"
        b"GET /index.html?session=SECRET-SESSION HTTP/1.1\r\nHost: vna\r\n\r\n"
    )  # fmt: skip
    conv.send(True, requests, segment=333)
    conv.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    conv.close()
    batch = analyse(conv.packets, tmp_path)
    (flow,) = batch.flows
    assert flow.protocol == "http"
    assert flow.http_requests == {
        "GET /dicom-web/studies/{uid}/series": 1,
        "GET /dicom-web/studies/{uid}/series/{uid}/instances/{uid}/frames/{n}": 1,
        "POST /dicom-web/studies": 1,
    }
    assert flow.http_other_requests == 1
    text = json.dumps(batch.to_json())
    assert "SECRET" not in text and "c2VjcmV0" not in text and "index.html" not in text


@pytest.mark.parametrize(
    ("target", "template", "dicomweb"),
    [
        (b"/wado?requestType=WADO&studyUID=1.2.3", "/wado", True),
        (b"/studies/1.2.3/rendered", "/studies/{uid}/rendered", True),
        (b"http://vna:8080/qido/studies?PatientName=Doe", "/qido/studies", True),
        (b"/app/users/123/profile", "/app/users/{n}/profile", False),
        (b"/x/" + b"a" * 80, "/x/{id}", False),
        (b"/weird/<script>", "/weird/_script_", False),
    ],
)
def test_path_templates(target: bytes, template: str, dicomweb: bool) -> None:
    assert path_template(target) == (template, dicomweb)


def test_unknown_protocols_are_only_counted(tmp_path: Path) -> None:
    conv = Conversation(server_port=22).handshake()
    conv.send(False, b"SSH-2.0-OpenSSH_9.2\r\n")
    conv.send(True, b"SSH-2.0-client\r\n" + bytes(3000))
    conv.close()
    (flow,) = analyse(conv.packets, tmp_path).flows
    assert flow.protocol == "other" and flow.bytes_to_server == 3000 + 16
    assert (flow.client, flow.port) == ("10.1.0.5", 22)
