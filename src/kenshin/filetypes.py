"""What a file is, judged by its first bytes only (never by its name or a browser's word).

Shared by every place that takes files from people: the web uploads, vendor attachments
(``kenshin requests attach``), so the web and the command line refuse the same files.
A workbook is a ZIP (``PK\\x03\\x04``) holding ``xl/workbook.xml``; text is UTF-8
(optionally with a BOM) or UTF-16 with a BOM, with no NUL once decoded; a PDF starts
``%PDF-``; PNG and JPEG by their signatures. Anything else is ``None``.
"""

from __future__ import annotations

import io
import zipfile
from enum import StrEnum
from pathlib import Path
from typing import Any

from kenshin.errors import KenshinError

# A workbook is a ZIP of XML: its declared sizes bound what openpyxl will unpack
# (zipfile never yields more than an entry's declared size). A real hearing sheet of a
# few hundred rows unpacks to well under 2 MB; these limits leave room and refuse
# "zip bombs" (a 128 KB file that unpacks to 30 MB held every user for 12 s).
MAX_WORKBOOK_ENTRIES = 256
MAX_WORKBOOK_UNPACKED = 8 * 1024 * 1024
MAX_WORKBOOK_RATIO = 200  # unpacked / packed, per entry
MAX_WORKBOOK_CELLS = 200_000


class FileLimitError(KenshinError):
    """A file is larger, or unpacks larger, than kenshin reads."""


class FileKind(StrEnum):
    TEXT = "text"
    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    WORKBOOK = "xlsx"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def suffix(self) -> str:
        return ".txt" if self is FileKind.TEXT else f".{self.value}"


_MEDIA_TYPES = {
    FileKind.TEXT: "text/plain",
    FileKind.PDF: "application/pdf",
    FileKind.PNG: "image/png",
    FileKind.JPEG: "image/jpeg",
    FileKind.WORKBOOK: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_OTHER_BINARY = (b"MZ", b"\x7fELF", b"GIF8", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")


def sniff(data: bytes) -> FileKind | None:
    """What the bytes are, judged by their content only."""
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        return FileKind.WORKBOOK if "xl/workbook.xml" in names else None
    if data.startswith(b"%PDF-"):
        return FileKind.PDF
    if data.startswith(_PNG):
        return FileKind.PNG
    if data.startswith(_JPEG):
        return FileKind.JPEG
    if any(data.startswith(magic) for magic in _OTHER_BINARY):
        return None
    return FileKind.TEXT if text_of(data) is not None else None


def text_of(data: bytes) -> str | None:
    """The text of bytes that are text (UTF-16 with a BOM, or UTF-8), else ``None``."""
    body, codec = data, "utf-8-sig"
    for bom, utf16 in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            body, codec = data[len(bom) :], utf16
            break
    try:
        text = body.decode(codec)
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def check_workbook_archive(source: bytes | Path, name: str = "-") -> None:
    """Refuse a workbook whose ZIP declares too many entries or too much unpacked data.

    Reads only the ZIP's central directory (nothing is unpacked), so it is cheap to run
    before ``openpyxl.load_workbook``; the CLI and the web both call it.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a ZIP: the reader's own "not a workbook" message applies
    with archive:
        entries = archive.infolist()
    if len(entries) > MAX_WORKBOOK_ENTRIES:
        raise FileLimitError("files.workbook_entries", name=name, limit=MAX_WORKBOOK_ENTRIES)
    unpacked = sum(e.file_size for e in entries)
    ratio = max((e.file_size / max(e.compress_size, 1) for e in entries), default=0.0)
    if unpacked > MAX_WORKBOOK_UNPACKED or ratio > MAX_WORKBOOK_RATIO:
        raise FileLimitError(
            "files.workbook_unpacked", name=name, limit=MAX_WORKBOOK_UNPACKED // (1024 * 1024)
        )


def check_workbook_cells(workbook: Any, name: str = "-") -> None:
    """Refuse a loaded workbook whose sheets together span too many cells."""
    cells = sum(ws.max_row * ws.max_column for ws in workbook.worksheets)
    if cells > MAX_WORKBOOK_CELLS:
        raise FileLimitError("files.workbook_cells", name=name, limit=MAX_WORKBOOK_CELLS)


_FORMULA_START = ("=", "+", "-", "@")


def cells_as_text(workbook: Any) -> None:
    """Make every cell that starts like a formula (``=``, ``+``, ``-``, ``@``) plain text.

    Values in a workbook kenshin writes come from people (hearing answers, vendor
    answers); none may become a live formula when the file is opened, nor when a cell is
    edited later (Excel's quote prefix keeps it text).
    """
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(_FORMULA_START):
                    cell.data_type = "s"
                    cell.quotePrefix = True
