"""Site keys and signed reports: only the site's own private key makes a report the centre
accepts, and only public keys are ever kept at the centre."""

from __future__ import annotations

import dataclasses
import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from imagewarden.app.signing import (
    Event,
    SignatureRefused,
    generate_key_pair,
    load_private_key,
    load_public_key,
    parse_envelope,
    sign,
    verify,
)
from imagewarden.model import UserInputError
from imagewarden.model.jobs import JobKind


def _signed(key: Ed25519PrivateKey, payload: str = '{"facts": 1}', site: str = "north") -> str:
    return sign(
        key,
        site_id=site,
        job_id="a" * 32,
        attempt=1,
        kind=JobKind.DISCOVER,
        event=Event.RESULT,
        payload=payload,
    ).to_json()


def test_generated_private_key_is_owner_only_and_never_overwritten(tmp_path: Path) -> None:
    made = generate_key_pair("north", tmp_path)
    assert stat.S_IMODE(made.private_path.stat().st_mode) == 0o600
    assert "PRIVATE KEY" not in made.public_path.read_text()
    load_public_key(made.public_path.read_text(), "north.pub")
    load_private_key(made.private_path)
    before = made.private_path.read_bytes()
    with pytest.raises(UserInputError, match="never overwritten"):
        generate_key_pair("north", tmp_path)
    assert made.private_path.read_bytes() == before


def test_private_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    made = generate_key_pair("north", tmp_path)
    made.private_path.chmod(0o640)
    with pytest.raises(UserInputError, match="readable by others"):
        load_private_key(made.private_path)


def test_private_key_is_refused_where_a_public_key_is_expected(tmp_path: Path) -> None:
    made = generate_key_pair("north", tmp_path)
    with pytest.raises(UserInputError, match="centre keeps only public keys"):
        load_public_key(made.private_path.read_text(), str(made.private_path))


def test_signed_report_verifies_with_its_site_key_only() -> None:
    north, south = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    envelope = parse_envelope(_signed(north))
    verify(envelope, north.public_key())
    with pytest.raises(SignatureRefused, match="does not match the key registered"):
        verify(envelope, south.public_key())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("payload", '{"facts": 2}'),
        ("site_id", "south"),
        ("job_id", "b" * 32),
        ("attempt", 2),
        ("event", "failed"),
        ("kind", "verify_backup"),
    ],
)
def test_any_change_to_a_signed_report_breaks_its_signature(field: str, value: object) -> None:
    key = Ed25519PrivateKey.generate()
    data = json.loads(_signed(key))
    data[field] = value
    with pytest.raises(SignatureRefused):
        verify(parse_envelope(json.dumps(data)), key.public_key())


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"format": 9}',
        json.dumps({"format": 1, "site_id": "../x", "job_id": "a"}),
        "[" * 10_000,
    ],
)
def test_malformed_reports_are_refused_in_one_line(text: str) -> None:
    with pytest.raises(SignatureRefused) as refused:
        parse_envelope(text)
    assert "\n" not in str(refused.value)


def test_signature_that_is_not_base64_is_refused() -> None:
    key = Ed25519PrivateKey.generate()
    envelope = dataclasses.replace(parse_envelope(_signed(key)), signature="%%%")
    with pytest.raises(SignatureRefused, match="not base64"):
        verify(envelope, key.public_key())


def test_report_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEWARDEN_MAX_REPORT_BYTES", "1000")
    text = _signed(Ed25519PrivateKey.generate(), payload=json.dumps({"x": "y" * 2000}))
    with pytest.raises(UserInputError, match="IMAGEWARDEN_MAX_REPORT_BYTES"):
        parse_envelope(text)
