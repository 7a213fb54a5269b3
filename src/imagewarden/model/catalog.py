"""Catalog entries: checks, safeguards, framework references and the tables checks rely on.

These are validated from YAML (``imagewarden/catalog/data``) with pydantic, so a mistake in
catalog data is reported with the file and the field, never silently ignored.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from imagewarden.model.enums import (
    AssetCategory,
    AssetType,
    DefenseLayer,
    Exploitability,
    SafeguardType,
    ServiceProtocol,
    Severity,
    SubjectKind,
)

CheckUrn = Annotated[str, StringConstraints(pattern=r"^urn:imagewarden:check:[a-z0-9][a-z0-9-]*$")]
SafeguardUrn = Annotated[
    str, StringConstraints(pattern=r"^urn:imagewarden:safeguard:[a-z0-9][a-z0-9-]*$")
]
ScalarValue = bool | int | float | str | dt.date


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FrameworkRef(_Entry):
    """A citation of one requirement of a published framework."""

    framework: str
    id: str
    edition: str | None = None


class FrameworkRequirement(_Entry):
    """One requirement of a framework (e.g. a CSF 2.0 subcategory), with its title."""

    id: str
    title: str


class Framework(_Entry):
    """A published framework and the requirement ids the catalog may cite."""

    id: str
    title: str
    edition: str
    publisher: str
    source: str
    """Where the ids were taken from: document title and address."""
    cite_with_edition: bool = False
    """References must name the edition (numbering changed between editions, as in HICP)."""
    requirements: tuple[FrameworkRequirement, ...]


class Condition(_Entry):
    """A test of one fact, or a combination of conditions.

    Exactly one of the combinators (all, any, not) or one fact test is given. A fact test with
    several operators (e.g. gte and lte) holds when every operator holds. A test of a fact
    that is not known for the subject is false, except ``exists: false``; unknown is not "no".
    """

    all: tuple[Condition, ...] | None = None
    any: tuple[Condition, ...] | None = None
    not_: Condition | None = Field(default=None, alias="not")
    fact: str | None = None
    equals: ScalarValue | None = None
    not_equals: ScalarValue | None = None
    in_: tuple[ScalarValue, ...] | None = Field(default=None, alias="in")
    not_in: tuple[ScalarValue, ...] | None = None
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    exists: bool | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _one_shape(self) -> Condition:
        combinators = [x for x in (self.all, self.any, self.not_) if x is not None]
        tests = [
            x
            for x in (
                self.equals,
                self.not_equals,
                self.in_,
                self.not_in,
                self.gt,
                self.gte,
                self.lt,
                self.lte,
                self.exists,
            )
            if x is not None
        ]
        if combinators and (self.fact is not None or tests):
            raise ValueError("a condition is either a combinator (all/any/not) or a fact test")
        if len(combinators) > 1:
            raise ValueError("use only one of all / any / not in one condition")
        if not combinators:
            if self.fact is None:
                raise ValueError("a fact test needs 'fact'")
            if not tests:
                raise ValueError(f"fact test on {self.fact!r} needs an operator (equals, in, ...)")
        return self

    def facts(self) -> set[str]:
        """Every fact name this condition reads."""
        names: set[str] = set()
        if self.fact is not None:
            names.add(self.fact)
        for child in (*(self.all or ()), *(self.any or ()), *((self.not_,) if self.not_ else ())):
            names |= child.facts()
        return names


class AppliesTo(_Entry):
    """Which subjects a check evaluates. Empty lists mean no restriction."""

    subject: SubjectKind = SubjectKind.ASSET
    asset_types: tuple[AssetType, ...] = ()
    categories: tuple[AssetCategory, ...] = ()
    protocols: tuple[ServiceProtocol, ...] = ()


class Check(_Entry):
    """A catalog rule. Its URN never changes once published."""

    id: CheckUrn
    title: str
    applies_to: AppliesTo = AppliesTo()
    producer: str = "rules"
    """Who raises findings of this check: "rules" evaluates ``when`` against every subject;
    any other value names a finding producer (e.g. "vulns") that raises them itself and uses
    the check for its title, severity, explanation and safeguards."""
    when: Condition | None = None
    severity: Severity
    exploitability: Exploitability = Exploitability.MEDIUM
    why: str
    evidence: tuple[str, ...] = ()
    """Fact names shown as evidence, in addition to the facts the condition reads."""
    safeguards: tuple[SafeguardUrn, ...] = Field(min_length=1)
    refs: tuple[FrameworkRef, ...] = ()
    tags: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _rules_need_a_condition(self) -> Check:
        if self.producer == "rules" and self.when is None:
            raise ValueError("a check evaluated by rules needs 'when'")
        if self.producer != "rules" and self.when is not None:
            raise ValueError(f"'when' is evaluated only by rules, not by {self.producer!r}")
        return self


class Safeguard(_Entry):
    """A recommended control, placed in a defense-in-depth layer."""

    id: SafeguardUrn
    title: str
    type: SafeguardType
    layer: DefenseLayer
    description: str
    effort: Literal["low", "medium", "high"] = "medium"
    refs: tuple[FrameworkRef, ...] = Field(min_length=1)


class OsLifecycle(_Entry):
    """End of support of one operating system release, with the source of the date."""

    name: str
    """Canonical name, e.g. 'Windows 7' or 'Windows 10 1809'."""
    aliases: tuple[str, ...] = ()
    family: str
    end_of_support: dt.date
    extended_support_end: dt.date | None = None
    """End of paid extended updates (e.g. Windows ESU), shown but not used as support."""
    source: str


class ProductEntry(_Entry):
    """A canonical vendor with the aliases seen in inventories and feeds."""

    vendor: str
    aliases: tuple[str, ...] = ()
    cpe_vendors: tuple[str, ...] = ()
    products: tuple[ProductAlias, ...] = ()


class ProductAlias(_Entry):
    """Another way a vendor or product is written, mapped to the dictionary's name."""

    name: str
    aliases: tuple[str, ...] = ()
    """Other spellings of the same product."""
    models: tuple[str, ...] = ()
    """Distinct models of this product family ("Brilliance iCT SP" of "Brilliance CT"): an
    advisory or CPE naming one model says nothing certain about another."""
    cpe_products: tuple[str, ...] = ()
    asset_types: tuple[AssetType, ...] = ()


ProductEntry.model_rebuild()


def catalog_json(entry: _Entry) -> dict[str, Any]:
    """A JSON-ready dict of a catalog entry (for exports)."""
    return entry.model_dump(mode="json", by_alias=True, exclude_none=True)
