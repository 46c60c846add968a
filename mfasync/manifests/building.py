"""Validated users of one file into domain users, with the checks a schema cannot say.

`Builder` takes each `schema.User` that validated, with its node for positions, and makes the
`models.DesiredUser` the planner uses: types canonical, a phone's default `sms` explicit, a
secret recorded as a reference or an inline seed, the file's defaults applied. It is also the one
pass over the validated set that a schema cannot make: a user declared twice in the file, two
methods of a user with the same value, and the warnings (an inline seed, an email method beside
others, `methods: []` under `prune: managed`).

Users are built by `construct_shared` (no second validation: the format models have validated
the values) with one fields set per model shape and one copy of each repeated method name, since
a 100,000-user file keeps them all. What it must not do: read YAML text or word a validation error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml
from pydantic import MISSING, SecretStr, TypeAdapter
from pydantic_core import ErrorDetails

from mfasync import errors, models, secretrefs
from mfasync.manifests import fields, phones, plain, schema

_Built = TypeVar(
    "_Built", models.DesiredUser, models.DesiredMethod, models.SourceLocation, models.SecretSource
)
_METHOD: TypeAdapter[schema.AnyMethod] = TypeAdapter(schema.Method)
EMPTY_METHODS_WARNING = (
    "methods: [] under prune: managed deletes every phone, email, totp and webauthn-roaming "
    "method this user has"
)


def identity_key(*, user_id: str | None, email: str | None) -> str:
    """What makes two declarations the same user: the user_id, or the case-folded address."""
    return user_id if user_id is not None else f"email:{(email or '').casefold()}"


@dataclass(frozen=True, slots=True)
class Identity:
    """A user's identity as declared (also for users dropped for other errors): for duplicates."""

    key: str
    location: models.SourceLocation


@dataclass
class _Defaults:
    """The file's `defaults`, and what waits for them while users come before `defaults:`.

    Users are read as they come, but `defaults` may follow `users` in the file. Until the defaults
    are known (`settled`), users are built with the built-in ones, and the users (by index) and
    `methods: []` warnings that depend on them are kept to be fixed up when they are.
    """

    prune: models.Prune = models.Prune.MANAGED
    ignore: frozenset[models.IgnorableField] = frozenset()
    settled: bool = False
    # (index in Builder.users, takes the default prune, takes the default ignore)
    waiting_users: list[tuple[int, bool, bool]] = field(default_factory=list)
    waiting_warnings: list[yaml.Node] = field(default_factory=list)


@dataclass
class Builder:
    """The users, identities and problems of one file, built user by user."""

    source: str
    base_dir: str | None
    problems: list[errors.Problem] = field(default_factory=list)
    users: list[models.DesiredUser] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)
    defaults: _Defaults = field(default_factory=_Defaults)
    _seen: dict[str, models.SourceLocation] = field(default_factory=dict)
    _field_sets: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)

    def build(self, model: type[_Built], **values: Any) -> _Built:
        """`model.construct_shared` with one shared fields set per combination of fields given."""
        names = tuple(values)
        shared = self._field_sets.get(names)
        if shared is None:
            shared = self._field_sets[names] = set(names)
        return model.construct_shared(shared, **values)

    def error(self, node: yaml.Node, message: str, severity: str = "error") -> None:
        mark = node.start_mark
        self.problems.append(
            errors.Problem(self.source, mark.line + 1, mark.column + 1, message, severity)
        )

    def location(self, node: yaml.Node) -> models.SourceLocation:
        mark = node.start_mark
        return self.build(
            models.SourceLocation, file=self.source, line=mark.line + 1, column=mark.column + 1
        )

    def forget(self) -> None:
        """Drop what was built: a file YAML gave up on has just that problem."""
        self.problems.clear()
        self.users.clear()
        self.identities.clear()
        self._seen.clear()

    # -- identities ----------------------------------------------------------------------------

    def identity(self, node: yaml.Node, key: str) -> tuple[models.SourceLocation, bool]:
        """Record a user's identity; its location (for the user too), and False if a repeat."""
        location = self.location(node)
        self.identities.append(Identity(key=key, location=location))
        first = self._seen.setdefault(key, location)
        if first is location:
            return location, True
        shown = key.removeprefix("email:")
        self.error(node, f"user {shown!r} is listed twice: first at {first}")
        return location, False

    # -- users ---------------------------------------------------------------------------------

    def user(self, user: schema.User, node: yaml.Node) -> None:
        user_id = None if user.user_id is MISSING else user.user_id
        email = None if user.email is MISSING else user.email
        location, first = self.identity(node, identity_key(user_id=user_id, email=email))
        own_prune = None if user.prune is MISSING else user.prune
        own_ignore = None if user.ignore is MISSING else frozenset(user.ignore)
        defaults = self.defaults
        prune = own_prune or defaults.prune
        # `ignore: []` is an override too: an empty set must not fall back to the defaults.
        ignore = defaults.ignore if own_ignore is None else own_ignore
        methods_node = plain.locate(node, ("methods",))
        methods = self.methods(list(zip(user.methods, methods_node.value, strict=True)))
        if not user.methods:
            self.declared_empty(methods_node, own_prune)
        if not first or methods is None:
            return
        if not defaults.settled and (own_prune is None or own_ignore is None):
            defaults.waiting_users.append((len(self.users), own_prune is None, own_ignore is None))
        self.users.append(
            self.build(
                models.DesiredUser,
                user_id=user_id,
                email=email,
                prune=prune,
                ignore=ignore,
                methods=methods,
                source=location,
            )
        )

    def invalid_user(
        self, data: Any, node: yaml.Node, found: list[ErrorDetails], keys: list[plain.KeyProblem]
    ) -> None:
        """What is still checked of a user that has a problem, as for a valid one: its identity
        (for duplicates), its methods without a problem (duplicates, warnings), and the
        `methods: []` warning. The user itself is left out of the users."""
        if not isinstance(data, dict):
            return
        wrong = {e["loc"][:2] if e["loc"][:1] == ("methods",) else e["loc"][:1] for e in found}
        wrong.update(problem.path for problem in keys)
        key = _declared_identity(data, wrong)
        if key is not None:
            self.identity(node, key)
        methods = data.get("methods")
        if not isinstance(methods, list) or ("methods",) in wrong:
            return
        methods_node = plain.locate(node, ("methods",))
        if not methods:
            prune = data.get("prune") if ("prune",) not in wrong else None
            self.declared_empty(methods_node, None if prune is None else models.Prune(prune))
        valid = [
            (_METHOD.validate_python(item), item_node)
            for index, (item, item_node) in enumerate(zip(methods, methods_node.value, strict=True))
            if ("methods", index) not in wrong
        ]
        self.methods(valid)

    def declared_empty(self, methods_node: yaml.Node, own_prune: models.Prune | None) -> None:
        """`methods: []`: under `prune: managed` (maybe from defaults still to come), a warning."""
        defaults = self.defaults
        if own_prune is None and not defaults.settled:
            defaults.waiting_warnings.append(methods_node)
        elif (own_prune or defaults.prune) is models.Prune.MANAGED:
            self.error(methods_node, EMPTY_METHODS_WARNING, "warning")

    def settle(
        self,
        prune: models.Prune | None = None,
        ignore: frozenset[models.IgnorableField] | None = None,
    ) -> None:
        """The file's defaults are known: fix up the users and warnings that waited for them."""
        defaults = self.defaults
        prune = defaults.prune if prune is None else prune
        ignore = defaults.ignore if ignore is None else ignore
        for index, takes_prune, takes_ignore in defaults.waiting_users:
            user = self.users[index]
            wanted_prune = prune if takes_prune else user.prune
            wanted_ignore = ignore if takes_ignore else user.ignore
            if wanted_prune is not user.prune or wanted_ignore != user.ignore:
                self.users[index] = self.build(
                    models.DesiredUser,
                    user_id=user.user_id,
                    email=user.email,
                    prune=wanted_prune,
                    ignore=wanted_ignore,
                    methods=user.methods,
                    source=user.source,
                )
        if prune is models.Prune.MANAGED:
            for methods_node in defaults.waiting_warnings:
                self.error(methods_node, EMPTY_METHODS_WARNING, "warning")
        defaults.prune, defaults.ignore, defaults.settled = prune, ignore, True
        defaults.waiting_users.clear()
        defaults.waiting_warnings.clear()

    # -- methods -------------------------------------------------------------------------------

    def methods(
        self, declared: list[tuple[schema.AnyMethod, yaml.Node]]
    ) -> tuple[models.DesiredMethod, ...] | None:
        """The user's methods; None when two of them are the same method (reported)."""
        built: list[tuple[models.DesiredMethod, yaml.Node]] = []
        seen: dict[tuple[str, str, str], yaml.Node] = {}
        for method, item in declared:
            desired, identity = self.method(method, item)
            first = seen.setdefault(identity, item)
            if first is not item:
                self.error(
                    item,
                    f"duplicate {identity[0]} method: same {identity[1]} as the method at "
                    f"line {first.start_mark.line + 1}",
                )
                continue
            built.append((desired, item))
        if len(built) > 1:
            for desired, item in built:
                if desired.type is models.MethodType.EMAIL:
                    self.error(
                        item,
                        "an email method beside other methods: Auth0 offers email at login only "
                        "when the user has no other factor",
                        "warning",
                    )
        if len(built) < len(declared):
            return None
        return tuple(desired for desired, _ in built)

    def method(
        self, method: schema.AnyMethod, node: yaml.Node
    ) -> tuple[models.DesiredMethod, tuple[str, str, str]]:
        """The domain method, and what makes two methods of a user the same one."""
        # One str object for every method named the same ("SMS", "Authenticator").
        name = None if method.name is MISSING else self._names.setdefault(method.name, method.name)
        values: dict[str, Any] = {"name": name}
        if isinstance(method, schema.PinnedMethod):
            kind = models.MethodType(models.TYPE_ALIASES.get(method.type, method.type))
            values["id"] = method.id
            identity = (kind.value, "id", method.id)
        elif isinstance(method, schema.PhoneMethod):
            kind = models.MethodType.PHONE
            values["phone_number"] = method.phone_number
            preferred = method.preferred_authentication_method
            # The API's default, made explicit for planning.
            values["preferred_authentication_method"] = (
                models.PreferredMethod.SMS if preferred is MISSING else preferred
            )
            identity = ("phone", "phone_number", method.phone_number)
            doubt = phones.doubt(method.phone_number)
            if doubt is not None:  # possible, but not known valid: a warning, not an error
                self.error(plain.locate(node, ("phone_number",)), doubt, "warning")
        elif isinstance(method, schema.EmailMethod):
            kind = models.MethodType.EMAIL
            values["email"] = method.email
            identity = ("email", "email", method.email.casefold())
        elif isinstance(method, schema.TotpMethod):
            kind = models.MethodType.TOTP
            values["totp_secret"], identity = self.secret(method.totp_secret, node)
        else:
            kind = models.MethodType.WEBAUTHN_ROAMING
            values["key_id"] = method.key_id
            values["public_key"] = method.public_key
            values["relying_party_identifier"] = method.relying_party_identifier
            identity = ("webauthn-roaming", "key_id", method.key_id)
        desired = self.build(models.DesiredMethod, type=kind, **values, source=self.location(node))
        return desired, identity

    def secret(
        self, secret: str, node: yaml.Node
    ) -> tuple[models.SecretSource, tuple[str, str, str]]:
        if secretrefs.is_reference(secret):
            source = self.build(models.SecretSource, reference=secret, base_dir=self.base_dir)
            return source, ("totp", "totp_secret reference", secret)
        self.error(
            plain.locate(node, ("totp_secret",)),
            "inline TOTP secret: keep seeds out of Git with a reference "
            "(${env:NAME} or ${file:path#key})",
            "warning",
        )
        source = self.build(models.SecretSource, value=SecretStr(secret), base_dir=self.base_dir)
        # Never a seed in a message: the duplicate check keys on it, the message does not.
        return source, ("totp", "totp_secret", secret)


def _declared_identity(data: dict[str, Any], wrong: set[tuple[str | int, ...]]) -> str | None:
    """The identity of a user that did not validate, when it declares exactly one valid one."""
    if ("user_id" in data) == ("email" in data) or {("user_id",), ("email",)} & wrong:
        return None
    if "user_id" in data:
        return identity_key(user_id=data["user_id"], email=None)
    return identity_key(user_id=None, email=fields.email(data["email"]))
