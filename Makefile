# The README's two commands: `make demo` (the full check-up of the demo hospital) and
# `make test` (every test). Both set up what they need first.
VENV ?= .venv
KENSHIN_TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
export KENSHIN_TEST_PG_URL
# Test processes (pytest-xdist): one per core. Tests that share a machine-wide resource
# are in one group and run in one worker (XDIST_GROUPS in tests/conftest.py).
TEST_WORKERS ?= auto

.PHONY: demo test setup services lint

setup:
	@scripts/bootstrap.sh

services:
	@scripts/services.sh

demo: setup
	$(VENV)/bin/kenshin demo

test: setup services
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

lint: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
