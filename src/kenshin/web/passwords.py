"""Which passwords an account may have, after NIST SP 800-63B section 3.1.1.2.

Length first (at least 12 characters, at most 256), no composition rules, and a check
against values known to be common or breached (``data/web/common-passwords.txt``),
trivial patterns (one character repeated, a short unit repeated, a run along the
alphabet, the digits or a keyboard row) and context words (the user's own e-mail name,
the product's name). The answer is a message key, so the user reads why.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

MIN_LENGTH = 12
MAX_LENGTH = 256
_RUNS = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "1q2w3e4r5t6y7u8i9o0p",
    "qwertzuiop",
    "azertyuiop",
)
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_CONTEXT = ("kenshin", "password", "passwd")


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list, lower-cased (comments and blank lines skipped)."""
    text = (resources.files("kenshin") / "data" / "web" / "common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _along_a_run(text: str) -> bool:
    """Every character continues a run (``abcdefghijkl``, ``987654321098``, ``qwertyuiop``)."""
    for run in _RUNS:
        looped = run * 3
        if text in looped or text[::-1] in looped:
            return True
    return False


def _repeated_unit(text: str) -> bool:
    """One character, or a unit of up to four, repeated (``aaaa``, ``abcabcabcabc``)."""
    return any(
        len(text) % size == 0 and text == text[:size] * (len(text) // size) for size in range(1, 5)
    )


def password_problem(password: str, email: str = "") -> str | None:
    """The message key saying why ``password`` may not be used, or ``None``."""
    if len(password) < MIN_LENGTH:
        return "web.password_too_short"
    if len(password) > MAX_LENGTH:
        return "web.password_too_long"
    folded = password.lower()
    if _repeated_unit(folded) or _along_a_run(folded):
        return "web.password_trivial"
    core = _EDGES.sub("", folded)
    common = common_passwords()
    if folded in common or (core and core in common) or (core and _repeated_unit(core)):
        return "web.password_common"
    if core and _along_a_run(core) and len(core) >= 4:
        return "web.password_trivial"
    name = email.split("@", 1)[0].lower()
    words = [w for w in re.split(r"[^a-z0-9]+", name) if len(w) >= 4] + list(_CONTEXT)
    if len(name) >= 4:
        words.append(name)
    if any(word in folded and len(folded) - len(word) < MIN_LENGTH for word in words):
        return "web.password_context"
    return None
