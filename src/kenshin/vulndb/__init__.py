"""The vulnerability knowledge base: NVD, CISA KEV, JVN and kenshin's own snapshot.

``open_knowledge_base()`` returns the active knowledge base (the built SQLite file, or
the shipped snapshot alone); ``KnowledgeBase.match(ProductQuery(...))`` is the one call
the scan checks, the firmware checks and the report use.
"""

from kenshin.vulndb.kb import KnowledgeBase, default_path, open_knowledge_base
from kenshin.vulndb.model import (
    FirmwareCheck,
    KBStatus,
    ProductQuery,
    VulnDBError,
    VulnMatch,
)

__all__ = [
    "FirmwareCheck",
    "KBStatus",
    "KnowledgeBase",
    "ProductQuery",
    "VulnDBError",
    "VulnMatch",
    "default_path",
    "open_knowledge_base",
]
