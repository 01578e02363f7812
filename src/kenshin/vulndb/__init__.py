"""The vulnerability knowledge base: NVD, CISA KEV, JVN and kenshin's own snapshot.

``open_knowledge_base()`` returns the active knowledge base (the built SQLite file, or
the shipped snapshot alone); ``KnowledgeBase.match(ProductQuery(...))`` is the one call
the scan checks, the firmware checks and the report use. ``KnowledgeBase.coverage(vendor,
model)`` says whether the knowledge base has any record for a product at all: when its
``covered`` is False, say "not covered by the knowledge base" (advise asking the vendor
for its advisories), never "no known vulnerabilities".
"""

from kenshin.vulndb.kb import KnowledgeBase, open_knowledge_base
from kenshin.vulndb.kb_reader import default_path
from kenshin.vulndb.model import (
    Coverage,
    FirmwareCheck,
    KBStatus,
    ProductQuery,
    RecommendedUpgrade,
    SourceInfo,
    VulnDBError,
    VulnMatch,
    recommended_upgrades,
)

__all__ = [
    "Coverage",
    "FirmwareCheck",
    "KBStatus",
    "KnowledgeBase",
    "ProductQuery",
    "RecommendedUpgrade",
    "SourceInfo",
    "VulnDBError",
    "VulnMatch",
    "default_path",
    "open_knowledge_base",
    "recommended_upgrades",
]
