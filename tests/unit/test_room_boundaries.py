"""No room imports another room's private module (issue #20): a room's public face is its
package (``kenshin.requests``), never ``kenshin.requests._documents``."""

from __future__ import annotations

import ast
from pathlib import Path

import kenshin

SOURCE = Path(kenshin.__file__).parent


def _room(relative: Path) -> str:
    return relative.parts[0].removesuffix(".py")


def _private_imports(path: Path) -> set[str]:
    """Every ``kenshin.<room>._private`` module the file imports, by either import form."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if len(parts) >= 3 and parts[0] == "kenshin" and parts[2].startswith("_"):
                found.add(".".join(parts[:3]))
    return found


def cross_room_private_imports() -> set[tuple[str, str]]:
    offenders = set()
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE)
        for module in _private_imports(path):
            if module.split(".")[1] != _room(relative):
                offenders.add((relative.as_posix(), module))
    return offenders


def test_no_room_imports_another_rooms_private_module() -> None:
    assert cross_room_private_imports() == set(), "use the room's package (its public face)"


def test_the_scan_sees_both_import_forms(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import kenshin.scope._scope\n"
        "from kenshin.requests import _pdf, render_letter\n"
        "from kenshin.requests._documents import subject_lines\n"
        "from kenshin.requests import subject_lines as s\n",
        encoding="utf-8",
    )
    assert _private_imports(sample) == {
        "kenshin.scope._scope",
        "kenshin.requests._pdf",
        "kenshin.requests._documents",
    }
