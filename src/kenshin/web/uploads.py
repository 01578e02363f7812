"""Uploaded files: read with a size limit, then recognised by their first bytes.

The extension a browser sends says nothing; the content decides. A workbook is a ZIP
(``PK\\x03\\x04``) holding ``xl/workbook.xml``; a text file is UTF-8 (optionally with a
BOM) or UTF-16 with a BOM, with no NUL bytes once decoded; a PDF starts ``%PDF-``.
Anything else is refused before any importer sees it, so nothing is stored.
"""

from __future__ import annotations

import io
import zipfile
from enum import StrEnum

from fastapi import UploadFile

from kenshin.web.accounts import WebError

WORKBOOK_LIMIT = 5 * 1024 * 1024
TEXT_LIMIT = 256 * 1024
MAX_FILES = 20


class Kind(StrEnum):
    WORKBOOK = "workbook"
    TEXT = "text"
    PDF = "pdf"


_BINARY_MAGIC = (b"MZ", b"\x7fELF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!")


def sniff(data: bytes) -> Kind | None:
    """What the bytes are, judged by their content only."""
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        return Kind.WORKBOOK if "xl/workbook.xml" in names else None
    if data.startswith(b"%PDF-"):
        return Kind.PDF
    if any(data.startswith(magic) for magic in _BINARY_MAGIC):
        return None
    return Kind.TEXT if _text(data) is not None else None


def _text(data: bytes) -> str | None:
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                return None
            return None if "\x00" in text else text
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


async def read_upload(upload: UploadFile, limit: int, *kinds: Kind) -> bytes:
    """The whole file if it is within ``limit`` and one of ``kinds``; ``WebError`` if not."""
    data = await upload.read(limit + 1)
    name = upload.filename or "-"
    if not data:
        raise WebError("web.upload.empty", name=name)
    if len(data) > limit:
        raise WebError("web.upload.too_large", name=name, limit=f"{limit // 1024} KiB")
    kind = sniff(data)
    if kind not in kinds:
        raise WebError("web.upload.wrong_type", name=name, wanted=", ".join(k.value for k in kinds))
    return data


def decode_text(data: bytes) -> str:
    """Text of an upload that ``sniff`` called text."""
    text = _text(data)
    if text is None:
        raise WebError("web.upload.wrong_type", name="-", wanted=Kind.TEXT.value)
    return text
