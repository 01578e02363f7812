"""The message catalogue: every sentence a hospital, vendor or surveyor reads.

Messages live in ``kenshin/data/i18n/<room>.yaml`` as ``key: {ja: ..., en: ...}``,
one file per room so rooms grow their catalogues independently. Japanese is the
default language; English is the second. Parameters use ``str.format`` syntax.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

Lang = Literal["ja", "en"]
LANGUAGES: tuple[Lang, ...] = ("ja", "en")
DEFAULT_LANG: Lang = "ja"


def resolve_lang(value: str | None = None) -> Lang:
    """The language to speak: an explicit choice, else ``KENSHIN_LANG``, else Japanese."""
    chosen = (value or os.environ.get("KENSHIN_LANG") or DEFAULT_LANG).lower()
    if chosen.startswith("en"):
        return "en"
    return "ja"


def in_language(lang: str, ja: str, en: str) -> str:
    """The text of a Japanese/English pair to show in ``lang``.

    Japanese is the authoritative text (what the hospital signs off); the English one is
    a translation that may not have been written. So English shows the English text, or
    the Japanese one when it is empty, never a blank; every other language the Japanese.
    """
    return en if lang == "en" and en else ja


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every message. Parsing the YAML is a large part of a command's start-up, so the
    parsed catalogue is kept as JSON in the data directory's ``cache`` folder, named by
    the files' sizes and modification times: a changed file is read again. Read when the
    first message is needed: a scanning process that never words one does not load it."""
    import hashlib  # OpenSSL: megabytes a scanning process that words no message never maps
    from importlib import resources

    folder = resources.files("kenshin") / "data" / "i18n"
    if not isinstance(folder, Path):  # not a plain folder (a zip): nothing to compare
        return _parse(folder)
    files = sorted(f for f in folder.iterdir() if f.suffix == ".yaml")
    stamp = hashlib.sha256(
        repr([(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files]).encode()
    ).hexdigest()[:16]
    from kenshin.config import data_dir

    cached = data_dir() / "cache" / f"catalogue-{stamp}.json"
    try:
        loaded: dict[str, dict[str, str]] = json.loads(cached.read_text(encoding="utf-8"))
        return loaded
    except (OSError, ValueError):
        pass
    messages = _parse(folder)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        for stale in cached.parent.glob("catalogue-*.json"):
            stale.unlink(missing_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(messages, ensure_ascii=False), encoding="utf-8")
        partial.replace(cached)  # whole or absent, for a process reading it meanwhile
    except OSError:
        pass  # a read-only data directory: parse every time
    return messages


def _parse(folder: Traversable) -> dict[str, dict[str, str]]:
    import yaml

    # libyaml's safe loader when PyYAML has it
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    messages: dict[str, dict[str, str]] = {}
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
