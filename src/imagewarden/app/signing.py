"""Signed reports from site workers: Ed25519 keys per site, envelopes, verification.

Each site has a key pair. The worker keeps the private key (a file readable by its owner
only); the centre keeps only the public key. Everything a worker sends the centre (the job
started, the result batch, a refusal) is an ``Envelope`` signed with the site's key, so a
worker cannot report for another site, and no shared secret sits at the centre.

The signature covers the envelope's canonical JSON (every field but the signature, keys
sorted, no spaces), so any change to the site, the job, the attempt or the payload breaks it.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from imagewarden.model import Location, UserInputError
from imagewarden.model.jobs import JobKind
from imagewarden.readers.limits import Limit, LimitExceeded

ENVELOPE_FORMAT = 1
SITE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
"""A site id as scope files spell it; also the broker queue's suffix (``site.<id>``)."""
JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
REPORT_BYTES = Limit("report_bytes", 64 * 1024**2, "bytes", "a site worker's report")
"""The largest envelope the centre reads (``IMAGEWARDEN_MAX_REPORT_BYTES`` raises it)."""


class SignatureRefused(UserInputError):
    """A report whose signature, site, job or form the centre cannot accept."""


class Event(StrEnum):
    """What a site worker reports about a job."""

    STARTED = "started"
    """A delivery of the job began (the attempt number says which)."""
    RESULT = "result"
    """The result batch of one attempt."""
    FAILED = "failed"
    """The attempt was refused at the site or failed; the payload says why."""


def check_site_id(site_id: str) -> str:
    """``site_id`` if it is a valid site id (lowercase letters, digits, '-' and '_')."""
    if not SITE_ID.match(site_id):
        raise UserInputError(
            f"invalid site id {site_id[:60]!r}",
            hint="lowercase letters, digits, '-' and '_', at most 64 characters",
        )
    return site_id


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """A short, stable name of a public key: SHA-256 of its raw bytes, hex, 32 characters."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


def public_pem(public_key: Ed25519PublicKey) -> str:
    """The public key as PEM text (SubjectPublicKeyInfo)."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key(text: str, source: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM text; a private key is refused (it stays at the site)."""
    if "PRIVATE KEY" in text:
        raise UserInputError(
            "this is a private key: the centre keeps only public keys",
            Location(source),
            hint="register the .pub file; keep the .key file on the site worker",
        )
    try:
        key = serialization.load_pem_public_key(text.encode("ascii", "replace"))
    except (ValueError, TypeError):
        raise UserInputError("not a PEM public key", Location(source)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise UserInputError("not an Ed25519 public key", Location(source))
    return key


@dataclass(frozen=True, slots=True)
class GeneratedKey:
    """Where ``generate_key_pair`` wrote the site's keys."""

    site_id: str
    private_path: Path
    public_path: Path
    fingerprint: str


def _write_new(path: Path, data: bytes, mode: int) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise UserInputError(
            "exists already; a key is never overwritten", Location(str(path))
        ) from None
    except OSError as exc:
        raise UserInputError(f"cannot write: {exc.strerror}", Location(str(path))) from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def generate_key_pair(site_id: str, folder: Path) -> GeneratedKey:
    """Write ``<site>.key`` (private, owner-only) and ``<site>.pub`` into ``folder``."""
    check_site_id(site_id)
    if not folder.is_dir():
        raise UserInputError("is not a folder", Location(str(folder)))
    private = Ed25519PrivateKey.generate()
    private_path = folder / f"{site_id}.key"
    public_path = folder / f"{site_id}.pub"
    if private_path.exists() or public_path.exists():
        raise UserInputError(
            f"a key for site {site_id} exists already in this folder; a key is never overwritten",
            Location(str(private_path)),
        )
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_new(private_path, pem, 0o600)
    _write_new(public_path, public_pem(private.public_key()).encode("ascii"), 0o644)
    return GeneratedKey(site_id, private_path, public_path, fingerprint(private.public_key()))


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """A site's private key; refused when others than its owner can read the file."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise UserInputError(
            f"cannot read the site key: {exc.strerror}", Location(str(path)), hint="--key"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UserInputError(
            "the site key is readable by others than its owner",
            Location(str(path)),
            hint=f"chmod 600 {path}",
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise UserInputError("not an unencrypted PEM private key", Location(str(path))) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UserInputError("not an Ed25519 private key", Location(str(path)))
    return key


@dataclass(frozen=True, slots=True)
class Envelope:
    """One signed report from a site worker about one attempt of one job."""

    site_id: str
    job_id: str
    attempt: int
    kind: JobKind
    event: Event
    payload: str
    """JSON text: the result batch, or ``{"error": ...}``; signed as sent."""
    key_id: str
    """Fingerprint of the key that signed it."""
    sent_at: dt.datetime
    signature: str = ""
    """Base64 of the Ed25519 signature over ``signed_bytes()``."""
    format: int = ENVELOPE_FORMAT

    @property
    def batch_id(self) -> str:
        """The result batch's id: derived from the job and the attempt, so a redelivery or
        a retried task can never produce two different batches with one id."""
        return f"{self.job_id}.{self.attempt}"

    def unsigned(self) -> dict[str, Any]:
        """Every field but the signature, JSON-ready."""
        return {
            "format": self.format,
            "site_id": self.site_id,
            "job_id": self.job_id,
            "attempt": self.attempt,
            "kind": self.kind.value,
            "event": self.event.value,
            "payload": self.payload,
            "key_id": self.key_id,
            "sent_at": self.sent_at.astimezone(dt.UTC).isoformat(),
        }

    def signed_bytes(self) -> bytes:
        """What the signature covers: the canonical JSON of ``unsigned()``."""
        return json.dumps(
            self.unsigned(), sort_keys=True, separators=(",", ":"), ensure_ascii=True
        ).encode("ascii")

    def to_json(self) -> str:
        """The envelope as sent over the broker."""
        return json.dumps({**self.unsigned(), "signature": self.signature}, sort_keys=True)

    def payload_data(self) -> Any:
        """The payload parsed (bounded nesting)."""
        from imagewarden.readers.json import load_json_bytes

        return load_json_bytes(self.payload.encode("utf-8"), f"report of job {self.job_id}")


def sign(
    private_key: Ed25519PrivateKey,
    *,
    site_id: str,
    job_id: str,
    attempt: int,
    kind: JobKind,
    event: Event,
    payload: str,
    now: dt.datetime | None = None,
) -> Envelope:
    """An envelope for this report, signed with the site's private key."""
    unsigned = Envelope(
        site_id=site_id,
        job_id=job_id,
        attempt=attempt,
        kind=kind,
        event=event,
        payload=payload,
        key_id=fingerprint(private_key.public_key()),
        sent_at=now or dt.datetime.now(dt.UTC),
    )
    signature = base64.b64encode(private_key.sign(unsigned.signed_bytes())).decode("ascii")
    return dataclasses.replace(unsigned, signature=signature)


def _field(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise SignatureRefused(f"report field {name!r} is missing or not a {kind.__name__}")
    return value


def parse_envelope(text: str | bytes) -> Envelope:
    """An envelope read from the broker: bounded, well formed; NOT yet verified."""
    from imagewarden.readers.json import load_json_bytes

    raw = text.encode("utf-8") if isinstance(text, str) else text
    if len(raw) > REPORT_BYTES.value():
        raise LimitExceeded(REPORT_BYTES, "site worker report", f"{len(raw):,} bytes")
    try:
        data = load_json_bytes(raw, "site worker report", max_depth=4)
    except UserInputError as exc:
        raise SignatureRefused(" ".join(str(exc).split())[:200]) from None
    if not isinstance(data, dict):
        raise SignatureRefused("a report is a JSON object")
    if data.get("format") != ENVELOPE_FORMAT:
        raise SignatureRefused(f"unknown report format {str(data.get('format'))[:20]!r}")
    site_id = _field(data, "site_id", str)
    job_id = _field(data, "job_id", str)
    if not SITE_ID.match(site_id):
        raise SignatureRefused(f"invalid site id {site_id[:60]!r} in report")
    if not JOB_ID.match(job_id):
        raise SignatureRefused(f"invalid job id {job_id[:60]!r} in report")
    attempt = _field(data, "attempt", int)
    if not 1 <= attempt <= 100:
        raise SignatureRefused(f"invalid attempt {attempt} in report")
    try:
        kind = JobKind(_field(data, "kind", str))
        event = Event(_field(data, "event", str))
        sent_at = dt.datetime.fromisoformat(_field(data, "sent_at", str))
    except ValueError as exc:
        raise SignatureRefused(f"invalid report: {str(exc)[:80]}") from None
    if sent_at.tzinfo is None:
        raise SignatureRefused("report time without a time zone")
    return Envelope(
        site_id=site_id,
        job_id=job_id,
        attempt=attempt,
        kind=kind,
        event=event,
        payload=_field(data, "payload", str),
        key_id=_field(data, "key_id", str)[:100],
        sent_at=sent_at,
        signature=_field(data, "signature", str)[:200],
    )


def verify(envelope: Envelope, public_key: Ed25519PublicKey) -> None:
    """Refuse (SignatureRefused) an envelope not signed by ``public_key``'s private key."""
    try:
        signature = base64.b64decode(envelope.signature, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureRefused("the report's signature is not base64") from None
    try:
        public_key.verify(signature, envelope.signed_bytes())
    except InvalidSignature:
        raise SignatureRefused(
            f"the report's signature does not match the key registered for site {envelope.site_id}"
        ) from None
