"""Fixtures shared by every test package: the state backends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A state URL on each backend: a SQLite file in tmp_path, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'state.db'}"
        return
    yield from postgres.fresh_database()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database (for the tests of that backend's specifics)."""
    yield from postgres.fresh_database()


@pytest.fixture(autouse=True)
def _state_of_this_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command a test runs keeps its state in the test's own folder (SQLite, the default
    backend), never in the working directory: tests neither share nor leave a state behind."""
    chosen = os.environ.get("MFASYNC_TEST_STATE")  # e.g. `none`, to compare with a stateless run
    default = f"sqlite:///{tmp_path / 'mfasync-state' / 'state.db'}"
    monkeypatch.setenv("MFASYNC_STATE", chosen or default)
