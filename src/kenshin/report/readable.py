"""Evidence as a person reads it: protocol bytes made legible, kenshin's own notes dropped.

Checks record evidence for machines and surveyors: escaped bytes (``\\x0d\\x0a``,
``\\xff\\xfb``), trimmed at a fixed length (sometimes in the middle of an escape), and
annotations in kenshin's own vocabulary ("matched by kenshin snapshot", rule ids,
"version source not_obtained"). The report's appendix shows the protocol part only:
line ends become line breaks, other bytes a bracketed hex run ``〈FF FB 01〉``, a cut
escape is dropped, and the annotation clauses listed in ``data/evidence-notes.yaml``
are left out.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml

_ESCAPE = re.compile(r"(?:\\x[0-9a-fA-F]{2})+")
_CUT = re.compile(r"\\(?:x[0-9a-fA-F]?)?$", re.MULTILINE)
_SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
_LINE_ENDS = re.compile(r"(?:\\x0d)?\\x0a|\\x0d", re.IGNORECASE)
MAX_LINES = 6
MAX_LINE = 110


@cache
def _notes() -> tuple[tuple[re.Pattern[str], ...], ...]:
    path = resources.files("kenshin.report") / "data" / "evidence-notes.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(
        tuple(re.compile(pattern) for pattern in document[kind])
        for kind in ("clauses", "prefixes", "fragments")
    )


def _bytes_run(match: re.Match[str]) -> str:
    codes = [match.group(0)[i + 2 : i + 4].upper() for i in range(0, len(match.group(0)), 4)]
    printable = "".join(
        chr(int(code, 16)) if 0x20 <= int(code, 16) < 0x7F else "" for code in codes
    )
    if len(printable) == len(codes):
        return printable
    return "〈" + " ".join(codes) + "〉"


def _cut(line: str) -> str:
    """At most ``MAX_LINE`` characters, never ending inside a bracketed byte run."""
    if len(line) <= MAX_LINE:
        return line
    head = line[: MAX_LINE - 1]
    opened = head.rfind("〈")
    if opened > head.rfind("〉"):
        head = head[:opened].rstrip()
    return head + "…"


def without_notes(text: str) -> str:
    """``text`` minus kenshin's annotation clauses (clauses are split at "; ")."""
    drop, cut, fragments = _notes()
    for fragment in fragments:
        text = fragment.sub("", text)
    kept = []
    for clause in re.split(r";\s+", text):
        for prefix in cut:
            clause = prefix.sub("", clause, count=1)
        if clause.strip() and not any(p.search(clause) for p in drop):
            kept.append(clause)
    return "; ".join(kept)


def readable(text: str) -> str:
    """Raw evidence made legible: line breaks, bracketed bytes, no cut escape, no notes."""
    text = without_notes(text.strip())
    text = _CUT.sub("", text)
    text = _LINE_ENDS.sub("\n", text)
    text = re.sub(r"\\x09", "\t", text, flags=re.IGNORECASE)
    text = _ESCAPE.sub(_bytes_run, text)
    text = _SNAKE.sub(lambda m: m.group(0).replace("_", " "), text)
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    shown = [_cut(line) for line in lines]
    if len(shown) > MAX_LINES:
        shown = [*shown[:MAX_LINES], "…"]
    return "\n".join(shown)
