"""Prove that what an import wrote is usable: the manifests load, every reference resolves.

Run right after `writing.write`. A failure here is a bug in the importer, not in the input, and is
raised as the manifests' own error (`errors.ManifestError` / `errors.SecretRefError`), so the run
fails loudly instead of leaving manifests that `mfasync validate` would refuse. It reads files but
must not print; secret values it resolves are dropped at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mfasync import errors, manifests, secretrefs


def check_written(out_dir: Path, *, manifest_files: Sequence[str], expected_users: int) -> None:
    """Load the written manifests and resolve their secret references; raise on any problem."""
    if not manifest_files:
        return
    loaded = manifests.load([out_dir / name for name in manifest_files])
    if len(loaded.users) != expected_users:
        raise errors.MfasyncError(
            f"the written manifests declare {len(loaded.users)} users, {expected_users} expected"
        )
    # No environment: import writes ${file:...} references only.
    resolver = secretrefs.Resolver({})
    for user in loaded.users:
        for method in resolver.resolve_user(user).methods:
            source = method.totp_secret
            if source is not None and source.problem is not None:
                raise errors.SecretRefError(f"{user.key}: {source.problem}")
