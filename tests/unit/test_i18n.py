"""The message catalogue: every entry has exactly a Japanese and an English text.

An unquoted comma inside a YAML flow mapping (``en: Devices (routers, UTMs)``) silently
cuts the English text short and adds stray keys; this catches it in every room's file.
"""

import json
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

from kenshin import i18n
from kenshin.domain import FirmwareStatus, VerdictStatus
from kenshin.firmware import ParsedDeviceOutput
from kenshin.i18n import catalogue, in_language
from kenshin.terminals import Verdict
from kenshin.vulndb import FirmwareCheck


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


@pytest.mark.parametrize(
    ("lang", "ja", "en", "shown"),
    [
        ("ja", "日本語", "English", "日本語"),
        ("en", "日本語", "English", "English"),
        ("en", "日本語", "", "日本語"),  # no English written: the authoritative Japanese
        ("ja", "", "English", ""),  # Japanese never borrows the English
    ],
)
def test_in_language_falls_back_to_japanese_only_in_english(
    lang: str, ja: str, en: str, shown: str
) -> None:
    assert in_language(lang, ja, en) == shown


@pytest.mark.parametrize(
    "texts",
    [
        lambda ja, en: Verdict("usb", VerdictStatus.BAD, ja, en).summary,
        lambda ja, en: ParsedDeviceOutput(message_ja=ja, message_en=en).message,
        lambda ja, en: (
            FirmwareCheck(
                "Fortinet", "FortiGate", None, FirmwareStatus.VERSION_UNKNOWN, None, ja, en
            ).message
        ),
    ],
    ids=["terminal verdict", "firmware parse", "vulndb firmware check"],
)
def test_english_without_english_text_shows_the_japanese_not_a_blank(
    texts: Callable[[str, str], Callable[[str], str]],
) -> None:
    """These once printed an empty string in English when only the Japanese was written."""
    assert texts("日本語", "")("en") == "日本語"
    assert texts("日本語", "English")("en") == "English"
    assert texts("日本語", "English")("ja") == "日本語"
