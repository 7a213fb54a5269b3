"""What a certificate says about itself: self-signed means signed with its own key, not only
issued under its own name."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from imagewarden.discovery.probes.tls import certificate_facts

NOW = dt.datetime.now(dt.UTC)
NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])


def _certificate(signing_key: ec.EllipticCurvePrivateKey, key: ec.EllipticCurvePrivateKey) -> bytes:
    cert = (
        x509.CertificateBuilder()
        .subject_name(NAME)
        .issuer_name(NAME)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .sign(signing_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def test_a_certificate_signed_with_its_own_key_is_self_signed() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    facts = certificate_facts(_certificate(key, key), NOW)
    assert facts["tls.cert_self_signed"] is True
    assert facts["tls.cert_subject"] == "localhost"


def test_a_device_ca_with_the_same_name_does_not_make_its_certificate_self_signed() -> None:
    device_ca = ec.generate_private_key(ec.SECP256R1())
    device = ec.generate_private_key(ec.SECP256R1())
    facts = certificate_facts(_certificate(device_ca, device), NOW)
    assert facts["tls.cert_self_signed"] is False
