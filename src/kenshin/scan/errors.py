"""The scan room's one exception type."""

from __future__ import annotations

from kenshin.errors import KenshinError


class ScanError(KenshinError):
    """A scan cannot start or continue as asked; the message says what to change."""
