"""TLS handshake facts: protocol version, cipher, and certificate subject, expiry, self-signed.

The handshake is the whole probe: no application data is sent, and the connection is closed
right after. Certificates are not verified (the goal is to describe them, not to trust them).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ssl
import warnings
from functools import cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID

from imagewarden.discovery.interface import ProbeContext, ScopeRefusal, Target
from imagewarden.model import FactValue

LEGACY_VERSIONS = frozenset({"SSLv3", "TLSv1", "TLSv1.1"})


def new_client_context() -> ssl.SSLContext:
    """An unverifying client context that still completes handshakes with old devices.

    A new one for a client that sets options of its own (the HTTP probe's ALPN).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # Accept old protocol versions so that they can be reported, not silently missed.
    with warnings.catch_warnings(), contextlib.suppress(ValueError, ssl.SSLError):
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


@cache
def client_context() -> ssl.SSLContext:
    """The shared client context of the DICOM and HL7 probes (see ``new_client_context``)."""
    return new_client_context()


def certificate_facts(der: bytes, now: dt.datetime) -> dict[str, FactValue]:
    """Subject, expiry and self-signature of a DER certificate (nothing when unreadable)."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return {}
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    subject = str(names[0].value) if names else cert.subject.rfc4514_string()
    expires = cert.not_valid_after_utc
    return {
        "tls.cert_subject": subject[:200],
        "tls.cert_expires": expires.date(),
        "tls.cert_days_to_expiry": (expires - now).days,
        "tls.cert_self_signed": _self_signed(cert),
    }


def _self_signed(cert: x509.Certificate) -> bool:
    """Issued to itself and signed with its own key. A name match alone is not enough: a
    device CA and the certificate it issued may carry the same name (CN=localhost)."""
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except InvalidSignature:
        return False
    except (ValueError, TypeError):  # a key or signature type the library cannot check
        return True
    return True


def handshake_facts(writer: asyncio.StreamWriter) -> dict[str, FactValue]:
    """Facts of the TLS session on ``writer`` (nothing when it is not TLS)."""
    return session_facts(writer.get_extra_info("ssl_object"))


def session_facts(ssl_object: object) -> dict[str, FactValue]:
    """Facts of one TLS session: version, cipher, and the certificate's subject, expiry and
    self-signature (nothing when ``ssl_object`` is not a TLS session)."""
    if not isinstance(ssl_object, ssl.SSLObject):
        return {}
    version = ssl_object.version() or ""
    cipher = ssl_object.cipher()
    facts: dict[str, FactValue] = {
        "service.tls": True,
        "tls.version": version,
        "tls.legacy_version": version in LEGACY_VERSIONS,
    }
    if cipher:
        facts["tls.cipher"] = cipher[0]
    der = ssl_object.getpeercert(binary_form=True)
    if der:
        facts.update(certificate_facts(der, dt.datetime.now(dt.UTC)))
    return facts


async def probe_tls(target: Target, ctx: ProbeContext) -> dict[str, FactValue] | None:
    """Handshake facts, or None when the port does not speak TLS (or is closed)."""
    try:
        connection = await ctx.connect(target, tls=True)
    except ScopeRefusal:
        raise  # not a closed port: the scheduler records it as not contacted
    except (OSError, TimeoutError):
        return None
    writer = connection.writer
    try:
        facts = handshake_facts(writer)
        connection.log.outcome = f"TLS handshake ({facts.get('tls.version') or 'version unknown'})"
        return facts
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(0.5):
                await writer.wait_closed()
