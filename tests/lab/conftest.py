"""The ``lab`` fixture: the ``test`` lab profile, started once per test session.

Made available to every test by ``pytest_plugins`` in ``tests/conftest.py``; tests that
use it are marked ``lab``. Without root the tests skip with "needs root for network
namespaces" — and fail when env ``CI`` is set, where the lab must run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from kenshin.lab import Lab, is_root

NEEDS_ROOT = "needs root for network namespaces"
# pytest imports this file twice (as tests/lab's conftest and as the plugin named in
# tests/conftest.py); the running lab is kept on the session's config so both share one.
_ATTRIBUTE = "_kenshin_test_lab"


def require_root() -> None:
    """Skip (or, under CI, fail) a test that needs network namespaces when not root."""
    if not is_root():
        if os.environ.get("CI"):
            pytest.fail(f"{NEEDS_ROOT} (CI must run the lab tests as root)")
        pytest.skip(NEEDS_ROOT)


@pytest.fixture
def needs_root() -> None:
    """For lab tests that start their own lab: skip (fail under CI) when not root."""
    require_root()


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    """The ``test`` profile lab (real daemons and emulators in network namespaces)."""
    require_root()
    running: Lab | None = getattr(request.config, _ATTRIBUTE, None)
    if running is None:
        running = Lab.start("test")
        setattr(request.config, _ATTRIBUTE, running)
    try:
        yield running
    finally:
        running.close()  # idempotent: the second finaliser finds it closed
