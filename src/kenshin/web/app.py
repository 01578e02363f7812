"""The web application: server-rendered pages and a JSON API over the same rules.

Every route resolves the session, then asks ``access.allowed`` about the exact
engagement it touches; every state-changing request carries the session's CSRF token
(a form field, or the ``X-CSRF-Token`` header for the JSON API). This module only
composes: the shared helpers (``_kit``), the guards around every request, the error
answers, and one router per concern.
"""

from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from kenshin import __version__
from kenshin.config import data_dir
from kenshin.i18n import in_language
from kenshin.pipeline import configure
from kenshin.store import Store
from kenshin.web._kit import WebKit, WebSettings
from kenshin.web.api import api_router
from kenshin.web.authorisation import authorisation_router
from kenshin.web.engagements import engagements_router
from kenshin.web.errors import install_error_handlers
from kenshin.web.guards import install_guards
from kenshin.web.inventory import inventory_router
from kenshin.web.jobs import jobs_router
from kenshin.web.login import login_router
from kenshin.web.reports import reports_router
from kenshin.web.system import system_router
from kenshin.web.users import users_router
from kenshin.web.workflow import workflow_router

__all__ = ["WebSettings", "create_app"]


def create_app(
    store: Store, settings: WebSettings | None = None, job_runner: Any = None
) -> FastAPI:
    """The application over one engagement store (``job_runner``: kenshin.jobs by default)."""
    settings = settings or WebSettings()
    pipeline = configure(lambda: store)  # identification and checks; report/diagnose jobs
    app = FastAPI(
        title="kenshin",
        version=__version__,
        description="kenshin web application and JSON API",
        docs_url=None,  # served by system_router, to logged-in surveyors only
        redoc_url=None,
        openapi_url=None,
    )
    install_guards(app)
    templates = Jinja2Templates(directory=str(resources.files("kenshin.web") / "templates"))
    templates.env.globals["in_language"] = in_language  # pick a Japanese/English pair's text
    kit = WebKit(store, settings, templates)
    install_error_handlers(app, kit)
    report_dir = settings.report_dir or data_dir() / "reports"
    jobs, submit_job = jobs_router(kit, report_dir, pipeline, job_runner)
    for router in (
        system_router(kit),
        login_router(kit),
        engagements_router(kit),
        authorisation_router(kit),
        api_router(kit),
        users_router(kit),
        workflow_router(kit),
        inventory_router(kit),
        jobs,
        reports_router(kit, report_dir, submit_job),
    ):
        app.include_router(router)
    return app
