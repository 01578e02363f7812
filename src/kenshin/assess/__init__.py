"""Assessment: priorities, deduplication and the health ministry checklist.

Public names:

- ``assess_findings(engagement, findings)`` → ``tuple[AssessedFinding, ...]``: merged
  (one issue, every evidence), placed in an ``Area``, given an ``Owner`` and a
  ``Priority`` by the documented model in ``priority.py``, numbered F-001….
- ``decide_priority(PriorityFactors)`` → ``PriorityDecision``: the model itself.
- ``evaluate_checklist(engagement, assessed, SurveyEvidence)`` → one
  ``ChecklistResult`` per item of ``load_checklist()``.
- ``redact(text)`` / ``clean_evidence(text)``: secrets masked, evidence trimmed.
"""

from kenshin.assess.assess import AREAS, Area, AssessedFinding, Evidence, Owner, assess_findings
from kenshin.assess.checklist import (
    Checklist,
    ChecklistItem,
    ChecklistResult,
    ChecklistStatus,
    SurveyEvidence,
    evaluate_checklist,
    load_checklist,
)
from kenshin.assess.dedupe import IssueGroup, group_findings
from kenshin.assess.evidence import MASK, clean_evidence, redact, trim
from kenshin.assess.priority import (
    AssetWeight,
    Priority,
    PriorityDecision,
    PriorityFactors,
    decide_priority,
)

__all__ = [
    "AREAS",
    "MASK",
    "Area",
    "AssessedFinding",
    "AssetWeight",
    "Checklist",
    "ChecklistItem",
    "ChecklistResult",
    "ChecklistStatus",
    "Evidence",
    "IssueGroup",
    "Owner",
    "Priority",
    "PriorityDecision",
    "PriorityFactors",
    "SurveyEvidence",
    "assess_findings",
    "clean_evidence",
    "decide_priority",
    "evaluate_checklist",
    "group_findings",
    "load_checklist",
    "redact",
    "trim",
]
