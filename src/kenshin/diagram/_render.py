"""Running Graphviz's ``dot`` on the diagram and checking the Japanese font covers it."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

from kenshin.diagram._graph import FONT, to_dot
from kenshin.domain import Engagement
from kenshin.errors import KenshinError

DOT_TIMEOUT_SECONDS = 60


class DiagramError(KenshinError):
    """The diagram cannot be drawn (Graphviz missing or failing, font lacking glyphs)."""


@cache
def _dot_command() -> str:
    found = shutil.which("dot")
    if found is None:
        raise DiagramError("diagram.error.dot_missing")
    return found


def _font_covers(characters: str, family: str) -> bool:
    """True when fontconfig has a ``family`` font with every one of ``characters``."""
    charset = " ".join(f"{ord(c):x}" for c in sorted(set(characters)))
    try:
        result = subprocess.run(
            ["fc-list", f":family={family}:charset={charset}", "family"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(result.stdout.strip())


def missing_glyphs(characters: set[str], family: str = FONT) -> list[str]:
    """The characters that no installed ``family`` font can draw (empty when all can)."""
    wanted = "".join(sorted(c for c in characters if ord(c) > 0x20))
    if not wanted or _font_covers(wanted, family):
        return []
    return [c for c in wanted if not _font_covers(c, family)]


def run_dot(dot_text: str, output_format: str) -> tuple[bytes, str]:
    """``dot -T<format>`` on ``dot_text``: the output and what dot said on stderr."""
    try:
        result = subprocess.run(
            [_dot_command(), f"-T{output_format}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=DOT_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DiagramError("diagram.error.dot_failed", detail="timeout") from None
    except OSError as exc:
        raise DiagramError("diagram.error.dot_failed", detail=exc.strerror or str(exc)) from None
    stderr = result.stderr.decode("utf-8", "replace").strip()
    if result.returncode != 0 or not result.stdout:
        raise DiagramError("diagram.error.dot_failed", detail=stderr or f"exit {result.returncode}")
    return result.stdout, stderr


def _render(engagement: Engagement, output_format: str, lang: str) -> tuple[bytes, str]:
    dot_text, texts = to_dot(engagement, lang)
    missing = missing_glyphs(texts.characters())
    if missing:
        raise DiagramError("diagram.error.missing_glyphs", font=FONT, chars="".join(missing))
    return run_dot(dot_text, output_format)


def render_svg(engagement: Engagement, lang: str = "ja") -> str:
    """The connection-point diagram of ``engagement`` as SVG text (texts kept as text)."""
    output, _ = _render(engagement, "svg", lang)
    return output.decode("utf-8")


def render_png(engagement: Engagement, path: Path | str, lang: str = "ja") -> Path:
    """Draw the diagram to a PNG file at ``path`` (Cairo/Pango, Japanese font); returns it."""
    output, _ = _render(engagement, "png:cairo", lang)
    target = Path(path)
    try:
        target.write_bytes(output)
    except OSError as exc:
        raise DiagramError(
            "diagram.error.cannot_write", path=str(target), reason=exc.strerror or ""
        ) from None
    return target


def render_bytes(engagement: Engagement, output_format: str, lang: str = "ja") -> bytes:
    """The diagram in any Graphviz output format (``svg``, ``png:cairo``, ``pdf``...)."""
    output, _ = _render(engagement, output_format, lang)
    return output


def dot_warnings(engagement: Engagement, output_format: str = "png:cairo", lang: str = "ja") -> str:
    """What ``dot`` printed on stderr while drawing (empty when it had nothing to say)."""
    _, stderr = _render(engagement, output_format, lang)
    return stderr
