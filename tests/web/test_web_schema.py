"""schemathesis against the app's OpenAPI schema, as a logged-in surveyor and hospital user.

Bounded: a handful of generated examples per operation (a few hundred in all). The checks
are "no server error" and "responses match their documented schema"; refusals (401, 403,
404, 400) are expected answers to random input and are not documented per route.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.web.test_web_workflow import FakeRunner

from kenshin.cli.demo import demo_file
from kenshin.domain import DiagnosisWindow
from kenshin.intake import read_file
from kenshin.requests import RequestRepository
from kenshin.store import EngagementRepository, now_utc, open_store
from kenshin.web import Accounts, Role, WebSettings, create_app

schemathesis = pytest.importorskip("schemathesis", reason="needs schemathesis (dev extra)")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

PASSWORD = "correct horse battery"
_STATE: dict[str, Any] = {}


def _app(folder: Path) -> Any:
    store = open_store(f"sqlite:///{folder / 'schema.sqlite3'}")
    now = datetime.now(UTC)
    demo = dataclasses.replace(
        read_file(demo_file()),
        window=DiagnosisWindow(now - timedelta(hours=1), now + timedelta(hours=2)),
    )
    with store.session() as session:
        EngagementRepository(session).save(demo)
        requests = RequestRepository(session)
        for drafted in requests.draft(demo, now_utc(), "test"):
            requests.mark_sent("demo-2026", drafted.number, now_utc(), "test")
        accounts = Accounts(session)
        surveyor = accounts.create_user("surveyor@kenshin.example", PASSWORD, Role.SURVEYOR)
        token = accounts.invite(surveyor, "it@demo-hospital.example", Role.HOSPITAL, "demo-2026")
        hospital = accounts.accept_invitation(token, PASSWORD, "情報 太郎")
        _STATE["surveyor"] = accounts.start_session(surveyor)
        _STATE["hospital"] = accounts.start_session(hospital)
    _STATE["store"] = store
    return create_app(store, WebSettings(report_dir=folder / "reports"), job_runner=FakeRunner())


@pytest.fixture(scope="module")
def app_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("schema")
    store = _STATE.get("store")
    if store is not None:
        store.dispose()


def _schema() -> Any:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="kenshin-schema-"))
    app = _app(folder)
    token, _ = _STATE["surveyor"]  # the schema is for logged-in surveyors only
    return schemathesis.openapi.from_asgi(
        "/openapi.json", app, headers={"Cookie": f"kenshin_session={token}"}
    )


schema = _schema()


@pytest.mark.parametrize("role", ["surveyor", "hospital"])
@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case: Any, role: str) -> None:
    token, info = _STATE[role]
    case.call_and_validate(
        headers={"X-CSRF-Token": info.csrf_token},
        cookies={"kenshin_session": token},
        checks=[not_a_server_error, response_schema_conformance],
    )
