"""Uploaded files: read with a size limit, then recognised by their first bytes.

The extension a browser sends says nothing; the content decides (``kenshin.filetypes``).
Anything not of the wanted kinds is refused before any importer sees it, so nothing is
stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
from fastapi import UploadFile

from kenshin.filetypes import FileKind as Kind
from kenshin.filetypes import check_workbook_archive, sniff
from kenshin.web.accounts import WebError

__all__ = [
    "MAX_FILES",
    "WORKBOOK_LIMIT",
    "Kind",
    "off_the_loop",
    "read_limited",
    "read_upload",
    "sniff",
]

WORKBOOK_LIMIT = 5 * 1024 * 1024
MAX_FILES = 20
PARSERS_AT_ONCE = 2  # parsing threads; the event loop keeps answering everyone else

_T = TypeVar("_T")
_parsers: anyio.CapacityLimiter | None = None


async def off_the_loop(work: Callable[[], _T]) -> _T:
    """Run ``work`` (parsing, importing) in a worker thread, at most a few at a time.

    A handler that parses inside ``async def`` holds every other request while it works;
    here only the uploader waits.
    """
    global _parsers
    if _parsers is None:
        _parsers = anyio.CapacityLimiter(PARSERS_AT_ONCE)
    return await anyio.to_thread.run_sync(work, limiter=_parsers)


async def read_limited(upload: UploadFile, limit: int) -> bytes:
    """The whole file if it is not empty and within ``limit``; ``WebError`` if not."""
    data = await upload.read(limit + 1)
    name = upload.filename or "-"
    if not data:
        raise WebError("web.upload.empty", name=name)
    if len(data) > limit:
        raise WebError("web.upload.too_large", name=name, limit=f"{limit // 1024} KiB")
    return data


async def read_upload(upload: UploadFile, limit: int, *kinds: Kind) -> bytes:
    """The whole file if it is within ``limit`` and one of ``kinds``; ``WebError`` if not."""
    data = await read_limited(upload, limit)
    kind = sniff(data)
    if kind not in kinds:
        raise WebError(
            "web.upload.wrong_type",
            name=upload.filename or "-",
            wanted=", ".join(k.value for k in kinds),
        )
    if kind is Kind.WORKBOOK:
        check_workbook_archive(data, upload.filename or "-")
    return data
