"""The scope file: exclusions win, out-of-scope refused, clear errors with file and line."""

from __future__ import annotations

import datetime as dt

import pytest

from imagewarden.discovery.interface import TargetKind
from imagewarden.discovery.scope import parse_scope
from imagewarden.model import UserInputError
from tests.discovery.conftest import make_scope

HEAD = "authorised_by: CISO\nwindow: {start: 2026-01-01T00:00:00Z, end: 2026-01-02T00:00:00Z}\n"


def test_exclusions_win_over_networks_and_hosts() -> None:
    scope = make_scope(
        networks=["10.1.0.0/29"], hosts=["10.1.0.3"], exclude=["10.1.0.3", "10.1.0.4/31"]
    )
    assert list(scope.hosts()) == ["10.1.0.1", "10.1.0.2", "10.1.0.6"]
    assert scope.refusal("10.1.0.3") == "10.1.0.3 is excluded by the scope (10.1.0.3/32)"
    assert "outside" in (scope.refusal("10.2.0.1") or "")
    assert scope.refusal("10.1.0.2") is None


def test_targets_cover_every_port_kind_once() -> None:
    scope = make_scope(
        hosts=["10.1.0.5"],
        ports={"dicom": [104, 2762], "dicom_tls": [2762], "http": [8042], "hl7": [2575]},
    )
    kinds = {(t.port, t.kind) for t in scope.targets()}
    assert kinds == {
        (104, TargetKind.DICOM),
        (2762, TargetKind.DICOM_TLS),
        (8042, TargetKind.HTTP),
        (2575, TargetKind.HL7),
    }


def test_out_of_scope_target_is_refused() -> None:
    scope = make_scope(hosts=["10.1.0.5"])
    with pytest.raises(UserInputError, match="outside the scope"):
        scope.check_only(("10.9.9.9",))
    with pytest.raises(UserInputError, match="excluded"):
        make_scope(hosts=["10.1.0.5"], exclude=["10.1.0.5"]).check_only(("10.1.0.5:104",))


def test_window_refuses_outside_times() -> None:
    scope = make_scope(hosts=["10.1.0.5"])
    assert scope.window_refusal(dt.datetime.now(dt.UTC)) is None
    assert "outside the scope's time window" in (
        scope.window_refusal(dt.datetime.now(dt.UTC) + dt.timedelta(days=1)) or ""
    )


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("authorised_by: x\n", "authorised_by", 1),
        (
            HEAD + "hosts: [10.0.0.1]\nrate:\n  per_host_per_second: -1\n",
            "rate.per_host_per_second",
            5,
        ),
        (
            HEAD + "hosts: [10.0.0.1]\nexclude:\n  - 10.0.0.999\n",
            "exclude[0]",
            5,
        ),
        (
            HEAD + "networks: [10.0.0.0/8]\n",
            "max_hosts",
            3,
        ),
        (
            HEAD + "hosts: [10.0.0.1]\ndicom:\n  services:\n    - {host: 10.0.0.2, port: 104, "
            "called_ae: PACS}\n",
            "dicom.services[0]",
            6,
        ),
        ("authorised_by: CISO\nwindow: [\n", "invalid YAML", None),
    ],
)
def test_bad_scope_names_file_line_and_field(text: str, message: str, line: int | None) -> None:
    with pytest.raises(UserInputError) as info:
        parse_scope(text, "scope.yaml")
    assert message in str(info.value)
    assert str(info.value).startswith("scope.yaml")
    if line is not None:
        assert info.value.location is not None and info.value.location.line == line
