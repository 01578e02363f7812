"""Rendered reports shared by the report tests (rendering a PDF takes a few seconds)."""

from __future__ import annotations

import pytest
from report_render import Rendered, render_demo


@pytest.fixture(scope="session")
def demo_ja(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return render_demo(tmp_path_factory.mktemp("report"), "ja")


@pytest.fixture(scope="session")
def demo_en(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return render_demo(tmp_path_factory.mktemp("report"), "en")
