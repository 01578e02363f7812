"""The message catalogue: every sentence a hospital, vendor or surveyor reads.

Messages live in ``kenshin/data/i18n/<room>.yaml`` as ``key: {ja: ..., en: ...}``,
one file per room so rooms grow their catalogues independently. Japanese is the
default language; English is the second. Parameters use ``str.format`` syntax.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Literal

Lang = Literal["ja", "en"]
LANGUAGES: tuple[Lang, ...] = ("ja", "en")
DEFAULT_LANG: Lang = "ja"


def resolve_lang(value: str | None = None) -> Lang:
    """The language to speak: an explicit choice, else ``KENSHIN_LANG``, else Japanese."""
    chosen = (value or os.environ.get("KENSHIN_LANG") or DEFAULT_LANG).lower()
    if chosen.startswith("en"):
        return "en"
    return "ja"


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every message, read once when the first one is needed (a scanning process that
    never words a message does not load YAML at all)."""
    from importlib import resources

    import yaml

    # libyaml's safe loader when PyYAML has it: the catalogue is read at every start-up.
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    messages: dict[str, dict[str, str]] = {}
    folder = resources.files("kenshin") / "data" / "i18n"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        loaded = yaml.load(entry.read_text(encoding="utf-8"), Loader=loader) or {}  # noqa: S506 (a safe loader)
        for key, texts in loaded.items():
            if key in messages:
                raise RuntimeError(f"message key {key!r} defined twice ({entry.name})")
            messages[key] = {str(k): str(v) for k, v in texts.items()}
    return messages


def translate(message_key: str, lang: str = DEFAULT_LANG, **params: object) -> str:
    """The sentence for ``message_key`` in ``lang`` (falling back to Japanese, then the key)."""
    texts = catalogue().get(message_key)
    if texts is None:
        return message_key if not params else f"{message_key} {params}"
    template = texts.get(lang) or texts.get(DEFAULT_LANG) or message_key
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


t = translate
