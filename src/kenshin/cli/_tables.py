"""Result tables that fit the terminal they are printed on.

On a terminal too narrow for every column, the least useful columns are left out (the
highest ``drop`` first, named under the table with a pointer to ``--wide``), so the rest
keep readable widths instead of every cell folding into a narrow column; when even the
essential columns do not fit, each row is printed as its own block of ``header value``
lines. ``--wide``, a pipe and a file get every column: a pipe's or a file's width is not a
terminal's (``_state.configure_output``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from kenshin.i18n import translate

CELL_CAP = 20
"""The width a column is counted with when fitting: a longer cell wraps inside it."""
COLUMN_EDGES = 3
"""What a column adds besides its text: a space each side and one border line."""


@dataclass(frozen=True)
class Column:
    header: str
    drop: int = 0
    """0: always shown; on a narrow terminal the highest numbers are left out first."""
    whole: bool = False
    """Never wrapped (an ID to copy): counted at its full width when fitting."""


def named_columns(
    t: Callable[[str], str],
    prefix: str,
    names: Sequence[str],
    drops: Mapping[str, int],
    whole: Collection[str] = (),
) -> list[Column]:
    """Columns headed by the message ``prefix.NAME``: each table only says its drop order."""
    return [Column(t(f"{prefix}.{c}"), drops.get(c, 0), whole=c in whole) for c in names]


Cell = str | Text


def _cell_width(cell: Cell) -> int:
    text = cell if isinstance(cell, Text) else Text.from_markup(cell)
    return max((Text(line).cell_len for line in text.plain.splitlines()), default=0)


def _fitted_width(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], index: int) -> int:
    natural = max([_cell_width(columns[index].header), *(_cell_width(row[index]) for row in rows)])
    return (natural if columns[index].whole else min(natural, CELL_CAP)) + COLUMN_EDGES


def fit_table(
    console: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    *,
    lang: str,
    title: str | None = None,
    caption: str | None = None,
    wide: bool = False,
    expand: bool = False,
    styles: Sequence[str] | None = None,
) -> RenderableType:
    """A table of ``rows`` that fits ``console`` (see the module's docstring); ``styles``
    gives each row a style (an overdue request in red) in either layout."""
    row_styles = list(styles) if styles is not None else [""] * len(rows)
    shown = list(range(len(columns)))
    if not wide and console.is_terminal:
        widths = [_fitted_width(columns, rows, i) for i in shown]
        droppable = sorted(
            (i for i in shown if columns[i].drop), key=lambda i: (columns[i].drop, i)
        )
        dropped: list[int] = []
        while sum(widths[i] for i in shown) + 1 > console.width and droppable:
            dropped.append(droppable.pop())
            shown.remove(dropped[-1])
        if sum(widths[i] for i in shown) + 1 > console.width:
            return _per_item(columns, rows, row_styles, title, caption)
        for i in reversed(dropped):  # a narrow column left out before a wide one fits again
            if sum(widths[j] for j in shown) + widths[i] + 1 <= console.width:
                shown = sorted([*shown, i])
    hidden = [columns[i].header for i in range(len(columns)) if i not in shown]
    notes = [caption] if caption else []
    if hidden:
        separator = "、" if lang == "ja" else ", "
        notes.append(translate("cli.table.hidden", lang, columns=separator.join(hidden)))
    table = Table(
        title=title,
        title_justify="left",
        caption="\n".join(notes) or None,
        caption_justify="left",
        expand=expand and console.is_terminal,
    )
    for i in shown:
        table.add_column(columns[i].header, overflow="fold", no_wrap=columns[i].whole)
    for row, style in zip(rows, row_styles, strict=True):
        table.add_row(*(row[i] for i in shown), style=style or None)
    return table


def _per_item(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    styles: Sequence[str],
    title: str | None,
    caption: str | None,
) -> RenderableType:
    """Each row as its own block, every column a line: nothing is left out."""
    blocks: list[RenderableType] = [Text(title, style="italic")] if title else []
    for row, style in zip(rows, styles, strict=True):
        block = Table.grid(padding=(0, 2))
        block.add_column(style="bold", no_wrap=True)
        block.add_column(overflow="fold")
        for column, cell in zip(columns, row, strict=True):
            block.add_row(column.header, cell, style=style or None)
        blocks.append(Padding(block, (0, 0, 1, 2)))
    if caption:
        blocks.append(Text(caption, style="dim"))
    return Group(*blocks)
