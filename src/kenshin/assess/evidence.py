"""Evidence made fit for a report: secrets masked, trimmed to what proves the point.

Credentials never leave kenshin (docs/safety.md). Evidence strings come from banners,
command outputs and check logs; before anything is rendered, values that look like
passwords, keys, tokens, SNMP communities other than the well-known defaults, cookies
and authorisation headers are replaced by a mask.
"""

from __future__ import annotations

import re
from importlib import resources

import yaml

MASK = "********"
MAX_EVIDENCE_CHARS = 600
MAX_EVIDENCE_LINES = 12

# "password=...", "Password: ...", "pass ...", "secret:", "token=", "api_key=", "psk ..."
_KEY_VALUE = re.compile(
    r"(?P<key>\b(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|"
    r"private[_-]?key|psk|pre-shared-key|credential|auth[_-]?key|session[_-]?id|"
    r"cookie|set-cookie)\b(?P<sep>\s*(?:[:=]|\s+is\s+|\s)\s*))"
    # Cisco writes the encryption type first ("password 7 0822455D0A16"): mask both
    r"(?P<value>(?:[0-9]\s+(?=\S))?(?:\"[^\"]*\"|'[^']*'|\S+))",
    re.IGNORECASE,
)
# After a bare space or " is ", a word of data/prose-words.yaml continues the sentence
# ("the password at once"); after ":" or "=" everything is a value.
_PROSE: frozenset[str] = frozenset(
    str(word).lower()
    for word in yaml.safe_load(
        (resources.files("kenshin.assess") / "data" / "prose-words.yaml").read_text("utf-8")
    )["words"]
)
# The header with its scheme anywhere, or a bare "Authorization:" starting a line (a
# header); "No authorisation: record it ..." in a sentence is not one.
_AUTH_HEADER = re.compile(
    r"(?P<key>(?:\bauthori[sz]ation\s*:\s*(?:basic|bearer|digest|negotiate|ntlm)\s+"
    r"|^[ \t]*authori[sz]ation[ \t]*:[ \t]*))(?P<value>\S+)",
    re.IGNORECASE | re.MULTILINE,
)
# user:password@host inside URLs
_URL_CREDENTIALS = re.compile(
    r"(?P<key>[a-z][a-z0-9+.-]*://[^\s:/@]+:)(?P<value>[^\s@/]+)(?=@)", re.IGNORECASE
)
# PEM blocks
_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
)
# SNMP communities: the defaults (public/private) are the finding itself; others are secrets.
_COMMUNITY = re.compile(
    r"(?P<key>\bcommunity\b\s*(?:string)?\s*[:=]?\s*)(?P<value>\"[^\"]*\"|'[^']*'|\S+)",
    re.IGNORECASE,
)
_WELL_KNOWN_COMMUNITIES = {"public", "private", "'public'", "'private'", '"public"', '"private"'}


def _is_prose(key: str, value: str) -> bool:
    """A word of the sentence after a space or " is " (or a "#2" numbering), not a value."""
    if key.rstrip() != key.rstrip(" \t:="):
        return False  # "password: x", "password=x": always a value
    if value.startswith("("):
        return True  # a parenthetical: "password (12 characters or more)", "(empty)"
    word = value.strip(".,;:!?()")
    return word.lower() in _PROSE or re.fullmatch(r"#\d+", word) is not None


def _mask_value(match: re.Match[str]) -> str:
    if _is_prose(match.group("key"), match.group("value")):
        return match.group(0)
    return match.group("key") + MASK


def redact(text: str) -> str:
    """``text`` with every secret-looking value replaced by a mask."""
    text = _PEM.sub(MASK, text)
    text = _AUTH_HEADER.sub(lambda m: m.group("key") + MASK, text)
    text = _URL_CREDENTIALS.sub(lambda m: m.group("key") + MASK, text)
    text = _KEY_VALUE.sub(_mask_value, text)

    def community(match: re.Match[str]) -> str:
        value = match.group("value")
        if value.lower() in _WELL_KNOWN_COMMUNITIES or _is_prose(match.group("key"), value):
            return match.group(0)
        return match.group("key") + MASK

    return _COMMUNITY.sub(community, text)


def trim(
    text: str, max_chars: int = MAX_EVIDENCE_CHARS, max_lines: int = MAX_EVIDENCE_LINES
) -> str:
    """At most ``max_lines`` lines and ``max_chars`` characters, saying what was cut."""
    text = text.strip()
    lines = text.splitlines()
    cut = False
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        cut = True
    result = "\n".join(line.rstrip() for line in lines)
    if len(result) > max_chars:
        result = result[:max_chars].rstrip()
        cut = True
    return result + ("\n…" if cut else "")


def clean_evidence(text: str) -> str:
    """Redact first (so a cut never leaves half a secret), then trim."""
    return trim(redact(text))
