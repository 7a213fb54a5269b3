"""The permission matrix: which role may do which action, and on which sites.

One table decides every permission of the web workspace and its JSON API; every route names
the action it performs, and a route that names none is refused when the application is
built (deny by default). A person may be limited to some sites: then they see only those
sites' assets and findings (and enterprise-wide findings), and act only on their own sites.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from imagewarden.model import ENTERPRISE_SITE_ID
from imagewarden.model.checklist import Audience


class Role(StrEnum):
    """What a person does in the imaging department, as the workspace knows it."""

    ADMIN = "admin"
    SECURITY_ANALYST = "security-analyst"
    IMAGING_LEAD = "imaging-lead"
    LEADERSHIP = "leadership"
    CLINICAL_ENGINEERING = "clinical-engineering"
    AUDITOR = "auditor"
    """Reads everything, the audit log included; changes nothing."""


class Action(StrEnum):
    """Everything a route can do; each route declares exactly one."""

    DASHBOARD_VIEW = "dashboard.view"
    FINDINGS_VIEW = "findings.view"
    FINDINGS_TRIAGE = "findings.triage"
    """Accept a risk, mark a false positive, reopen."""
    FINDINGS_COMMENT = "findings.comment"
    """Comment on a finding, assign its owner."""
    ASSETS_VIEW = "assets.view"
    INVENTORY_IMPORT = "inventory.import"
    VULNS_VIEW = "vulns.view"
    CHECKLISTS_VIEW = "checklists.view"
    CHECKLISTS_ANSWER = "checklists.answer"
    PLAN_VIEW = "plan.view"
    PLAN_EDIT = "plan.edit"
    DRILLS_VIEW = "drills.view"
    DRILLS_RECORD = "drills.record"
    BACKUPS_VIEW = "backups.view"
    REPORTS_VIEW = "reports.view"
    REPORTS_DOWNLOAD = "reports.download"
    """Download the enterprise's reports (every site's findings)."""
    ASSESSMENT_RUN = "assessment.run"
    AUDIT_VIEW = "audit.view"
    USERS_MANAGE = "users.manage"
    ACCOUNT_VIEW = "account.view"
    """See one's own account and sign out."""


_READ = frozenset(
    {
        Action.DASHBOARD_VIEW,
        Action.FINDINGS_VIEW,
        Action.ASSETS_VIEW,
        Action.VULNS_VIEW,
        Action.CHECKLISTS_VIEW,
        Action.PLAN_VIEW,
        Action.DRILLS_VIEW,
        Action.BACKUPS_VIEW,
        Action.REPORTS_VIEW,
        Action.REPORTS_DOWNLOAD,
        Action.ACCOUNT_VIEW,
    }
)

READ_ACTIONS = _READ | {Action.AUDIT_VIEW}
"""Actions that change nothing."""

MATRIX: Mapping[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.SECURITY_ANALYST: _READ
    | {
        Action.FINDINGS_TRIAGE,
        Action.FINDINGS_COMMENT,
        Action.INVENTORY_IMPORT,
        Action.CHECKLISTS_ANSWER,
        Action.PLAN_EDIT,
        Action.ASSESSMENT_RUN,
        Action.AUDIT_VIEW,
    },
    Role.IMAGING_LEAD: _READ
    | {
        Action.FINDINGS_COMMENT,
        Action.INVENTORY_IMPORT,
        Action.CHECKLISTS_ANSWER,
        Action.PLAN_EDIT,
        Action.DRILLS_RECORD,
    },
    Role.LEADERSHIP: _READ | {Action.CHECKLISTS_ANSWER, Action.PLAN_EDIT},
    Role.CLINICAL_ENGINEERING: _READ
    | {Action.FINDINGS_COMMENT, Action.INVENTORY_IMPORT, Action.CHECKLISTS_ANSWER},
    Role.AUDITOR: READ_ACTIONS,
}
"""Role x action. Site scope is applied on top (see ``Principal.may``)."""

SITE_WIDE_ACTIONS = frozenset(
    {
        Action.USERS_MANAGE,
        Action.AUDIT_VIEW,
        Action.ASSESSMENT_RUN,
        Action.INVENTORY_IMPORT,
        Action.REPORTS_DOWNLOAD,
    }
)
"""Actions about the whole enterprise (an import may name any site; a report shows every
site): refused to a person limited to some sites."""


CHECKLIST_AUDIENCES: Mapping[Role, frozenset[Audience]] = {
    Role.ADMIN: frozenset(Audience),
    Role.SECURITY_ANALYST: frozenset(Audience),
    Role.IMAGING_LEAD: frozenset(
        {Audience.RADIOLOGY_LEADERSHIP, Audience.PACS_INFORMATICS, Audience.AI_GOVERNANCE}
    ),
    Role.LEADERSHIP: frozenset({Audience.EXECUTIVE, Audience.RADIOLOGY_LEADERSHIP}),
    Role.CLINICAL_ENGINEERING: frozenset(
        {Audience.CLINICAL_ENGINEERING, Audience.VENDOR_MANAGEMENT}
    ),
    Role.AUDITOR: frozenset(),
}
"""Whose checklists each role answers: each audience answers its own (the security team and
administrators may record any answer, e.g. transcribing a meeting's decisions)."""


def may_answer(role: Role, audience: Audience) -> bool:
    """Whether ``role`` may answer the checklist written for ``audience``."""
    return allowed(role, Action.CHECKLISTS_ANSWER) and audience in CHECKLIST_AUDIENCES[role]


def allowed(role: Role, action: Action) -> bool:
    """Whether ``role`` may perform ``action`` (ignoring site scope)."""
    return action in MATRIX[role]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a signed-in person or the owner of an API token."""

    name: str
    role: Role
    sites: frozenset[str] | None = None
    """The sites the person is limited to; None: every site."""

    def may(self, action: Action, site_id: str | None = None) -> bool:
        """Whether this person may perform ``action`` (on ``site_id``, when it is about one)."""
        if not allowed(self.role, action):
            return False
        if self.sites is None:
            return True
        if action in SITE_WIDE_ACTIONS:
            return False
        return site_id is None or site_id in self.sites

    def may_see_site(self, site_id: str) -> bool:
        """Whether this person may read what belongs to ``site_id``."""
        return self.sites is None or site_id in self.sites or site_id == ENTERPRISE_SITE_ID

    @property
    def visible_sites(self) -> frozenset[str] | None:
        """The sites whose records this person reads (None: every site)."""
        return None if self.sites is None else self.sites | {ENTERPRISE_SITE_ID}


def principal(name: str, role: str, sites: Collection[str]) -> Principal:
    """A principal from stored account fields (an empty ``sites``: every site)."""
    return Principal(name, Role(role), frozenset(sites) or None)
