"""Governance and culture: leadership checklists, framework crosswalk, maturity tiers,
training and phishing metrics, plan of action and milestones, OSCAL and DefectDojo exports,
and the board one-pager."""
