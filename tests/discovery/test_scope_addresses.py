"""One address, many spellings: the scope compares canonical addresses, so exclusions win.

IPv4-mapped (``::ffff:a.b.c.d``), IPv4-compatible (``::a.b.c.d``), expanded, upper-case and
padded spellings of an IPv4 address are the same host; an include written one way must never
reach a host excluded another way. These tests use the scope's public API only (no network).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imagewarden.discovery import merge
from imagewarden.discovery.interface import ServiceResult, Target, TargetKind
from imagewarden.discovery.scope import Scope, parse_scope
from imagewarden.model import ServiceProtocol, UserInputError
from tests.discovery.conftest import make_scope
from tests.discovery.helpers import batch_of
from tests.factories import asset

HEAD = "authorised_by: CISO\nwindow: {start: 2026-01-01T00:00:00Z, end: 2026-01-02T00:00:00Z}\n"

# Prefixes under which an IPv6 address carries an IPv4 address in its low 32 bits: the same
# host (mapped, compatible) or a translator's path to it (SIIT, NAT64). Written out here,
# independently of the code under test, as the oracle of "which IPv4 host is this".
_EMBEDDING = (
    IPv6Network("::ffff:0:0/96"),
    IPv6Network("::/96"),
    IPv6Network("::ffff:0:0:0/96"),
    IPv6Network("64:ff9b::/96"),
)


def _ipv4_of(host: str) -> IPv4Address | None:
    address = ipaddress.ip_address(host)
    if isinstance(address, IPv4Address):
        return address
    if address in (IPv6Address("::"), IPv6Address("::1")):
        return None
    if any(address in net for net in _EMBEDDING):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


# How one IPv4 network (or address, at /32) can be written. Each returns the text for
# network address ``a`` and IPv4 prefix ``p``.
def _hex(a: IPv4Address) -> str:
    value = int(a)
    return f"{value >> 16:x}:{value & 0xFFFF:x}"


def _expanded(a: IPv4Address) -> str:
    value = int(a)
    return f"0000:0000:0000:0000:0000:ffff:{value >> 16:04x}:{value & 0xFFFF:04x}"


Writer = Callable[[IPv4Address, int], str]
SAME_HOST: dict[str, Writer] = {
    "plain": lambda a, p: f"{a}/{p}",
    "mapped": lambda a, p: f"::ffff:{a}/{96 + p}",
    "mapped-hex": lambda a, p: f"::ffff:{_hex(a)}/{96 + p}",
    "mapped-zeros": lambda a, p: f"0:0:0:0:0:ffff:{a}/{96 + p}",
    "expanded": lambda a, p: f"{_expanded(a)}/{96 + p}",
    "compatible": lambda a, p: f"::{a}/{96 + p}",
}
TRANSLATED: dict[str, Writer] = {
    "siit": lambda a, p: f"::ffff:0:{a}/{96 + p}",
    "nat64": lambda a, p: f"64:ff9b::{a}/{96 + p}",
}
# Exclusions wider than the IPv4-mapped space (prefix < 96): every IPv4 host is inside.
EVERY_IPV4 = ("::ffff:0:0/95", "::ffff:0.0.0.0/80", "::/95")

PADDING = st.sampled_from(["", " ", "\t", "  ", " \n"])


@st.composite
def _spelling(
    draw: st.DrawFn, net: IPv4Network, styles: dict[str, Writer], *, prefix: bool = True
) -> str:
    write = styles[draw(st.sampled_from(sorted(styles)))]
    # Any address inside the network may stand for it (host bits are ignored).
    offset = draw(st.integers(0, net.num_addresses - 1))
    text = write(net.network_address + offset, net.prefixlen)
    if not prefix or (net.prefixlen == 32 and draw(st.booleans())):
        text = text.rsplit("/", 1)[0]  # a single host, written without a prefix
    if draw(st.booleans()):
        text = text.upper()
    return draw(PADDING) + text + draw(PADDING)


@st.composite
def _case(draw: st.DrawFn) -> tuple[IPv4Network, str, IPv4Network, str, IPv4Address]:
    """An include and an exclusion around one host, each spelled any way."""
    host = IPv4Address(draw(st.integers(int(IPv4Address("1.0.0.0")), 0xDFFFFFFF)))
    include = IPv4Network(f"{host}/{draw(st.integers(26, 32))}", strict=False)
    include_text = draw(_spelling(include, SAME_HOST | TRANSLATED))
    if draw(st.integers(0, 9)) == 0:
        return (
            include,
            include_text,
            IPv4Network("0.0.0.0/0"),
            draw(st.sampled_from(EVERY_IPV4)),
            host,
        )
    exclude = IPv4Network(f"{host}/{draw(st.integers(24, 32))}", strict=False)
    exclude_text = draw(_spelling(exclude, SAME_HOST | TRANSLATED))
    return include, include_text, exclude, exclude_text, host


def _only_forms(text: str, port: int) -> list[str]:
    bare = text.strip()
    forms = [bare]
    forms.append(f"{bare}:{port}" if "." in bare and ":" not in bare else f"[{bare}]:{port}")
    return forms


@settings(
    max_examples=200, deadline=dt.timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow]
)
@given(_case(), st.data())
def test_an_excluded_host_is_never_a_target_however_it_is_spelled(
    case: tuple[IPv4Network, str, IPv4Network, str, IPv4Address], data: st.DataObject
) -> None:
    include, include_text, exclude, exclude_text, host = case
    scope = make_scope(hosts=[include_text], exclude=[exclude_text])
    reached = {_ipv4_of(t.host) for t in scope.targets()}
    assert not any(a is not None and a in exclude for a in reached), (scope.targets(), exclude)
    if not include.subnet_of(exclude):
        assert scope.targets(), "a host outside the exclusion was dropped too"
    # The excluded host itself, asked for by name in any spelling: refused and never a target.
    if host in exclude:
        asked = data.draw(
            _spelling(IPv4Network(f"{host}/32"), SAME_HOST | TRANSLATED, prefix=False)
        )
        assert scope.refusal(asked) is not None
        assert scope.refusal(asked.strip()) is not None
        for only in _only_forms(asked, 11112):
            assert all(_ipv4_of(t.host) not in exclude for t in scope.targets(only=(only,)))
            with pytest.raises(UserInputError):
                scope.check_only((only,))


@pytest.mark.parametrize(
    ("hosts", "exclude"),
    [
        (["::ffff:10.1.0.5"], ["10.1.0.5"]),
        (["10.1.0.5"], ["::ffff:10.1.0.5"]),
        (["::ffff:10.1.0.4/126"], ["10.1.0.5"]),
        (["10.1.0.4/30"], ["::ffff:10.1.0.4/127"]),
        (["::FFFF:0A01:0005"], ["10.1.0.5"]),
        (["0000:0000:0000:0000:0000:ffff:0a01:0005"], ["10.1.0.0/24"]),
        (["::10.1.0.5"], ["10.1.0.5"]),
        (["10.1.0.5"], ["::10.1.0.5"]),
        (["10.1.0.5"], ["::ffff:0:0/95"]),
        (["10.1.0.5"], ["64:ff9b::10.1.0.5"]),
        (["64:ff9b::10.1.0.5"], ["10.1.0.5"]),
    ],
)
def test_mapped_and_plain_spellings_are_compared(hosts: list[str], exclude: list[str]) -> None:
    scope = make_scope(hosts=hosts, exclude=exclude)
    assert all(_ipv4_of(t.host) != IPv4Address("10.1.0.5") for t in scope.targets())
    for asked in ("10.1.0.5", "::ffff:10.1.0.5", "::ffff:a01:5", " 10.1.0.5 "):
        assert scope.refusal(asked) is not None, asked


def test_targets_are_emitted_in_canonical_form() -> None:
    scope = make_scope(hosts=["::ffff:10.1.0.5", " 10.1.0.5", "::FFFF:a01:6", "::1", "2001:DB8::1"])
    assert [t.host for t in scope.targets()] == ["10.1.0.5", "10.1.0.6", "::1", "2001:db8::1"]
    assert list(scope.hosts()) == ["10.1.0.5", "10.1.0.6", "::1", "2001:db8::1"]


@pytest.mark.parametrize(
    "only",
    ["10.1.0.5", "::ffff:10.1.0.5", "10.1.0.5:11112", "[::ffff:10.1.0.5]:11112", " 10.1.0.5"],
)
def test_target_option_accepts_every_spelling_and_emits_canonical(only: str) -> None:
    scope = make_scope(hosts=["10.1.0.4/30"])
    scope.check_only((only,))
    assert scope.targets(only=(only,)) == [Target("10.1.0.5", 11112, TargetKind.DICOM)]


def test_target_option_port_narrows_ipv6() -> None:
    scope = make_scope(
        hosts=["::1"], ports={"dicom": [104, 11112], "dicom_tls": [], "http": [], "hl7": []}
    )
    assert scope.targets(only=("[::1]:104",)) == [Target("::1", 104, TargetKind.DICOM)]


@pytest.mark.parametrize("only", ["10.1.0.5:0", "10.1.0.5:70000", "[::1]:x", "pacs.local", "[::1"])
def test_malformed_target_option_is_refused(only: str) -> None:
    scope = make_scope(hosts=["10.1.0.4/30", "::1"])
    with pytest.raises(UserInputError, match="--target"):
        scope.check_only((only,))


def test_scope_with_ipv4_and_ipv6_hosts_lists_targets() -> None:
    scope = make_scope(hosts=["::1", "127.0.0.1"])
    assert [t.host for t in scope.targets()] == ["127.0.0.1", "::1"]


def test_known_service_in_mapped_spelling_is_checked_against_exclusions() -> None:
    text = (
        HEAD + "hosts: [10.0.0.0/29]\nexclude: [10.0.0.2]\ndicom:\n  services:\n"
        "    - {host: '::ffff:10.0.0.2', port: 104, called_ae: PACS}\n"
    )
    with pytest.raises(UserInputError) as info:
        parse_scope(text, "scope.yaml")
    assert "excluded" in str(info.value)
    assert info.value.location is not None
    assert info.value.location.field == "dicom.services[0]" and info.value.location.line == 7


def test_known_service_titles_match_whatever_the_spelling() -> None:
    scope = make_scope(
        hosts=["10.1.0.5"],
        dicom={"services": [{"host": "::FFFF:10.1.0.5", "port": 11112, "called_ae": "PACS"}]},
    )
    titles = scope.titles(scope.targets()[0])
    assert titles.called == "PACS" and titles.called_known


@pytest.mark.parametrize(
    ("entry", "field", "message"),
    [
        ("hosts:\n  - 10.0.0.1\n  - fe80::1%eth0\n", "hosts[1]", "zone"),
        ("hosts: [10.0.0.1]\nexclude:\n  - fe80::1%eth0\n", "exclude[0]", "zone"),
        ("networks:\n  - ::/120\n", "networks[0]", "IPv4-compatible"),
    ],
)
def test_unusable_addresses_name_file_line_and_field(entry: str, field: str, message: str) -> None:
    with pytest.raises(UserInputError) as info:
        parse_scope(HEAD + entry, "scope.yaml")
    assert str(info.value).startswith("scope.yaml:")
    assert message in str(info.value)
    assert info.value.location is not None and info.value.location.field == field
    assert info.value.location.line == HEAD.count("\n") + entry.count("\n")


def test_refusal_of_a_zone_id_host_is_not_a_match() -> None:
    scope: Scope = make_scope(hosts=["fe80::1"])
    assert scope.refusal("fe80::1%eth0") is not None
    assert scope.refusal("fe80::1") is None


def test_a_discovered_host_merges_into_the_asset_that_spells_it_mapped() -> None:
    known = asset("PACS-1", ip_addresses=("::ffff:10.1.0.5",))
    result = ServiceResult(Target("10.1.0.5", 104, TargetKind.DICOM), True, ServiceProtocol.DICOM)
    changes = merge.plan(batch_of([result]), [known], None)
    assert [a.id for a in changes.updated_assets] == ["PACS-1"]
    assert not changes.new_assets
