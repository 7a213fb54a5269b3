"""One spelling per address, so that every scope comparison compares like with like.

An IPv4 host can be written many ways: ``10.0.0.5``, ``::ffff:10.0.0.5`` (IPv4-mapped; a
dual-stack socket dials it as 10.0.0.5), ``::ffff:a00:5``, ``0:0:0:0:0:ffff:0a00:0005``,
``::10.0.0.5`` (IPv4-compatible, deprecated) or with surrounding whitespace. Python's
``ipaddress`` never finds an IPv4 address in an IPv6 network or the reverse, so a scope that
compared the spellings as written would let an include in one spelling reach a host excluded
in another. Every address and network therefore goes through ``canonical_address`` or
``canonical_network`` before it is compared, stored as a target or dialled.

Zone ids (``fe80::1%eth0``) are refused, not stripped: a zone names an interface, and the
same link-local address on two links is two devices. Stripping would make an include for one
link match a device on another; keeping it would make matching depend on the spelling.
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

_MAPPED = IPv6Network("::ffff:0:0/96")
_COMPATIBLE = IPv6Network("::/96")
_NOT_COMPATIBLE = IPv6Network("::/127")  # :: and ::1 are IPv6's unspecified and loopback
# Prefixes whose addresses reach an IPv4 host through a translator (SIIT, RFC 6052 NAT64):
# a different address, but the same device once translated, so exclusions cover them too.
_TRANSLATED = (IPv6Network("::ffff:0:0:0/96"), IPv6Network("64:ff9b::/96"))
_LOW_32 = 0xFFFFFFFF


def _refuse_zone(text: str) -> None:
    if "%" in text:
        zone = text.split("%", 1)[1].split("/", 1)[0]
        raise ValueError(
            f"{text!r} has an IPv6 zone id (%{zone}): the scope names addresses, not "
            "interfaces; write the address without it"
        )


def canonical(address: Address) -> Address:
    """The IPv4 address an IPv4-mapped or IPv4-compatible IPv6 address stands for."""
    if isinstance(address, IPv6Address) and (
        address in _MAPPED or (address in _COMPATIBLE and address not in _NOT_COMPATIBLE)
    ):
        return IPv4Address(int(address) & _LOW_32)
    return address


def canonical_address(text: str) -> Address:
    """Parse one address in any spelling ``ipaddress`` accepts; ValueError names the problem."""
    text = text.strip()
    _refuse_zone(text)
    try:
        return canonical(ipaddress.ip_address(text))
    except ValueError:
        raise ValueError(
            f"{text!r} is not an IP address (host names are never looked up)"
        ) from None


def canonical_text(text: str) -> str:
    """The canonical spelling of ``text``, or ``text`` itself when it is no address.

    For grouping and matching only: whatever is not an address is refused where it matters.
    """
    try:
        return str(canonical_address(text))
    except ValueError:
        return text


def canonical_network(text: str) -> Network:
    """Parse an address or network (host bits ignored) into its canonical network.

    An IPv6 network inside the IPv4-mapped or IPv4-compatible space with a prefix of 96 or
    more is the IPv4 network of prefix - 96. A wider one also spans non-IPv4 addresses and
    stays IPv6 (exclusions still catch the IPv4 hosts inside it: see ``exclusion_aliases``).
    """
    text = text.strip()
    _refuse_zone(text)
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address or network") from None
    if isinstance(network, IPv4Network) or network.prefixlen < 96:
        return network
    if network.subnet_of(_MAPPED):
        return _ipv4_network(network)
    if network.subnet_of(_COMPATIBLE):
        if network.overlaps(_NOT_COMPATIBLE) and network.prefixlen < 127:
            raise ValueError(
                f"{text!r} mixes IPv4-compatible addresses with :: and ::1 (IPv6's "
                "unspecified and loopback addresses); write the IPv4 network and ::1 separately"
            )
        if not network.overlaps(_NOT_COMPATIBLE):
            return _ipv4_network(network)
    return network


def _ipv4_network(network: IPv6Network) -> IPv4Network:
    low = int(network.network_address) & _LOW_32
    return IPv4Network((low, network.prefixlen - 96))


def exclusion_aliases(address: Address) -> tuple[Address, ...]:
    """Every address that is, or reaches, the same host as ``address`` (canonical first).

    An exclusion matches when any of these is inside it, so an exclusion written in any
    spelling, even a network wider than the mapped space such as ``::ffff:0:0/95``, keeps the
    host out. Inclusions are matched on the canonical address only: they never widen.
    """
    address = canonical(address)
    if isinstance(address, IPv6Address):
        embedded = [IPv4Address(int(address) & _LOW_32) for n in _TRANSLATED if address in n]
        return (address, *(a for v4 in embedded for a in exclusion_aliases(v4)))
    value = int(address)
    aliases: list[Address] = [address, IPv6Address(int(_MAPPED.network_address) | value)]
    if value > 1:  # 0.0.0.0 and 0.0.0.1 written IPv4-compatible would be :: and ::1
        aliases.append(IPv6Address(value))
    aliases.extend(IPv6Address(int(n.network_address) | value) for n in _TRANSLATED)
    return tuple(aliases)


def parse_target(text: str) -> tuple[Address, int | None]:
    """A ``--target``: ``address``, ``ipv4:port``, ``[ipv6]`` or ``[ipv6]:port``.

    A bare IPv6 address is always read as an address (``2001:db8::104`` is one address, not
    port 104 of 2001:db8::); a port after an IPv6 address needs brackets.
    """
    text = text.strip()
    host, port = text, None
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"{text!r} is not [address] or [address]:port")
        port = _port(text, rest[1:]) if rest else None
    elif text.count(":") == 1:
        host, _, number = text.partition(":")
        port = _port(text, number)
    try:
        return canonical_address(host), port
    except ValueError:
        head, _, tail = host.rpartition(":")
        if port is None and tail.isdigit() and _is_address(head):
            raise ValueError(
                f"{text!r} reads as an IPv6 address and a port; write it as [address]:port"
            ) from None
        raise


def _is_address(text: str) -> bool:
    try:
        canonical_address(text)
    except ValueError:
        return False
    return True


def _port(text: str, number: str) -> int:
    if not (number.isascii() and number.isdigit()) or not 1 <= int(number) <= 65535:
        raise ValueError(f"the port in {text!r} is not a number from 1 to 65535")
    return int(number)
