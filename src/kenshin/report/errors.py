"""The report room's one exception type."""

from __future__ import annotations

from kenshin.errors import KenshinError


class ReportError(KenshinError):
    """The report could not be written (output folder, rendering engine)."""
