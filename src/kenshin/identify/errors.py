"""The identification room's one exception type."""

from __future__ import annotations

from kenshin.errors import KenshinError


class IdentifyError(KenshinError):
    """Identification cannot start: bad data files, a refused target, a bad port."""
