"""Writing every output of one report into a folder."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kenshin.report.errors import ReportError
from kenshin.report.exports import defectdojo_document, findings_document, write_json
from kenshin.report.html import render_html
from kenshin.report.model import ReportInput
from kenshin.report.pdf import write_pdf
from kenshin.report.view import ReportView, build_view
from kenshin.report.xlsx import write_xlsx

OUTPUT_NAMES = ("report.pdf", "report.html", "findings.xlsx", "findings.json", "defectdojo.json")


@dataclass(frozen=True)
class ReportFiles:
    """Where each output went."""

    directory: Path
    pdf: Path
    html: Path
    xlsx: Path
    findings_json: Path
    defectdojo_json: Path

    def all(self) -> tuple[Path, ...]:
        return (self.pdf, self.html, self.xlsx, self.findings_json, self.defectdojo_json)


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then move it into place."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def write_report(
    report: ReportInput,
    directory: Path,
    lang: str = "ja",
    *,
    progress: Callable[[str], None] | None = None,
) -> ReportFiles:
    """Render ``report`` in ``lang`` into ``directory``: PDF, HTML, xlsx and two JSON files."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError("report.error.write", path=str(directory), detail=exc.strerror) from exc

    def step(name: str) -> None:
        if progress is not None:
            progress(name)

    view: ReportView = build_view(report, lang)
    files = ReportFiles(
        directory=directory,
        pdf=directory / "report.pdf",
        html=directory / "report.html",
        xlsx=directory / "findings.xlsx",
        findings_json=directory / "findings.json",
        defectdojo_json=directory / "defectdojo.json",
    )
    try:
        step("html")
        html = render_html(view)
        _atomic(files.html, lambda p: _write_text(p, html))
        step("pdf")
        _atomic(files.pdf, lambda p: write_pdf(html, p))
        step("xlsx")
        _atomic(files.xlsx, lambda p: write_xlsx(view, p))
        step("json")
        _atomic(files.findings_json, lambda p: write_json(findings_document(view), p))
        _atomic(files.defectdojo_json, lambda p: write_json(defectdojo_document(view), p))
    except OSError as exc:
        raise ReportError("report.error.write", path=str(directory), detail=str(exc)) from exc
    return files
