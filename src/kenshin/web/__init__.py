"""The web application: one place for the surveyor, the hospital and its vendors."""

from kenshin.web.access import Action, allowed, visible_findings
from kenshin.web.accounts import Accounts, Role, User, WebError
from kenshin.web.app import WebSettings, create_app

__all__ = [
    "Accounts",
    "Action",
    "Role",
    "User",
    "WebError",
    "WebSettings",
    "allowed",
    "create_app",
    "visible_findings",
]
