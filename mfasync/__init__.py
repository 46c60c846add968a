"""mfasync: declarative sync of Auth0 users' MFA factors (authentication methods).

YAML manifests declare the factors each user should have; a pure planner diffs them against the
Management API's masked live view; a rate-limited async executor applies the plan. See DESIGN in
docs/architecture.md for the layers.
"""

from mfasync import errors, models, settings

__version__ = "0.1.0"

__all__ = ["__version__", "errors", "models", "settings"]
