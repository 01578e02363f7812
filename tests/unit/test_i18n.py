"""The message catalogue: every entry has exactly a Japanese and an English text.

An unquoted comma inside a YAML flow mapping (``en: Devices (routers, UTMs)``) silently
cuts the English text short and adds stray keys; this catches it in every room's file.
"""

import json
import shutil
from importlib import resources
from pathlib import Path

import pytest

from kenshin import i18n
from kenshin.i18n import catalogue


def test_every_message_has_exactly_japanese_and_english() -> None:
    broken = {
        key: sorted(texts) for key, texts in catalogue().items() if set(texts) != {"ja", "en"}
    }
    assert broken == {}
    empty = [key for key, texts in catalogue().items() if not texts["ja"] or not texts["en"]]
    assert empty == []


def test_the_parsed_catalogue_is_reused_until_a_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up reads the cached JSON; an edited YAML file is parsed again."""
    package = tmp_path / "kenshin"
    shutil.copytree(Path(str(resources.files("kenshin") / "data" / "i18n")), package / "data/i18n")
    monkeypatch.setattr(resources, "files", lambda _name: package)  # read when first needed
    monkeypatch.setenv("KENSHIN_DATA_DIR", str(tmp_path / "data"))
    i18n.catalogue.cache_clear()
    try:
        first = i18n.catalogue()
        cached = list((tmp_path / "data" / "cache").glob("catalogue-*.json"))
        assert len(cached) == 1
        assert json.loads(cached[0].read_text(encoding="utf-8")) == first
        i18n.catalogue.cache_clear()
        assert i18n.catalogue() == first
        core = package / "data" / "i18n" / "core.yaml"
        core.write_text(
            core.read_text(encoding="utf-8") + 'test.added:\n  ja: "追加"\n  en: "added"\n',
            encoding="utf-8",
        )
        i18n.catalogue.cache_clear()
        assert i18n.catalogue()["test.added"] == {"ja": "追加", "en": "added"}
        assert len(list((tmp_path / "data" / "cache").glob("catalogue-*.json"))) == 1
    finally:
        i18n.catalogue.cache_clear()
