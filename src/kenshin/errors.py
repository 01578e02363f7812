"""The root of every room's exception type.

Each room defines one subclass (``StoreError``, ``ScanError``, ...). An error carries a
message key from the catalogue and its parameters, so the CLI and the web can say one
clear sentence in the user's language.
"""

from __future__ import annotations

from kenshin.i18n import translate


class KenshinError(Exception):
    """An error a user can act on; ``message(lang)`` is the sentence to show."""

    def __init__(self, message_key: str, **params: object) -> None:
        self.key = message_key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "ja") -> str:
        return translate(self.key, lang, **self.params)
