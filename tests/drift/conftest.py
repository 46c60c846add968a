from __future__ import annotations

from collections.abc import Iterator

import pytest

from mfasync import emulator
from tests.drift import tenant


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    yield from tenant.running()
