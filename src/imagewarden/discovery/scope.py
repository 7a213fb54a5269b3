"""The rules of engagement: which hosts and ports may be probed, when, how fast, and who said so.

A scope is a YAML file. Nothing outside its networks and hosts is ever contacted, exclusions
always win over inclusions, and a scan outside the time window is refused. Every mistake in
the file is reported with its line and field, before any packet is sent.

Every address is compared in its canonical form (``addresses.py``): ``::ffff:10.0.0.5`` and
``10.0.0.5`` are one host, so an include in one spelling cannot reach a host excluded in the
other. Targets carry canonical addresses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from imagewarden.discovery.addresses import (
    Address,
    Network,
    canonical,
    canonical_address,
    canonical_network,
    canonical_text,
    exclusion_aliases,
    parse_target,
)
from imagewarden.discovery.interface import DicomTitles, ProbeOptions, Profile, Target, TargetKind
from imagewarden.model import Location, UserInputError
from imagewarden.readers.yaml import line_of, load_yaml

CanonicalHost = Annotated[str, AfterValidator(lambda text: str(canonical_address(text)))]
"""An address in any spelling, kept in canonical form (ValueError names a bad one)."""
AeTitle = Annotated[
    str, StringConstraints(pattern=r"^[\x21-\x5b\x5d-\x7e][\x20-\x5b\x5d-\x7e]{0,15}$")
]
Port = Annotated[int, Field(ge=1, le=65535)]

DEFAULT_CALLING_AE = "IMAGEWARDEN"
DEFAULT_CALLED_AE = "ANY-SCP"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Window(_Model):
    """When probing is allowed (both ends with a time zone)."""

    start: dt.datetime
    end: dt.datetime


class Ports(_Model):
    """The ports probed on every host, per kind of service."""

    dicom: tuple[Port, ...] = (104, 4242, 11112)
    dicom_tls: tuple[Port, ...] = (2762,)
    http: tuple[Port, ...] = (8042,)
    https: tuple[Port, ...] = ()
    hl7: tuple[Port, ...] = (2575,)


class KnownDicomService(_Model):
    """A DICOM service whose configured AE titles the site knows (from the PACS config)."""

    host: CanonicalHost
    port: Port
    called_ae: AeTitle
    calling_ae: AeTitle | None = None
    """A calling AE title the service is configured to accept, when the site has one for us."""


class DicomSettings(_Model):
    """Default AE titles, and the services whose titles the site knows."""

    calling_ae: AeTitle = DEFAULT_CALLING_AE
    called_ae: AeTitle = DEFAULT_CALLED_AE
    services: tuple[KnownDicomService, ...] = ()


class Rate(_Model):
    """Pacing and timeouts: how gently the scan runs."""

    global_per_second: float = Field(default=50.0, gt=0, le=10000)
    per_host_per_second: float = Field(default=5.0, gt=0, le=1000)
    hosts_in_parallel: int = Field(default=16, ge=1, le=512)
    associations_per_host: int = Field(default=1, ge=1, le=4)
    connect_timeout: float = Field(default=2.0, gt=0, le=30)
    read_timeout: float = Field(default=2.0, gt=0, le=30)


class Limits(_Model):
    """Caps on what a scan may count and cover."""

    max_query_matches: int = Field(default=100, ge=1, le=10000)
    max_hosts: int = Field(default=4096, ge=1, le=65536)


class ScopeFile(_Model):
    """The scope file's schema (see docs/safety.md)."""

    authorised_by: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)
    ]
    window: Window
    site: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")] = "discovered"
    profile: Profile = Profile.SAFE
    networks: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    ports: Ports = Ports()
    dicom: DicomSettings = DicomSettings()
    rate: Rate = Rate()
    limits: Limits = Limits()


def _network(text: str, where: Location) -> Network:
    try:
        return canonical_network(text)
    except ValueError as exc:
        raise UserInputError(str(exc), where) from None


def _sort_key(target: Target) -> tuple[int, Address, int]:
    # IPv4 before IPv6: ipaddress refuses to order addresses of different versions.
    address = canonical_address(target.host)
    return address.version, address, target.port


@dataclass(frozen=True)
class Scope:
    """A validated scope, with the address arithmetic done once."""

    source: str
    spec: ScopeFile
    include: tuple[Network, ...]
    exclude: tuple[Network, ...]
    digest: str = hashlib.sha256(b"").hexdigest()
    """SHA-256 of the file's text: which version of the rules of engagement a run obeyed."""

    @property
    def profile(self) -> Profile:
        """The scope's default profile."""
        return self.spec.profile

    def refusal(self, host: str) -> str | None:
        """Why ``host`` (any spelling) may not be contacted, or None when it may."""
        try:
            address = canonical_address(host)
        except ValueError as exc:
            return str(exc)  # a host name, a zone id or garbage: the scope names addresses
        return self._refusal(address)

    def _refusal(self, address: Address) -> str | None:
        # Exclusions always win, and are tested on every spelling of the host (mapped,
        # compatible, translated): an exclusion written ::ffff:0:0/95 covers every IPv4 host.
        aliases = exclusion_aliases(address)
        for net in self.exclude:
            if any(alias in net for alias in aliases):
                return f"{address} is excluded by the scope ({net})"
        # Inclusions match the canonical address only, so they can never widen the scope.
        if not any(address in net for net in self.include):
            return f"{address} is outside the scope's networks and hosts"
        return None

    def window_refusal(self, now: dt.datetime) -> str | None:
        """Why a scan at ``now`` is refused (outside the window), or None."""
        start, end = self.spec.window.start, self.spec.window.end
        if now < start or now > end:
            return (
                f"now ({now.isoformat(timespec='seconds')}) is outside the scope's time window "
                f"{start.isoformat()} .. {end.isoformat()}"
            )
        return None

    def hosts(self) -> Iterator[str]:
        """Every allowed address, in order, without duplicates; exclusions removed."""
        seen: set[Address] = set()
        for net in self.include:
            addresses = [net.network_address] if net.num_addresses == 1 else net.hosts()
            for address in map(canonical, addresses):
                if address not in seen and self._refusal(address) is None:
                    seen.add(address)
                    yield str(address)

    def targets(self, only: tuple[str, ...] = ()) -> list[Target]:
        """Every (host, port, kind) to probe; ``only`` narrows to hosts or host:port pairs."""
        ports = self.spec.ports
        # TLS kinds first: a port listed twice is probed once, as the more specific kind.
        kinds = (
            (TargetKind.DICOM_TLS, ports.dicom_tls),
            (TargetKind.DICOM, ports.dicom),
            (TargetKind.HTTPS, ports.https),
            (TargetKind.HTTP, ports.http),
            (TargetKind.HL7, ports.hl7),
        )
        wanted = _parse_only(only)
        result: list[Target] = []
        for host in self.hosts():
            for kind, numbers in kinds:
                for port in numbers:
                    if wanted and (host, None) not in wanted and (host, port) not in wanted:
                        continue
                    result.append(Target(host, port, kind))
        unique: dict[tuple[str, int], Target] = {}
        for target in result:
            unique.setdefault((target.host, target.port), target)
        return sorted(unique.values(), key=_sort_key)

    def check_only(self, only: tuple[str, ...]) -> None:
        """Refuse any ``--target`` the scope does not allow, naming the reason."""
        for host, _ in _parse_only(only):
            reason = self.refusal(host)
            if reason is not None:
                raise UserInputError(f"target refused: {reason}", Location(self.source))

    def titles(self, target: Target) -> DicomTitles:
        """The AE titles for ``target``: a known service's configured ones, else the defaults."""
        host = canonical_text(target.host)  # known services' hosts are canonical too
        for known in self.spec.dicom.services:
            if known.host == host and known.port == target.port:
                calling = known.calling_ae or self.spec.dicom.calling_ae
                return DicomTitles(calling, known.called_ae, True, known.calling_ae is not None)
        return DicomTitles(self.spec.dicom.calling_ae, self.spec.dicom.called_ae, False)

    def options(
        self,
        profile: Profile | None = None,
        *,
        allow_query: bool = False,
        allow_credential_checks: bool = False,
    ) -> ProbeOptions:
        """Probe options: ``profile`` (default: the scope's), opt-ins, the scope's timeouts."""
        rate = self.spec.rate
        return ProbeOptions(
            profile=profile or self.spec.profile,
            allow_query=allow_query,
            allow_credential_checks=allow_credential_checks,
            connect_timeout=rate.connect_timeout,
            read_timeout=rate.read_timeout,
            max_query_matches=self.spec.limits.max_query_matches,
        )


def _parse_only(only: Iterable[str]) -> set[tuple[str, int | None]]:
    """``--target`` values as (canonical host, port or None)."""
    wanted: set[tuple[str, int | None]] = set()
    for item in only:
        try:
            address, port = parse_target(item)
        except ValueError as exc:
            raise UserInputError(f"--target: {exc}") from None
        wanted.add((str(address), port))
    return wanted


def parse_scope(text: str, source: str) -> Scope:
    """Validate a scope file's text; UserInputError names the line and field of a mistake."""
    # the bounded reader: nesting depth, alias use and expanded size are limited
    data, node = load_yaml(text, source)
    if not isinstance(data, dict):
        raise UserInputError(
            "a scope file is a mapping (authorised_by, window, networks, ...)", Location(source, 1)
        )
    try:
        spec = ScopeFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(str(p) for p in loc)
        raise UserInputError(
            first["msg"], Location(source, line_of(node, loc), field=field or None)
        ) from None
    if spec.window.start.tzinfo is None or spec.window.end.tzinfo is None:
        raise UserInputError(
            "window start and end need a time zone (e.g. 2026-11-25T08:00:00Z)",
            Location(source, line_of(node, ("window",)), field="window"),
        )
    if spec.window.end <= spec.window.start:
        raise UserInputError(
            "window end is not after its start",
            Location(source, line_of(node, ("window",)), field="window"),
        )

    def nets(key: str, values: tuple[str, ...]) -> tuple[Network, ...]:
        return tuple(
            _network(v, Location(source, line_of(node, (key, i)), field=f"{key}[{i}]"))
            for i, v in enumerate(values)
        )

    include = nets("networks", spec.networks) + nets("hosts", spec.hosts)
    if not include:
        raise UserInputError("the scope names no networks or hosts", Location(source, 1))
    exclude = nets("exclude", spec.exclude)
    total = sum(n.num_addresses for n in include)
    if total > spec.limits.max_hosts:
        raise UserInputError(
            f"the scope covers {total} addresses, more than limits.max_hosts "
            f"({spec.limits.max_hosts}); narrow it or raise the limit deliberately",
            Location(source, line_of(node, ("networks",)), field="networks"),
        )
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    scope = Scope(source, spec, include, exclude, digest)
    for i, known in enumerate(spec.dicom.services):
        reason = scope.refusal(known.host)
        if reason is not None:
            raise UserInputError(
                f"known DICOM service refused: {reason}",
                Location(
                    source, line_of(node, ("dicom", "services", i)), field=f"dicom.services[{i}]"
                ),
            )
    return scope


def load_scope(path: Path) -> Scope:
    """Read and validate a scope file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(
            f"cannot read scope file: {exc.__class__.__name__}", Location(str(path))
        ) from None
    return parse_scope(text, str(path))
