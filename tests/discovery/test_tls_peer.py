"""DICOM TLS: handshake facts from a pynetdicom SCP whose certificate a throwaway CA signed."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pynetdicom import AE
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from imagewarden.app import open_store
from tests.assessing import run_assessment
from tests.discovery.conftest import collect, discover, make_scope
from tests.discovery.helpers import apply_batch

TLS_PORT, PLAIN_PORT = 2762, 11112

pytestmark = pytest.mark.integration  # real pynetdicom SCPs on loopback


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _certificate(folder: Path, days: int) -> tuple[Path, Path]:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Test Imaging CA"))
        .issuer_name(_name("Test Imaging CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("pacs.test.invalid"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server.pem", folder / "server.key"
    cert_path.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_and_plain_scp(tmp_path: Path, net: Callable[[int], str]) -> Iterator[str]:
    """A TLS SCP and a plain SCP on one host; yields the host address."""
    host = f"{net(5)}.21"
    cert, key = _certificate(tmp_path, days=10)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    ae = AE(ae_title="TLSSCP")
    ae.add_supported_context(Verification)
    servers = [
        ae.start_server((host, TLS_PORT), block=False, ssl_context=context),
        ae.start_server((host, PLAIN_PORT), block=False),
    ]
    try:
        yield host
    finally:
        for server in servers:
            server.shutdown()


def test_tls_facts_and_plain_fallback_on_the_same_host(
    tls_and_plain_scp: str, tmp_path: Path, catalog: object
) -> None:
    scope = make_scope(
        hosts=[tls_and_plain_scp],
        ports={"dicom": [PLAIN_PORT], "dicom_tls": [TLS_PORT], "http": [], "hl7": []},
    )
    results = {r.target.port: r for r in discover(scope)}
    tls = results[TLS_PORT].facts
    assert tls["service.tls"] is True
    assert tls["tls.version"] == "TLSv1.3"
    assert tls["tls.cert_subject"] == "pacs.test.invalid"
    assert tls["tls.cert_self_signed"] is False
    assert tls["tls.cert_days_to_expiry"] in (9, 10)
    assert tls["dicom.association_outcome"] == "accepted"
    assert results[PLAIN_PORT].facts["service.tls"] is False

    db = f"sqlite:///{tmp_path / 't.db'}"
    with open_store(db, create=True) as store:
        apply_batch(store, collect(scope), catalog)  # type: ignore[arg-type]
        findings = run_assessment(store, catalog).findings  # type: ignore[arg-type]
    by_service = {(f.subject_id.rsplit("/", 1)[-1], f.check_id) for f in findings}
    fallback = "urn:imagewarden:check:dicom-tls-with-plain-fallback"
    no_tls = "urn:imagewarden:check:dicom-no-tls"
    assert (str(TLS_PORT), fallback) in by_service
    assert (str(PLAIN_PORT), no_tls) in by_service
    assert (str(TLS_PORT), no_tls) not in by_service


def test_plain_dicom_port_that_only_speaks_tls_is_recognised(tls_and_plain_scp: str) -> None:
    scope = make_scope(
        hosts=[tls_and_plain_scp],
        ports={"dicom": [TLS_PORT], "dicom_tls": [], "http": [], "hl7": []},
    )
    facts = discover(scope)[0].facts
    assert facts["service.tls"] is True
    assert facts["dicom.association_outcome"] == "accepted"
