"""Write an import into its output folder: manifests, the secrets file and the report.

Manifests go to `users-0001.yaml`, `users-0002.yaml`... (at most `users_per_file` users each, in
the result's sorted order), written through `manifests.dump_users`, so they hold references only.
The TOTP seeds go to ONE flat YAML mapping created with mode 0600 from its first byte (os.open with
O_EXCL on a temporary name, then an atomic rename): a seed is never readable by others, not even for
an instant. Every file is replaced atomically, so an interrupted run leaves the old file or the new
one. Manifest files of an earlier, larger run (`users-NNNN.yaml` beyond the new count) are removed,
or the folder would declare stale users twice. This module must not print, nor write a seed
anywhere but the secrets file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from mfasync import manifests, models

REPORT_FILE = "import-report.json"
_MANIFEST_NAME = re.compile(r"users-\d{4,}\.yaml")
_SAFE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SAFE_SEED = re.compile(r"[A-Z2-7]+")


@dataclass(frozen=True, slots=True)
class Written:
    """What `write` left in the folder (file names relative to it)."""

    manifests: tuple[str, ...]
    secrets_file: str
    report_file: str
    removed: tuple[str, ...]


def manifest_names(user_count: int, *, users_per_file: int) -> tuple[str, ...]:
    """`users-0001.yaml`...: one name per chunk of at most `users_per_file` users."""
    if users_per_file < 1:
        raise ValueError("users_per_file must be at least 1")
    count = -(-user_count // users_per_file)
    return tuple(f"users-{number:04d}.yaml" for number in range(1, count + 1))


def secrets_text(secrets: Sequence[tuple[str, SecretStr]]) -> str:
    """The secrets file: a flat YAML mapping `key: "BASE32"`, keys sorted as given."""
    lines = [
        "# TOTP seeds referenced by the manifests beside this file (written by mfasync import).",
        "# Secret: keep it out of Git and readable by you only (mode 0600).",
    ]
    if not secrets:
        lines.append("{}")
    for key, seed in secrets:
        value = seed.get_secret_value()
        # Keys and seeds are [A-Za-z0-9_-] and Base32 by construction; checked so that no text
        # can ever need escaping. The message names the key only.
        if not _SAFE_KEY.fullmatch(key) or not _SAFE_SEED.fullmatch(value):
            raise ValueError(f"secret key {key!r} or its seed is not in the safe alphabet")
        lines.append(f'"{key}": "{value}"')
    return "\n".join(lines) + "\n"


def write(
    users: Sequence[models.DesiredUser],
    *,
    secrets: Sequence[tuple[str, SecretStr]],
    report_text: str,
    out_dir: Path,
    users_per_file: int,
    secrets_file: str,
    comment: str | None = None,
) -> Written:
    """Write every file of one import into `out_dir` (created if missing)."""
    names = manifest_names(len(users), users_per_file=users_per_file)
    out_dir.mkdir(parents=True, exist_ok=True)
    # The secrets first: a manifest never points at a secrets file that does not exist yet.
    _write_private(out_dir / secrets_file, secrets_text(secrets))
    for index, name in enumerate(names):
        chunk = users[index * users_per_file : (index + 1) * users_per_file]
        _write_atomic(out_dir / name, manifests.dump_users(chunk, comment=comment))
    removed = _remove_stale(out_dir, keep=frozenset(names))
    # The report names users and rejected rows (personal data): private like the seeds.
    _write_private(out_dir / REPORT_FILE, report_text)
    return Written(
        manifests=names, secrets_file=secrets_file, report_file=REPORT_FILE, removed=removed
    )


def _remove_stale(out_dir: Path, *, keep: frozenset[str]) -> tuple[str, ...]:
    stale = sorted(
        path.name
        for path in out_dir.iterdir()
        if _MANIFEST_NAME.fullmatch(path.name) and path.name not in keep and path.is_file()
    )
    for name in stale:
        (out_dir / name).unlink()
    return tuple(stale)


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _write_private(path: Path, text: str) -> None:
    temporary = _temporary(path)
    temporary.unlink(missing_ok=True)  # a leftover of a crashed run, by this very pid
    # O_EXCL + 0o600: the file is born private (the umask may only narrow it), never chmod-ed later.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _write_atomic(path: Path, text: str) -> None:
    temporary = _temporary(path)
    try:
        temporary.write_text(text, encoding="utf-8", newline="\n")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
