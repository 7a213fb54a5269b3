"""nmap XML scans (``nmap -oX``): hosts, open ports, service and version detection, and the
results of the ``dicom-ping`` script.

Read with defusedxml (no entities, no external references) under the input limits: file
size, element nesting and the number of hosts. Nothing of a host is kept but its addresses,
hostnames and ports; script output other than dicom-ping's two verdicts is ignored.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

from imagewarden.model import Location, ServiceProtocol, UserInputError
from imagewarden.readers.limits import FILE_BYTES, ROWS, XML_DEPTH, LimitExceeded, check_size

# nmap service names -> what the service speaks
_PROTOCOLS = {
    "dicom": ServiceProtocol.DICOM,
    "http": ServiceProtocol.HTTP,
    "http-alt": ServiceProtocol.HTTP,
    "http-proxy": ServiceProtocol.HTTP,
    "https": ServiceProtocol.HTTPS,
    "https-alt": ServiceProtocol.HTTPS,
    "ms-wbt-server": ServiceProtocol.RDP,
    "microsoft-ds": ServiceProtocol.SMB,
    "netbios-ssn": ServiceProtocol.SMB,
    "vnc": ServiceProtocol.VNC,
    "ssh": ServiceProtocol.SSH,
    "telnet": ServiceProtocol.TELNET,
    "ftp": ServiceProtocol.FTP,
    "snmp": ServiceProtocol.SNMP,
    "hl7": ServiceProtocol.HL7,
    "ms-sql-s": ServiceProtocol.DATABASE,
    "mysql": ServiceProtocol.DATABASE,
    "postgresql": ServiceProtocol.DATABASE,
    "oracle-tns": ServiceProtocol.DATABASE,
}
ANY_AE_ACCEPTED = "Any AET is accepted (Insecure)"
CALLED_AE_CHECKED = "Called AET check enabled"


@dataclass(frozen=True, slots=True)
class ScannedPort:
    """One open TCP port as nmap saw it."""

    port: int
    protocol: ServiceProtocol
    tls: bool | None
    service_name: str
    product: str
    version: str
    dicom_any_called_ae: bool | None
    """dicom-ping's verdict: True 'any AE title accepted', False 'called AE checked'."""


@dataclass(frozen=True, slots=True)
class ScannedHost:
    """A host that was up, with its addresses (canonical), hostnames and open ports."""

    addresses: tuple[str, ...]
    hostnames: tuple[str, ...]
    ports: tuple[ScannedPort, ...]


@dataclass(frozen=True, slots=True)
class NmapScan:
    """The hosts of one nmap XML file."""

    source: str
    hosts: tuple[ScannedHost, ...]


def canonical_address(text: str) -> str | None:
    """The address in canonical form (IPv4-mapped IPv6 as IPv4), or None if not an IP."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _port(element: Element) -> ScannedPort | None:
    state = element.find("state")
    if element.get("protocol") != "tcp" or state is None or state.get("state") != "open":
        return None
    try:
        number = int(element.get("portid", ""))
    except ValueError:
        return None
    if not 0 < number < 65536:
        return None
    service = element.find("service")
    name = (service.get("name", "") if service is not None else "").lower()
    tunnel = service.get("tunnel", "") if service is not None else ""
    protocol = _PROTOCOLS.get(name, ServiceProtocol.OTHER)
    if tunnel == "ssl" and protocol is ServiceProtocol.HTTP:
        protocol = ServiceProtocol.HTTPS
    verdict: bool | None = None
    for script in element.findall("script"):
        if script.get("id") != "dicom-ping":
            continue
        protocol = ServiceProtocol.DICOM
        config = next(
            (e.text or "" for e in script.findall("elem") if e.get("key") == "config"), ""
        )
        output = script.get("output", "")
        if ANY_AE_ACCEPTED in (config or output):
            verdict = True
        elif CALLED_AE_CHECKED in (config or output):
            verdict = False
    return ScannedPort(
        port=number,
        protocol=protocol,
        tls=True if tunnel == "ssl" else None,
        service_name=name[:60],
        product=(service.get("product", "") if service is not None else "")[:100],
        version=(service.get("version", "") if service is not None else "")[:60],
        dicom_any_called_ae=verdict,
    )


def _host(element: Element) -> ScannedHost | None:
    status = element.find("status")
    if status is not None and status.get("state") != "up":
        return None
    addresses = [
        canonical_address(a.get("addr", ""))
        for a in element.findall("address")
        if a.get("addrtype") in ("ipv4", "ipv6")
    ]
    hostnames = [
        h.get("name", "")[:255] for h in element.findall("hostnames/hostname") if h.get("name")
    ]
    ports = [p for p in (_port(e) for e in element.findall("ports/port")) if p is not None]
    known = tuple(dict.fromkeys(a for a in addresses if a))
    if not known:
        return None
    return ScannedHost(known, tuple(dict.fromkeys(hostnames)), tuple(ports))


def read_nmap(path: Path) -> NmapScan:
    """Every host that was up in an nmap XML file; UserInputError names the file and line."""
    source = str(path)
    try:
        check_size(source, path.stat().st_size, FILE_BYTES)
        handle = path.open("rb")
    except OSError as exc:
        raise UserInputError(f"cannot read file: {exc.strerror}", Location(source)) from None
    hosts: list[ScannedHost] = []
    depth = 0
    seen_root = False
    max_depth, max_hosts = XML_DEPTH.value(), ROWS.value()
    try:
        with handle:
            for event, element in iterparse(handle, events=("start", "end")):
                if event == "start":
                    depth += 1
                    if depth > max_depth:
                        raise LimitExceeded(XML_DEPTH, source)
                    if not seen_root:
                        seen_root = True
                        if element.tag != "nmaprun":
                            raise UserInputError(
                                "not an nmap XML scan (its root is not <nmaprun>)",
                                Location(source, 1),
                                hint="save scans with nmap -oX FILE",
                            )
                    continue
                depth -= 1
                if element.tag == "host" and depth == 1:
                    host = _host(element)
                    if host is not None:
                        hosts.append(host)
                        if len(hosts) > max_hosts:
                            raise LimitExceeded(ROWS, source, "hosts")
                    element.clear()
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise UserInputError(
            f"not well-formed XML: {str(exc)[:120]}", Location(source, line)
        ) from None
    except DefusedXmlException as exc:
        raise UserInputError(
            f"refused XML construct ({type(exc).__name__}): entities and external references "
            "are never read",
            Location(source),
        ) from None
    if not seen_root:
        raise UserInputError("the file is empty", Location(source))
    return NmapScan(source, tuple(hosts))
