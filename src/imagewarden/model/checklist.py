"""Leadership checklists: catalog data validated like checks and safeguards.

A checklist speaks to one audience (executive, radiology chair, PACS team, clinical
engineering, vendor management, AI governance). Each question says why it matters, what
evidence a reviewer expects, which framework requirements it serves and which safeguards it
stands for, so a "no" can be turned into a finding with the right safeguards attached.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from imagewarden.model.catalog import FrameworkRef, SafeguardUrn
from imagewarden.model.enums import Severity

QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")]
CSF_FUNCTIONS: tuple[str, ...] = ("GV", "ID", "PR", "DE", "RS", "RC")


class Answer(StrEnum):
    """The answer scale every question uses."""

    YES = "yes"
    PARTIAL = "partial"
    NO = "no"
    NOT_APPLICABLE = "not_applicable"


class Audience(StrEnum):
    """Who a leadership checklist is for (executive, PACS lead, clinical engineering...)."""

    EXECUTIVE = "executive"
    RADIOLOGY_LEADERSHIP = "radiology_leadership"
    PACS_INFORMATICS = "pacs_informatics"
    CLINICAL_ENGINEERING = "clinical_engineering"
    VENDOR_MANAGEMENT = "vendor_management"
    AI_GOVERNANCE = "ai_governance"


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Question(_Entry):
    """One leadership question, with its framework references and linked safeguards."""

    id: QuestionId
    """Stable short id, e.g. ``exec-01``; its URN is ``urn:imagewarden:question:<id>``."""
    text: str
    rationale: str
    evidence: str
    """What a reviewer expects to see as proof of a "yes"."""
    function: str
    """The CSF 2.0 function the question measures (GV, ID, PR, DE, RS, RC); maturity tiers
    are computed per function from these answers."""
    severity: Severity = Severity.MEDIUM
    """Severity of the finding a "no" raises; "partial" raises one level lower."""
    answers: tuple[Answer, ...] = tuple(Answer)
    refs: tuple[FrameworkRef, ...] = Field(min_length=1)
    safeguards: tuple[SafeguardUrn, ...] = Field(min_length=1)

    @field_validator("function")
    @classmethod
    def _known_function(cls, value: str) -> str:
        if value not in CSF_FUNCTIONS:
            raise ValueError(f"function must be one of {list(CSF_FUNCTIONS)}")
        return value

    @property
    def urn(self) -> str:
        """The question's stable URN."""
        return f"urn:imagewarden:question:{self.id}"


class Checklist(_Entry):
    """A leadership checklist: the questions one audience answers for each site."""

    id: Annotated[str, StringConstraints(pattern=r"^urn:imagewarden:checklist:[a-z0-9-]+$")]
    audience: Audience
    title: str
    description: str
    questions: tuple[Question, ...] = Field(min_length=1)
