"""Helpers of the report tests: rendering the demo report and reading PDFs back."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from report_fixtures import demo_report_input

from kenshin.cli.demo import demo_file
from kenshin.intake import read_file
from kenshin.report import ReportFiles, write_report


def need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        import os

        reason = f"{name} is not installed (Debian package poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def pdf_text(path: Path) -> str:
    need_tool("pdftotext")
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60
    )
    return result.stdout.decode("utf-8")


@dataclass(frozen=True)
class Rendered:
    files: ReportFiles
    html: str
    pdf_text: str


def render_demo(tmp: Path, lang: str) -> Rendered:
    files = write_report(demo_report_input(read_file(demo_file())), tmp / lang, lang)
    return Rendered(files, files.html.read_text(encoding="utf-8"), pdf_text(files.pdf))


def assert_offline(html: str) -> None:
    """Only XML namespace names (never fetched) may look like URLs."""
    external = re.findall(r"https?://[^\s\"'<>]+", html)
    assert set(external) <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert "<script" not in html.lower()
