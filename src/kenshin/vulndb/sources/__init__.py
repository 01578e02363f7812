"""Vulnerability sources behind one interface (``VulnSource.load(sink)``)."""

from kenshin.vulndb.sources._base import (
    HttpFetcher,
    RateLimiter,
    Sink,
    SourceResult,
    VulnSource,
)
from kenshin.vulndb.sources.jvn import JvnApiSource, JvnFilesSource, parse_version_text
from kenshin.vulndb.sources.kev import KevFileSource, KevUrlSource
from kenshin.vulndb.sources.nvd import NvdApiSource, NvdFilesSource

__all__ = [
    "HttpFetcher",
    "JvnApiSource",
    "JvnFilesSource",
    "KevFileSource",
    "KevUrlSource",
    "NvdApiSource",
    "NvdFilesSource",
    "RateLimiter",
    "Sink",
    "SourceResult",
    "VulnSource",
    "parse_version_text",
]
