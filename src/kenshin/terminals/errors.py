"""The terminal room's one exception type."""

from __future__ import annotations

from kenshin.errors import KenshinError


class TerminalError(KenshinError):
    """A terminal file or import a user can fix: the message says what and how.

    When the error concerns one file of several, ``path`` names it and the sentence
    starts with that path.
    """

    def message(self, lang: str = "ja") -> str:
        text = super().message(lang)
        path = self.params.get("path")
        return f"{path}: {text}" if path else text

    def for_file(self, path: str) -> TerminalError:
        """The same error, saying which file it is about."""
        params = {k: v for k, v in self.params.items() if k != "path"}
        return TerminalError(self.key, path=path, **params)
