"""Compliance rules, one module per stage (DESIGN.md rule 3): pure functions over plain data.

``RULES`` is the registry of every rule's ``RuleSpec`` by id; a new rule module adds its
``RULES`` tuple here. The engine that loads the data and runs the rules is
``lawtrail.services.findings``.
"""

from __future__ import annotations

from lawtrail.domain.findings import RuleSpec
from lawtrail.domain.rules import approvals, case_records, continuity, disclosure, review, service, vault
from lawtrail.domain.rules.common import RuleSettings

RULES: dict[str, RuleSpec] = {spec.id: spec for spec in (*vault.RULES, *continuity.RULES.values(),
                                                 *approvals.RULES.values(), *case_records.RULES.values(),
                                                 *review.RULES.values(),
                                                 *service.RULES.values(), *disclosure.RULES)}

__all__ = ["RULES", "RuleSettings"]
