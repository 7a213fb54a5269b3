"""A discovery batch: what one run learned, with no database involved.

``collect`` (``api.py``) produces it; ``apply`` writes it to a store. A site worker collects
where the devices are and sends the batch to the centre, so the batch is plain data: it
serialises to JSON (``to_json``) and is validated again when read back (``from_json``): every
fact must be a registered discovery fact with a value of its type, every connection record
well formed. A batch from elsewhere is input, not trusted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from imagewarden.discovery.connections import ConnectionRecord
from imagewarden.discovery.facts import ASSET_FACTS, SERVICE_FACTS
from imagewarden.discovery.interface import (
    ProbeOptions,
    Product,
    Profile,
    ServiceResult,
    Target,
    TargetKind,
    TargetStatus,
)
from imagewarden.model import (
    FACTS,
    FactType,
    FactValue,
    ServiceProtocol,
    SubjectKind,
    UserInputError,
)

BATCH_FORMAT = 1
"""Version of the batch's JSON shape."""
Text = Annotated[str, StringConstraints(max_length=300)]


def _coerce(name: str, value: object, subject: SubjectKind) -> FactValue:
    """``value`` as the registered type of fact ``name`` (dates arrive as ISO text in JSON)."""
    allowed = SERVICE_FACTS if subject is SubjectKind.SERVICE else ASSET_FACTS
    spec = FACTS.get(name)
    if spec is None or name not in allowed:
        raise ValueError(f"{name[:60]!r} is not a {subject.value} fact discovery records")
    kind = spec.type
    if kind is FactType.BOOL and isinstance(value, bool):
        return value
    if kind is FactType.INT and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is FactType.FLOAT and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind is FactType.STR and isinstance(value, str):
        return value
    if kind is FactType.CHOICE and value in spec.choices:
        return str(value)
    if kind is FactType.DATE:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            return dt.date.fromisoformat(value)
    raise ValueError(f"{name}: {str(value)[:40]!r} is not a {kind.value}")


def _facts(value: object, subject: SubjectKind) -> dict[str, FactValue]:
    if not isinstance(value, Mapping):
        raise ValueError("facts are a mapping of fact name to value")
    if len(value) > 200:
        raise ValueError("more facts than any probe records")
    return {str(name): _coerce(str(name), v, subject) for name, v in value.items()}


class ProductInfo(BaseModel):
    """The product a probe identified."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    vendor: Text
    name: Text
    version: Text = ""
    outdated: bool | None = None


class TargetResult(BaseModel):
    """What the probe of one target learned: facts, never bytes from the peer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: Text
    port: int = Field(ge=1, le=65535)
    kind: TargetKind
    status: TargetStatus
    protocol: ServiceProtocol | None = None
    """What the port speaks; None when closed, not contacted or not found out."""
    outcome: Text = ""
    facts: dict[str, FactValue] = Field(default_factory=dict)
    """Facts about the service (subject: the service on this port)."""
    asset_facts: dict[str, FactValue] = Field(default_factory=dict)
    """Facts about the host (subject: its asset)."""
    notes: tuple[Text, ...] = ()
    product: ProductInfo | None = None

    @field_validator("facts", mode="before")
    @classmethod
    def _service_facts(cls, value: object) -> dict[str, FactValue]:
        return _facts(value, SubjectKind.SERVICE)

    @field_validator("asset_facts", mode="before")
    @classmethod
    def _asset_facts(cls, value: object) -> dict[str, FactValue]:
        return _facts(value, SubjectKind.ASSET)

    @property
    def target(self) -> Target:
        """The target probed."""
        return Target(self.host, self.port, self.kind)

    @property
    def found(self) -> bool:
        """A service answered and the probe could tell what it speaks."""
        return self.status is TargetStatus.ANSWERED and self.protocol is not None

    @property
    def endpoint(self) -> str:
        """``host:port`` (``[v6]:port`` for IPv6)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def found_product(self) -> Product | None:
        """The identified product as the probes' type."""
        if self.product is None:
            return None
        p = self.product
        return Product(p.vendor, p.name, p.version, p.outdated)

    @classmethod
    def of(cls, result: ServiceResult) -> TargetResult:
        """The batch's form of a probe's result."""
        product = result.product
        return cls(
            host=result.target.host,
            port=result.target.port,
            kind=result.target.kind,
            status=result.status,
            protocol=result.protocol,
            outcome=result.outcome,
            facts=dict(result.facts),
            asset_facts=dict(result.asset_facts),
            notes=result.notes,
            product=(
                ProductInfo(
                    vendor=product.vendor,
                    name=product.name,
                    version=product.version,
                    outdated=product.outdated,
                )
                if product is not None
                else None
            ),
        )


class DiscoveryBatch(BaseModel):
    """Everything one discovery run learned, and under whose authority it ran."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = BATCH_FORMAT
    batch_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,100}$")]
    """Unique per run (a worker derives it from its job id and attempt)."""
    site: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    scope_source: Text
    """The scope file the run obeyed."""
    scope_digest: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{12,64}$")]
    """SHA-256 of the scope file's text: which version of the rules of engagement."""
    authorised_by: Text
    profile: Profile
    allow_query: bool = False
    allow_credential_checks: bool = False
    started_at: dt.datetime
    finished_at: dt.datetime
    results: tuple[TargetResult, ...]
    """One per target probed, in target order."""
    connections: tuple[ConnectionRecord, ...] = ()
    """Every connection the run made, in the order they finished (the connection log)."""

    def options(self) -> ProbeOptions:
        """The profile and opt-ins the run used (what it measured)."""
        return ProbeOptions(
            profile=self.profile,
            allow_query=self.allow_query,
            allow_credential_checks=self.allow_credential_checks,
        )

    @property
    def collector(self) -> str:
        """Kept with every observation: which profile ran and who authorised it."""
        return (f"imagewarden discover ({self.profile.value}; authorised by {self.authorised_by})")[
            :300
        ]

    def to_json(self) -> str:
        """The batch as JSON text (what a site worker sends)."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "discovery batch") -> DiscoveryBatch:
        """A batch read back from JSON, validated; UserInputError names the first problem."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise UserInputError(f"{source}: {where}: {first['msg']}"[:300]) from None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data (dates as ISO text)."""
        data: dict[str, Any] = self.model_dump(mode="json")
        return data
