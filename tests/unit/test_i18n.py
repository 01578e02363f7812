"""The message catalogue: every entry has exactly a Japanese and an English text.

An unquoted comma inside a YAML flow mapping (``en: Devices (routers, UTMs)``) silently
cuts the English text short and adds stray keys; this catches it in every room's file.
"""

from kenshin.i18n import catalogue


def test_every_message_has_exactly_japanese_and_english() -> None:
    broken = {
        key: sorted(texts) for key, texts in catalogue().items() if set(texts) != {"ja", "en"}
    }
    assert broken == {}
    empty = [key for key, texts in catalogue().items() if not texts["ja"] or not texts["en"]]
    assert empty == []
