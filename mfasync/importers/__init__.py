"""Legacy MFA provider exports -> mfasync manifests (`mfasync import`).

The flow is `formats.parse` (one module per format: csv_format, auth0_bulk, okta, otpauth_format;
they read shapes, never judge values) -> `building.build` (checks every value with the manifests'
rules, merges rows of one user, moves TOTP seeds into a separate mapping) -> `reporting` (the JSON
report and a summary, pure) -> `writing.write` (files, the seeds with mode 0600) -> `checking`
(the written manifests load and their references resolve).

What this package must not do: import api, executing, emulator or cli; import yaml (manifests are
written through `manifests.dump_users`); print; put a seed or a full phone number anywhere but the
secrets file.
"""

from __future__ import annotations

from mfasync.importers import (
    building,
    checking,
    formats,
    records,
    reporting,
    validation,
    writing,
)

__all__ = ["building", "checking", "formats", "records", "reporting", "validation", "writing"]
