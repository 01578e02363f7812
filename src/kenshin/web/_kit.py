"""What every route module shares: the store, the session, the access check, the page."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kenshin.domain import Engagement
from kenshin.i18n import Lang
from kenshin.store import Store
from kenshin.web.access import Action
from kenshin.web.accounts import Membership, SessionInfo


@dataclass(frozen=True)
class WebKit:
    """The helpers ``create_app`` builds once and hands to each group of routes."""

    store: Store
    db: Callable[[], AbstractContextManager[Session]]
    lang_of: Callable[[Request], Lang]
    require_user: Callable[[Request], SessionInfo]
    check_csrf: Callable[[SessionInfo, str | None], None]
    load_engagement: Callable[[SessionInfo, str, Action], tuple[Engagement, Membership | None]]
    page: Callable[..., Response]
    audit: Callable[..., None]
