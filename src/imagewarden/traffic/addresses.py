"""Addresses as the traffic capability compares them: one spelling, inside or outside."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

# Networks that never route on the internet. Documentation ranges (TEST-NET, 2001:db8::/32)
# are deliberately *not* here: an address there stands for "somewhere on the internet" in
# examples and tests, and is treated as such.
_INTERNAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "0.0.0.0/8",
        "224.0.0.0/4",
        "255.255.255.255/32",
        "::1/128",
        "::/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)


@lru_cache(maxsize=65536)
def canonical(text: str) -> str:
    """One spelling per address (IPv4-mapped IPv6 as IPv4); other text unchanged."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return text.strip()
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


@lru_cache(maxsize=65536)
def is_internal(text: str) -> bool:
    """The address belongs to a private, loopback, link-local or shared network."""
    try:
        address = ipaddress.ip_address(canonical(text))
    except ValueError:
        return True
    return any(address.version == n.version and address in n for n in _INTERNAL)


def family(text: str) -> int:
    """4 or 6."""
    return ipaddress.ip_address(canonical(text)).version
