"""The saved plan file: `plan --out FILE` writes it, `apply --plan FILE` reads it back.

Mode 0600 from creation, written atomically; it holds the JSON document plus per user the live
fingerprint and the action digest: for values only redactions, references and fingerprints. The only
I/O of `plans` is here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pydantic

from mfasync import errors, models
from mfasync.plans import documents, fingerprints
from mfasync.plans.displays import count, names
from mfasync.plans.plan import Plan, UserPlan

SAVED_PLAN_KIND = "mfasync-saved-plan"


@dataclasses.dataclass(frozen=True, slots=True)
class SavedUser:
    """One user of a saved plan. `key` is the stored key (email keys fingerprinted)."""

    key: str
    user_id: str | None
    error: str | None
    live_fingerprint: str | None
    action_digest: str
    actions: tuple[Mapping[str, Any], ...]
    reseed_totp: bool | None = None  # None: the plan was saved without its policy


class SavedUsers(Mapping[str, SavedUser]):
    """Saved users by key. Look up with the manifest's key (`email:...` works: it is hashed)."""

    def __init__(
        self,
        users: Sequence[SavedUser],
        *,
        fingerprinter: fingerprints.Fingerprinter = fingerprints.NO_KEY,
    ) -> None:
        self._by_key = {user.key: user for user in users}
        self._fingerprinter = fingerprinter

    def stored_key(self, key: str, *, user_id: str | None = None) -> str:
        """How the plan file stores `key` (see `fingerprints.saved_user_key`); `user_id`: the id
        an `email:` key resolves to now, which a plan saved without a state is keyed by."""
        return fingerprints.saved_user_key(key, self._fingerprinter, user_id=user_id)

    @property
    def keyed_by_resolved_ids(self) -> bool:
        """True when `email:` users are stored by the user id they resolved to (no state): the
        manifests' addresses must be resolved again to find them (`find`)."""
        return not self._fingerprinter.enabled and any(
            key.startswith(fingerprints.EMAIL_OF_PREFIX) for key in self._by_key
        )

    def find(self, key: str, *, user_id: str | None = None) -> SavedUser | None:
        """The saved user of a manifest key (an `email:` key with the id it resolves to now)."""
        stored = self.stored_key(key, user_id=user_id)
        if stored == fingerprints.EMAIL_UNRESOLVED:
            return None  # an address that resolves to nobody names no saved user
        return self._by_key.get(stored)

    def __getitem__(self, key: str) -> SavedUser:
        stored = self.stored_key(key)
        if stored in self._by_key:
            return self._by_key[stored]
        return self._by_key[key]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (
            self.stored_key(key) in self._by_key or key in self._by_key
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)


@dataclasses.dataclass(frozen=True, slots=True)
class SavedPlan:
    """A plan read back from a file: enough to re-plan and compare, never a value."""

    manifest_files: tuple[str, ...]
    users: SavedUsers
    summary: Mapping[str, int]
    allow_replace: bool | None = None
    # the fingerprinter the plan was saved with: its digests are checked with the same one
    fingerprinter: fingerprints.Fingerprinter = fingerprints.NO_KEY
    state_key_id: str | None = None  # the key the plan was saved with (None: no state)
    log_checkpoint: str | None = None  # the log id an incremental plan was made from
    source: str = ""

    def bind(self, fingerprinter: fingerprints.Fingerprinter) -> SavedPlan:
        """This plan checked with the state's `fingerprinter`: the state it was planned with.

        A plan saved without a state needs none and is checked without one.
        """
        if self.state_key_id is None:
            return self
        if fingerprinter.key_id != self.state_key_id:
            raise errors.PlanFileError(
                f"plan file {self.source} was saved with another state (key "
                f"{self.state_key_id}); apply it with the --state it was planned with, "
                "or plan again"
            )
        users = SavedUsers(list(self.users.values()), fingerprinter=fingerprinter)
        return dataclasses.replace(self, users=users, fingerprinter=fingerprinter)

    def policy_for(
        self,
        users: Sequence[models.DesiredUser],
        *,
        fallback: models.Policy,
        resolved: Mapping[str, str] | None = None,
    ) -> models.Policy:
        """The planning policy the plan was made with (`fallback` where the file does not say).

        `resolved`: the user id each `email:` key resolves to now (see `SavedUsers.find`).
        """
        allow = self.allow_replace if self.allow_replace is not None else fallback.allow_replace
        reseed = set(fallback.reseed_totp)
        ids = resolved or {}
        for user in users:
            saved = self.users.find(user.key, user_id=ids.get(user.key))
            if saved is not None and saved.reseed_totp is not None:
                (reseed.add if saved.reseed_totp else reseed.discard)(user.key)
        return models.Policy(reseed_totp=frozenset(reseed), allow_replace=allow)


def write_plan_file(
    path: str | os.PathLike[str],
    plan: Plan,
    *,
    manifest_files: Sequence[str],
    policy: models.Policy | None = None,
    fingerprinter: fingerprints.Fingerprinter = fingerprints.NO_KEY,
    log_checkpoint: str | None = None,
) -> None:
    """Save `plan` for a later `apply --plan`: mode 0600 from creation, written atomically.

    `log_checkpoint`: the tenant-log id an incremental plan was made from (the users it left
    unread were unchanged in the logs up to it); None for a full plan.

    The file is the JSON document plus, per user, the live fingerprint and the action digest; for
    values only redactions, references and, with a state (`fingerprinter`), keyed fingerprints;
    without one, no value fingerprint at all. With `policy`, the planning choices are saved too so
    that the re-plan at apply time uses the same ones.
    """
    document: dict[str, object] = {
        "kind": SAVED_PLAN_KIND,
        **documents.to_document(plan),
        "manifest_files": list(manifest_files),
        "allow_replace": policy.allow_replace if policy is not None else None,
        "state_key_id": fingerprinter.key_id,
        "log_checkpoint": log_checkpoint,
    }
    missing = [
        user.key for user in plan.users if user.error is None and user.live_fingerprint is None
    ]
    if missing:
        # Saved without it, `apply --plan` could not see that a user's live methods changed.
        raise ValueError(
            f"{count(len(missing), 'user')} planned without a live fingerprint "
            f"({names(missing)}); plan with `fingerprints=True` to save the plan"
        )
    users = [documents.user_document(user, saved=fingerprinter) for user in plan.users]
    _unique_keys(users)
    if policy is not None:
        for user, user_document in zip(plan.users, users, strict=True):
            user_document["reseed_totp"] = _reseeds(user, policy)
    document["users"] = users
    text = json.dumps(document, sort_keys=True, indent=2) + "\n"
    _write_private_atomically(Path(path), text)


def _unique_keys(users: list[dict[str, object]]) -> None:
    """Two `email:` entries that resolved to one user (both errors: declared twice) or to no
    one share their stored key without a state; the second and later get `#2`, `#3`..."""
    seen: dict[object, int] = {}
    for document in users:
        key = document["key"]
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            document["key"] = f"{key}#{seen[key]}"


def _reseeds(user: UserPlan, policy: models.Policy) -> bool:
    return user.key in policy.reseed_totp or (
        user.user_id is not None and user.user_id in policy.reseed_totp
    )


def _write_private_atomically(target: Path, text: str) -> None:
    # the temp file is born 0600 in the target's folder, so the rename is atomic and the plan is
    # never readable by others, not even for a moment
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise errors.PlanFileError(f"cannot write plan file {target}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise errors.PlanFileError(f"cannot write plan file {target}: {exc.strerror}") from exc


class _SavedUserDocument(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore", frozen=True, strict=True)

    key: str
    user_id: str | None
    error: str | None
    live_fingerprint: str | None
    action_digest: str
    actions: list[dict[str, Any]]
    reseed_totp: bool | None = None


class _SavedDocument(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore", frozen=True, strict=True)

    kind: Literal["mfasync-saved-plan"]
    format_version: Literal[1]
    manifest_files: list[str]
    summary: dict[str, int]
    allow_replace: bool | None = None
    state_key_id: str | None = None
    log_checkpoint: str | None = None
    users: list[_SavedUserDocument]


def read_plan_file(
    path: str | os.PathLike[str],
    *,
    fingerprinter: fingerprints.Fingerprinter | None = None,
) -> SavedPlan:
    """Read a plan saved by `write_plan_file`; `errors.PlanFileError` says what is wrong.

    `fingerprinter` is the state's: a plan saved under a state is checked with that state's key,
    so it must be the same state (`SavedPlan.bind`; None: bind later).
    """
    where = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise errors.PlanFileError(f"cannot read plan file {where}: {reason}") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise errors.PlanFileError(
            f"plan file {where} is not valid JSON (line {exc.lineno}, column {exc.colno}): "
            f"{exc.msg}"
        ) from exc
    except RecursionError:
        # `[[[[...` nested deeper than the decoder's stack: no plan file nests so.
        raise errors.PlanFileError(f"plan file {where} is nested too deeply") from None
    if not isinstance(raw, dict) or raw.get("kind") != SAVED_PLAN_KIND:
        raise errors.PlanFileError(
            f"{where} is not a saved mfasync plan (write one with `mfasync plan --out FILE`)"
        )
    if raw.get("format_version") != documents.FORMAT_VERSION:
        raise errors.PlanFileError(
            f"plan file {where} has format_version {raw.get('format_version')!r}; this mfasync "
            f"reads format_version {documents.FORMAT_VERSION}: plan again"
        )
    try:
        document = _SavedDocument.model_validate(raw)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise errors.PlanFileError(
            f"plan file {where} is damaged at {location}: {first['msg']}"
        ) from None
    users = [
        SavedUser(
            key=user.key,
            user_id=user.user_id,
            error=user.error,
            live_fingerprint=user.live_fingerprint,
            action_digest=user.action_digest,
            actions=tuple(user.actions),
            reseed_totp=user.reseed_totp,
        )
        for user in document.users
    ]
    keys = [user.key for user in users]
    if len(set(keys)) != len(keys):
        raise errors.PlanFileError(f"plan file {where} lists a user twice")
    saved = SavedPlan(
        manifest_files=tuple(document.manifest_files),
        users=SavedUsers(users),
        summary=dict(document.summary),
        allow_replace=document.allow_replace,
        state_key_id=document.state_key_id,
        log_checkpoint=document.log_checkpoint,
        source=where,
    )
    return saved if fingerprinter is None else saved.bind(fingerprinter)
