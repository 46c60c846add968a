"""mfasync: declarative sync of Auth0 users' MFA factors (authentication methods).

YAML manifests declare the factors each user should have; a pure planner diffs them against the
Management API's masked live view; a rate-limited async executor applies the plan. See DESIGN in
docs/architecture.md for the layers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mfasync import errors, models, settings

__version__ = "0.1.0"

__all__ = ["__version__", "errors", "models", "settings"]


def __getattr__(name: str) -> object:
    # The submodules load on first use, not with the package: `mfasync --help` and `--version`
    # need none of them, and `models` alone (pydantic and its model classes) costs about 0.1 s.
    if name in ("errors", "models", "settings"):
        return importlib.import_module(f"mfasync.{name}")
    raise AttributeError(f"module 'mfasync' has no attribute {name!r}")
