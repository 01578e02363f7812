"""The emulators' one exception type."""

from __future__ import annotations

from kenshin.errors import KenshinError


class EmulatorError(KenshinError):
    """A lab emulator cannot start as asked (unknown name, bad option value)."""
