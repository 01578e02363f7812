"""Importing terminal survey files: checked, evaluated, stored and audited in one go."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from kenshin.domain.clock import japan_today
from kenshin.store import Store, now_utc
from kenshin.terminals import (
    CheckedFile,
    TerminalAssessment,
    import_terminal_files,
    store_checked_files,
)


def import_terminals(
    store: Store,
    code: str,
    files: Sequence[tuple[str, bytes]],
    *,
    actor: str,
    add_missing: bool = False,
    now: datetime | None = None,
) -> list[TerminalAssessment]:
    """Import ``(name, bytes)`` files into ``code``, evaluated on today's Japan date.

    Nothing is stored unless every file is good; ``terminal.import`` names ``actor``.
    """
    with store.session() as session:
        return import_terminal_files(
            session,
            code,
            files,
            japan_today(now or now_utc()),
            add_missing=add_missing,
            actor=actor,
        )


def import_checked_terminals(
    store: Store,
    code: str,
    checked: Sequence[CheckedFile],
    *,
    actor: str,
    now: datetime | None = None,
) -> list[TerminalAssessment]:
    """Store files already read by ``terminals.check_files`` (the web reads them in a child
    process under a time limit); evaluated, stored and audited as ``import_terminals``."""
    with store.session() as session:
        return store_checked_files(
            session, code, checked, japan_today(now or now_utc()), actor=actor
        )
