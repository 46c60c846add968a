"""What a plan is: actions, user plans, the plan, its summary, fingerprints, guards, the plan file.

The planner (`planning`) builds these values; the executor carries them out; `rendering` shows them.
`Action.request_body()` is the ONLY place where a secret value (a TOTP seed) or a full phone number
leaves its `SecretStr` / model: everything else here (documents, displays, digests, the saved plan
file) carries redactions, references and salted fingerprints, never the value.

This module does no I/O except `write_plan_file` / `read_plan_file`, reads no clock and never
awaits. It must not import the planner, the API client or anything above it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import pydantic

from mfasync import errors, masking, models, settings

FORMAT_VERSION = 1
SAVED_PLAN_KIND = "mfasync-saved-plan"
REDACTED = "<redacted>"
_FINGERPRINT_HEX = 16  # 64 bits: collisions are irrelevant at a few methods per user
_DIGEST_HEX = 32
_KEY_ID_SHOWN = 8
_GUARD_NAMES_SHOWN = 5
_EMAIL_KEY_PREFIX = "email:"
_SAVED_EMAIL_KEY_PREFIX = "email-sha256:"


class Op(StrEnum):
    """What an action does to the user's methods."""

    CREATE = "create"
    PATCH = "patch"
    DELETE = "delete"
    REPLACE = "replace"


_HTTP_METHODS: dict[Op, str] = {
    Op.CREATE: "POST",
    Op.PATCH: "PATCH",
    Op.DELETE: "DELETE",
    Op.REPLACE: "PUT",
}


@dataclasses.dataclass(frozen=True, slots=True)
class FieldChange:
    """One patched field. Only `name` and `preferred_authentication_method` are ever patched."""

    field: str
    old: str | None
    new: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Action:
    """One request to make for one user.

    create: `method` is the desired method to POST. patch: `method_id` and `changes`.
    delete: `method_id`. replace: `methods` is the complete new set for the PUT and `replaced` the
    live methods it overwrites. `display` is the redacted value shown in output.
    """

    op: Op
    type: str
    name: str | None = None
    method_id: str | None = None
    method: models.DesiredMethod | None = None
    changes: tuple[FieldChange, ...] = ()
    methods: tuple[models.DesiredMethod, ...] = ()
    replaced: tuple[models.LiveMethod, ...] = ()
    display: str = ""

    @property
    def http_method(self) -> str:
        """`POST`, `PATCH`, `DELETE` or `PUT`."""
        return _HTTP_METHODS[self.op]

    def request_body(self) -> dict[str, object] | list[dict[str, object]] | None:
        """The wire body. Reveals secrets: send it, never print it.

        Raises `errors.SecretRefError` when a TOTP seed the request needs is not resolved.
        """
        return self._body(reveal=True)

    def redacted_body(self) -> dict[str, object] | list[dict[str, object]] | None:
        """The wire body's shape with secrets `<redacted>` and phone numbers / emails redacted."""
        return self._body(reveal=False)

    def _body(self, *, reveal: bool) -> dict[str, object] | list[dict[str, object]] | None:
        if self.op is Op.CREATE:
            if self.method is None:
                raise ValueError("a create action needs its method")
            return method_body(self.method, reveal=reveal)
        if self.op is Op.PATCH:
            return {change.field: change.new for change in self.changes}
        if self.op is Op.REPLACE:
            return [method_body(method, reveal=reveal, for_put=True) for method in self.methods]
        return None


def method_body(
    method: models.DesiredMethod, *, reveal: bool, for_put: bool = False
) -> dict[str, object]:
    """The POST body (or PUT item) of a desired method; values redacted unless `reveal`."""
    body: dict[str, object] = {"type": method.type.value}
    if method.name is not None:
        body["name"] = method.name
    kind = method.type
    if kind is models.MethodType.PHONE:
        number = _required(method.phone_number, method, "phone_number")
        body["phone_number"] = number if reveal else masking.redact_phone(number)
        if method.preferred_authentication_method is not None:
            body["preferred_authentication_method"] = method.preferred_authentication_method.value
    elif kind is models.MethodType.EMAIL:
        address = _required(method.email, method, "email")
        body["email"] = address if reveal else masking.redact_email(address)
    elif kind is models.MethodType.TOTP:
        body["totp_secret"] = secret_value(method) if reveal else REDACTED
    elif for_put:
        raise ValueError(f"a {kind.value} method cannot be written by a replace (PUT)")
    else:
        body["key_id"] = _required(method.key_id, method, "key_id")
        public_key = _required(method.public_key, method, "public_key")
        body["public_key"] = public_key if reveal else REDACTED
        body["relying_party_identifier"] = _required(
            method.relying_party_identifier, method, "relying_party_identifier"
        )
    return body


def secret_value(method: models.DesiredMethod) -> str:
    """The resolved TOTP seed of `method`, or `errors.SecretRefError` naming the reference."""
    problem = secret_problem(method)
    if problem is not None:
        raise errors.SecretRefError(problem)
    source = method.totp_secret
    assert source is not None  # secret_problem() returned None: both are known
    assert source.value is not None
    return source.value.get_secret_value()


def secret_problem(method: models.DesiredMethod) -> str | None:
    """Why the TOTP seed of `method` is not usable, or None. Names the reference, never a value."""
    label = _method_label(method.type.value, method.name)
    source = method.totp_secret
    if source is None:
        return f"{label}: no totp_secret declared"
    if source.value is None:
        reason = source.problem or "not resolved"
        return f"{label}: secret {source.display} cannot be resolved: {reason}"
    return None


def _required(value: str | None, method: models.DesiredMethod, field: str) -> str:
    if value is None:
        label = _method_label(method.type.value, method.name)
        raise ValueError(f"{label} has no {field}")
    return value


def _method_label(kind: str, name: str | None) -> str:
    return f'{kind} "{name}"' if name is not None else kind


# -- displays -------------------------------------------------------------------------------------


def desired_display(method: models.DesiredMethod) -> str:
    """The redacted value of a desired method for output: `(...0123)`, masked email, key prefix."""
    if method.id is not None:
        return f"({method.id})"
    return _value_display(
        method.type.value,
        phone_number=method.phone_number,
        email=method.email,
        key_id=method.key_id,
    )


def live_display(method: models.LiveMethod) -> str:
    """The redacted value of a live method for output (its masked value, redacted again)."""
    return _value_display(
        method.type, phone_number=method.phone_number, email=method.email, key_id=method.key_id
    )


def _value_display(
    kind: str, *, phone_number: str | None, email: str | None, key_id: str | None
) -> str:
    if kind == models.MethodType.PHONE and phone_number:
        return f"({masking.redact_phone(phone_number)})"
    if kind == models.MethodType.EMAIL and email:
        return f"({masking.redact_email(email)})"
    if kind == models.MethodType.WEBAUTHN_ROAMING and key_id:
        shown = key_id[:_KEY_ID_SHOWN] + ("..." if len(key_id) > _KEY_ID_SHOWN else "")
        return f"(key {shown})"
    return ""


def display_key(key: str) -> str:
    """A user key fit for output: `email:` keys have their address masked."""
    if key.startswith(_EMAIL_KEY_PREFIX):
        return _EMAIL_KEY_PREFIX + masking.redact_email(key[len(_EMAIL_KEY_PREFIX) :])
    return key


# -- user plans -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class UserPlan:
    """The actions for one user, with what the guards and a saved plan need to know."""

    key: str
    user_id: str | None = None
    error: str | None = None
    actions: tuple[Action, ...] = ()
    live_fingerprint: str | None = None
    live_count: int = 0
    remaining_count: int = 0
    unmanaged: tuple[models.LiveMethod, ...] = ()
    declared_empty: bool = False

    @property
    def deletes(self) -> bool:
        """Whether the user loses a live method: a delete, or a PUT that overwrites live methods.

        A PUT that re-creates a matched phone or email still destroys the live method (new id), so
        it counts: the ratio guard would rather over-count than miss a mass deletion.
        """
        return any(
            action.op is Op.DELETE or (action.op is Op.REPLACE and action.replaced)
            for action in self.actions
        )

    @property
    def changed(self) -> bool:
        return bool(self.actions)

    @property
    def action_digest(self) -> str:
        """A fingerprint over the actions, value fingerprints included (for saved-plan checks)."""
        if not self.actions:
            return _NO_ACTIONS_DIGEST
        items = [_action_digest_item(action, user_key=self.key) for action in self.actions]
        return _digest(items)


def error_plan(key: str, message: str, *, user_id: str | None = None) -> UserPlan:
    """A user that cannot be planned: no actions, the reason in `error`."""
    return UserPlan(key=key, user_id=user_id, error=message)


@dataclasses.dataclass(frozen=True, slots=True)
class Summary:
    """Counts over a plan. The methods a replace carries count as creates; the replace once."""

    users: int
    users_with_changes: int
    create: int
    patch: int
    delete: int
    replace: int
    errors: int

    @property
    def unchanged(self) -> int:
        return self.users - self.users_with_changes - self.errors

    def as_dict(self) -> dict[str, int]:
        return {
            "users": self.users,
            "users_with_changes": self.users_with_changes,
            "create": self.create,
            "patch": self.patch,
            "delete": self.delete,
            "replace": self.replace,
            "errors": self.errors,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    """Every planned user, sorted by key (the order is part of the byte-identical output)."""

    users: tuple[UserPlan, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.users, key=lambda user: user.key))
        object.__setattr__(self, "users", ordered)  # frozen: the sort is part of construction

    @property
    def summary(self) -> Summary:
        actions = [action for user in self.users for action in user.actions]
        return Summary(
            users=len(self.users),
            users_with_changes=sum(1 for user in self.users if user.changed),
            create=sum(
                1 if a.op is Op.CREATE else len(a.methods) if a.op is Op.REPLACE else 0
                for a in actions
            ),
            patch=sum(1 for a in actions if a.op is Op.PATCH),
            delete=sum(1 for a in actions if a.op is Op.DELETE),
            replace=sum(1 for a in actions if a.op is Op.REPLACE),
            errors=sum(1 for user in self.users if user.error is not None),
        )

    @property
    def changed(self) -> bool:
        return any(user.changed for user in self.users)


# -- fingerprints ---------------------------------------------------------------------------------


def value_fingerprint(user_key: str, value: str) -> str:
    """A salted SHA-256 of a value (secret, phone number, email), short hex.

    The salt (the user key) makes equal values of different users look unrelated. It does not make a
    phone number unguessable by brute force: a plan file stays a mode-0600 file.
    """
    material = f"mfasync/v1\0{user_key}\0{value}".encode()
    return hashlib.sha256(material).hexdigest()[:_FINGERPRINT_HEX]


def live_fingerprint(live: Sequence[models.LiveMethod]) -> str:
    """A fingerprint of a user's live methods, stable under reordering.

    Covers id, type, name, the masked values, the preferred method and key_id: what the planner
    looks at, so an unchanged fingerprint means an unchanged plan input.
    """
    entries = [
        [
            method.id,
            method.type,
            method.name,
            method.phone_number,
            method.email,
            method.preferred_authentication_method,
            method.key_id,
        ]
        for method in live
    ]
    # Sorted by each entry's JSON text, not the tuples: two entries that tie on id and type (a
    # malformed listing) may hold None beside a string, which tuples cannot compare.
    entries.sort(key=_DIGEST_ENCODER.encode)
    return _digest(entries)


def saved_user_key(key: str) -> str:
    """How a user key is stored in a saved plan: `email:` keys fingerprinted, never in clear.

    The address is case-folded first: emails compare case-insensitively, so a manifest that
    changes an address's case between `plan --out` and `apply --plan` still finds its user.
    """
    if key.startswith(_EMAIL_KEY_PREFIX):
        folded = _EMAIL_KEY_PREFIX + key[len(_EMAIL_KEY_PREFIX) :].casefold()
        return _SAVED_EMAIL_KEY_PREFIX + value_fingerprint("", folded)
    return key


#: One encoder for every digest: `json.dumps` with these options builds a new encoder per call,
#: a third of a digest's cost, once per planned user. Same options, so the same text.
_DIGEST_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def _digest(document: object) -> str:
    text = _DIGEST_ENCODER.encode(document)
    return hashlib.sha256(text.encode()).hexdigest()[:_DIGEST_HEX]


#: `UserPlan.action_digest` of a user with no actions (most users): the digest of `[]`.
_NO_ACTIONS_DIGEST = _digest([])


def _method_fingerprints(method: models.DesiredMethod, *, user_key: str) -> dict[str, str | None]:
    """Fingerprints of a desired method's values (what identifies what would be written)."""
    values: dict[str, str | None] = {
        "phone_number": method.phone_number,
        "email": method.email,
        "key_id": method.key_id,
        "public_key": method.public_key,
        "totp_secret": (
            method.totp_secret.value.get_secret_value()
            if method.totp_secret is not None and method.totp_secret.value is not None
            else None
        ),
    }
    return {
        field: value_fingerprint(user_key, value)
        for field, value in sorted(values.items())
        if value is not None
    }


def _method_digest_item(method: models.DesiredMethod, *, user_key: str) -> dict[str, object]:
    return {
        "type": method.type.value,
        "id": method.id,
        "name": method.name,
        "preferred_authentication_method": (
            method.preferred_authentication_method.value
            if method.preferred_authentication_method is not None
            else None
        ),
        "relying_party_identifier": method.relying_party_identifier,
        "values": _method_fingerprints(method, user_key=user_key),
    }


def _action_digest_item(action: Action, *, user_key: str) -> dict[str, object]:
    return {
        "op": action.op.value,
        "type": action.type,
        "name": action.name,
        "method_id": action.method_id,
        "changes": [[c.field, c.old, c.new] for c in action.changes],
        "method": (
            _method_digest_item(action.method, user_key=user_key)
            if action.method is not None
            else None
        ),
        "methods": [_method_digest_item(m, user_key=user_key) for m in action.methods],
        "replaced": sorted(method.id for method in action.replaced),
    }


# -- safety guards --------------------------------------------------------------------------------


def check_guards(plan: Plan, safety: settings.SafetySettings) -> tuple[str, ...]:
    """The safety guards (DESIGN.md section 2) this plan violates, one message each."""
    violations: list[str] = []
    emptied = [
        user.key
        for user in plan.users
        if user.error is None
        and user.changed
        and user.live_count > 0
        and user.remaining_count == 0
        and not user.declared_empty
    ]
    if emptied:
        violations.append(
            f"safety guard 'no-user-left-without-methods': {_count(len(emptied), 'user')} "
            f"would be left with no methods at all ({_names(emptied)}); declare such a user "
            "with `methods: []` if that is intended, or use --force"
        )
    planned = [user for user in plan.users if user.error is None]
    deleting = [user.key for user in planned if user.deletes]
    if planned and len(planned) >= safety.min_users_for_ratio_guard:
        ratio = len(deleting) / len(planned)
        if ratio > safety.max_deleting_users_ratio:
            violations.append(
                f"safety guard 'max-deleting-users-ratio': {len(deleting)} of "
                f"{len(planned)} planned users ({ratio:.0%}) would lose methods, more than the "
                f"{safety.max_deleting_users_ratio:.0%} allowed ({_names(deleting)}); "
                "use --force to apply anyway"
            )
    return tuple(violations)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _names(keys: Sequence[str]) -> str:
    shown = ", ".join(display_key(key) for key in keys[:_GUARD_NAMES_SHOWN])
    more = len(keys) - _GUARD_NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


# -- the JSON document ----------------------------------------------------------------------------


def to_document(plan: Plan) -> dict[str, object]:
    """The `--format json` document (DESIGN.md section 1).

    No secret, no full phone number, no clear email: displays, masked keys and references only.
    """
    return {
        "format_version": FORMAT_VERSION,
        "summary": plan.summary.as_dict(),
        "users": [_user_document(user, saved=False) for user in plan.users],
    }


def _user_document(user: UserPlan, *, saved: bool) -> dict[str, object]:
    document: dict[str, object] = {
        "user": display_key(user.key),
        "user_id": user.user_id,
        "error": user.error,
        "actions": [_action_document(a, user_key=user.key, saved=saved) for a in user.actions],
    }
    if saved:
        document["key"] = saved_user_key(user.key)
        document["live_fingerprint"] = user.live_fingerprint
        document["action_digest"] = user.action_digest
    return document


def _action_document(action: Action, *, user_key: str, saved: bool) -> dict[str, object]:
    document: dict[str, object] = {
        "op": action.op.value,
        "type": action.type,
        "name": action.name,
        "method_id": action.method_id,
        "display": action.display,
    }
    if action.op is Op.PATCH:
        document["changes"] = [
            {"field": c.field, "old": c.old, "new": c.new} for c in action.changes
        ]
    if action.method is not None:
        document["method"] = _method_document(action.method, user_key=user_key, saved=saved)
    if action.op is Op.REPLACE:
        document["methods"] = [
            _method_document(m, user_key=user_key, saved=saved) for m in action.methods
        ]
        document["replaced"] = [
            {"id": m.id, "type": m.type, "name": m.name, "display": live_display(m)}
            for m in action.replaced
        ]
    return document


def _method_document(
    method: models.DesiredMethod, *, user_key: str, saved: bool
) -> dict[str, object]:
    document: dict[str, object] = {
        "type": method.type.value,
        "name": method.name,
        "display": desired_display(method),
    }
    if method.preferred_authentication_method is not None:
        document["preferred_authentication_method"] = method.preferred_authentication_method.value
    if method.totp_secret is not None:
        # a reference says where the seed comes from; an inline seed is only "inline"
        document["totp_secret"] = {"reference": method.totp_secret.reference}
    if method.relying_party_identifier is not None:
        document["relying_party_identifier"] = method.relying_party_identifier
    if saved:
        document["fingerprints"] = _method_fingerprints(method, user_key=user_key)
    return document


# -- the saved plan file --------------------------------------------------------------------------


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

    def __init__(self, users: Sequence[SavedUser]) -> None:
        self._by_key = {user.key: user for user in users}

    def __getitem__(self, key: str) -> SavedUser:
        stored = saved_user_key(key)
        if stored in self._by_key:
            return self._by_key[stored]
        return self._by_key[key]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (saved_user_key(key) in self._by_key or key in self._by_key)

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

    def policy_for(
        self, users: Sequence[models.DesiredUser], *, fallback: models.Policy
    ) -> models.Policy:
        """The planning policy the plan was made with (`fallback` where the file does not say)."""
        allow = self.allow_replace if self.allow_replace is not None else fallback.allow_replace
        reseed = set(fallback.reseed_totp)
        for user in users:
            saved = self.users.get(user.key)
            if saved is not None and saved.reseed_totp is not None:
                (reseed.add if saved.reseed_totp else reseed.discard)(user.key)
        return models.Policy(reseed_totp=frozenset(reseed), allow_replace=allow)


def write_plan_file(
    path: str | os.PathLike[str],
    plan: Plan,
    *,
    manifest_files: Sequence[str],
    policy: models.Policy | None = None,
) -> None:
    """Save `plan` for a later `apply --plan`: mode 0600 from creation, written atomically.

    The file is the JSON document plus, per user, the live fingerprint and the action digest; for
    values only redactions, references and fingerprints. With `policy`, the planning choices are
    saved too so that the re-plan at apply time uses the same ones.
    """
    document: dict[str, object] = {
        "kind": SAVED_PLAN_KIND,
        **to_document(plan),
        "manifest_files": list(manifest_files),
        "allow_replace": policy.allow_replace if policy is not None else None,
    }
    missing = [
        user.key for user in plan.users if user.error is None and user.live_fingerprint is None
    ]
    if missing:
        # Saved without it, `apply --plan` could not see that a user's live methods changed.
        raise ValueError(
            f"{_count(len(missing), 'user')} planned without a live fingerprint "
            f"({_names(missing)}); plan with `fingerprints=True` to save the plan"
        )
    users = [_user_document(user, saved=True) for user in plan.users]
    if policy is not None:
        for user, user_document in zip(plan.users, users, strict=True):
            user_document["reseed_totp"] = _reseeds(user, policy)
    document["users"] = users
    text = json.dumps(document, sort_keys=True, indent=2) + "\n"
    _write_private_atomically(Path(path), text)


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
    users: list[_SavedUserDocument]


def read_plan_file(path: str | os.PathLike[str]) -> SavedPlan:
    """Read a plan saved by `write_plan_file`; `errors.PlanFileError` says what is wrong."""
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
    if raw.get("format_version") != FORMAT_VERSION:
        raise errors.PlanFileError(
            f"plan file {where} has format_version {raw.get('format_version')!r}; this mfasync "
            f"reads format_version {FORMAT_VERSION}: plan again"
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
    return SavedPlan(
        manifest_files=tuple(document.manifest_files),
        users=SavedUsers(users),
        summary=dict(document.summary),
        allow_replace=document.allow_replace,
    )
