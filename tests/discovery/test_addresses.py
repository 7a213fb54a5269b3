"""Canonical addresses and networks: one spelling per host, IPv4 whenever it is an IPv4 host."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

import pytest

from imagewarden.discovery.addresses import (
    canonical_address,
    canonical_network,
    exclusion_aliases,
    parse_target,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.5", IPv4Address("127.0.0.5")),
        (" 127.0.0.5\n", IPv4Address("127.0.0.5")),
        ("::ffff:127.0.0.5", IPv4Address("127.0.0.5")),
        ("::FFFF:7F00:5", IPv4Address("127.0.0.5")),
        ("0000:0000:0000:0000:0000:ffff:7f00:0005", IPv4Address("127.0.0.5")),
        ("0:0:0:0:0:FFFF:127.0.0.5", IPv4Address("127.0.0.5")),
        ("::127.0.0.5", IPv4Address("127.0.0.5")),
        ("::2", IPv4Address("0.0.0.2")),
        ("::", IPv6Address("::")),
        ("::1", IPv6Address("::1")),
        ("0:0:0:0:0:0:0:1", IPv6Address("::1")),
        ("2001:DB8::0001", IPv6Address("2001:db8::1")),
        # A translator's prefix reaches an IPv4 host but is not the same address: kept as is.
        ("::ffff:0:127.0.0.5", IPv6Address("::ffff:0:7f00:5")),
        ("64:ff9b::127.0.0.5", IPv6Address("64:ff9b::7f00:5")),
    ],
)
def test_canonical_address(text: str, expected: IPv4Address | IPv6Address) -> None:
    assert canonical_address(text) == expected
    assert type(canonical_address(text)) is type(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fe80::1%eth0", "zone"),
        ("::ffff:127.0.0.5%1", "zone"),
        ("localhost", "not an IP address"),
        ("127.1", "not an IP address"),
        ("127.000.0.5", "not an IP address"),
        ("[::1]", "not an IP address"),
        ("10.0.0.0/24", "not an IP address"),
        ("", "not an IP address"),
        ("1 27.0.0.5", "not an IP address"),
    ],
)
def test_canonical_address_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        canonical_address(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.5/24", IPv4Network("10.0.0.0/24")),
        (" 10.0.0.5 ", IPv4Network("10.0.0.5/32")),
        ("::ffff:127.0.0.0/126", IPv4Network("127.0.0.0/30")),
        ("::ffff:127.0.0.5/126", IPv4Network("127.0.0.4/30")),
        ("::FFFF:7F00:0/120", IPv4Network("127.0.0.0/24")),
        ("::ffff:127.0.0.5", IPv4Network("127.0.0.5/32")),
        ("::ffff:0:0/96", IPv4Network("0.0.0.0/0")),
        ("::10.0.0.0/120", IPv4Network("10.0.0.0/24")),
        ("::1", IPv6Network("::1/128")),
        ("::/128", IPv6Network("::/128")),
        # Wider than the mapped space: it spans non-IPv4 addresses too, so it stays IPv6.
        ("::ffff:0:0/95", IPv6Network("::fffe:0:0/95")),
        ("2001:db8::/64", IPv6Network("2001:db8::/64")),
    ],
)
def test_canonical_network(text: str, expected: IPv4Network | IPv6Network) -> None:
    assert canonical_network(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fe80::1%eth0/128", "zone"),
        ("fe80::/64%eth0", "zone"),
        ("::/120", "IPv4-compatible"),
        ("::/96", "IPv4-compatible"),
        ("10.0.0.0/33", "not an IP address or network"),
        ("pacs.local", "not an IP address or network"),
    ],
)
def test_canonical_network_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        canonical_network(text)


def test_exclusion_aliases_cover_every_way_to_reach_an_ipv4_host() -> None:
    aliases = set(exclusion_aliases(IPv4Address("10.1.0.5")))
    assert aliases == {
        IPv4Address("10.1.0.5"),
        IPv6Address("::ffff:10.1.0.5"),
        IPv6Address("::10.1.0.5"),
        IPv6Address("::ffff:0:10.1.0.5"),
        IPv6Address("64:ff9b::10.1.0.5"),
    }
    assert IPv4Address("10.1.0.5") in set(exclusion_aliases(IPv6Address("64:ff9b::a01:5")))
    assert set(exclusion_aliases(IPv6Address("2001:db8::1"))) == {IPv6Address("2001:db8::1")}
    # 0.0.0.1 written IPv4-compatible would be ::1, the IPv6 loopback: a different host.
    assert IPv6Address("::1") not in set(exclusion_aliases(IPv4Address("0.0.0.1")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.5", (IPv4Address("10.0.0.5"), None)),
        ("10.0.0.5:104", (IPv4Address("10.0.0.5"), 104)),
        (" ::ffff:10.0.0.5 ", (IPv4Address("10.0.0.5"), None)),
        ("[::ffff:10.0.0.5]:104", (IPv4Address("10.0.0.5"), 104)),
        ("[::1]:11112", (IPv6Address("::1"), 11112)),
        ("[::1]", (IPv6Address("::1"), None)),
        # A bare IPv6 address is always an address: the last group is not a port.
        ("2001:db8::1:104", (IPv6Address("2001:db8::1:104"), None)),
    ],
)
def test_parse_target(text: str, expected: tuple[object, int | None]) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    "text",
    ["10.0.0.5:0", "10.0.0.5:65536", "10.0.0.5:x", "[::1]:", "[::1", "::ffff:10.0.0.5:104", "a:1"],
)
def test_parse_target_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_target(text)
