"""Parse one manifest's text into desired users, reporting every problem at its `line:column`.

The YAML is composed into nodes (the C parser when available) and the nodes are walked by hand:
nodes keep their positions. The top level is read piece by piece (`streaming`) and each item of
`users` is composed, checked and dropped in turn, so a 100,000-user file never exists as one node
tree: memory holds the users built, not the document. Plain scalars are read as the text that was
written (`+14155550123`, `yes`), never as what YAML 1.1 would make of them.

What it must not do: touch files, the environment or the network (it is pure: text in, users and
problems out), resolve a secret reference, or put a phone number or a secret into a message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml
from pydantic import SecretStr

from mfasync import errors, models, secretrefs
from mfasync.manifests import fields, phones, streaming

_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"

TOP_KEYS = ("version", "defaults", "users")
DEFAULTS_KEYS = ("prune", "ignore")
USER_KEYS = ("user_id", "email", "prune", "ignore", "methods")
COMMON_METHOD_KEYS = ("type", "id", "name")
VALUE_KEYS: dict[models.MethodType, tuple[str, ...]] = {
    models.MethodType.PHONE: ("phone_number", "preferred_authentication_method"),
    models.MethodType.EMAIL: ("email",),
    models.MethodType.TOTP: ("totp_secret",),
    models.MethodType.WEBAUTHN_ROAMING: ("key_id", "public_key", "relying_party_identifier"),
}
ALL_METHOD_KEYS = COMMON_METHOD_KEYS + tuple(k for keys in VALUE_KEYS.values() for k in keys)
# The guide's camelCase example is refused with the exact fix: one spelling per field keeps
# manifests greppable, the JSON Schema tight and `dump_users` output stable.
CAMEL_CASE = {
    "keyId": "key_id",
    "publicKey": "public_key",
    "relyingPartyIdentifier": "relying_party_identifier",
    "phoneNumber": "phone_number",
    "totpSecret": "totp_secret",
    "preferredAuthenticationMethod": "preferred_authentication_method",
    "userId": "user_id",
}
TYPES = tuple(t.value for t in models.MethodType)
PRUNE_VALUES = tuple(p.value for p in models.Prune)
IGNORABLE = tuple(f.value for f in models.IgnorableField)
PREFERRED = tuple(p.value for p in models.PreferredMethod)
Problems = tuple[errors.Problem, ...]
SECRET_HELP = f"Base32, an otpauth://totp/ URI, or a reference: {secretrefs.REFERENCE_HELP}"
_Built = TypeVar(
    "_Built", models.DesiredUser, models.DesiredMethod, models.SourceLocation, models.SecretSource
)


@dataclass(frozen=True, slots=True)
class ParseResult:
    """The users of one manifest and every problem found in it (warnings have severity "warning").

    `users` holds only the users that were declared without error.
    """

    users: tuple[models.DesiredUser, ...]
    problems: tuple[errors.Problem, ...]

    @property
    def errors(self) -> Problems:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> Problems:
        return tuple(p for p in self.problems if p.severity == "warning")


@dataclass(frozen=True, slots=True)
class Identity:
    """A user's identity as declared (also for users dropped for other errors): for duplicates."""

    key: str
    location: models.SourceLocation


@dataclass(frozen=True, slots=True)
class Parsed:
    """What `load` needs beyond ParseResult: every declared identity, valid user or not."""

    result: ParseResult
    identities: tuple[Identity, ...]


def parse(text: str, source: str, *, base_dir: str | None = None) -> ParseResult:
    """Users and problems of one manifest. Pure: `source` only names the text in messages.

    `base_dir` is the manifest's folder, recorded on each secret reference for later resolution.
    """
    return parse_detailed(text, source, base_dir=base_dir).result


def parse_detailed(text: str, source: str, *, base_dir: str | None = None) -> Parsed:
    walker = _Walker(source=source, base_dir=base_dir)
    walker.run(text)
    problems = tuple(
        sorted(walker.problems, key=lambda p: (p.line, p.column, p.severity, p.message))
    )
    return Parsed(
        result=ParseResult(users=tuple(walker.users), problems=problems),
        identities=tuple(walker.identities),
    )


def identity_key(*, user_id: str | None, email: str | None) -> str:
    """What makes two declarations the same user: the user_id, or the case-folded address."""
    return user_id if user_id is not None else f"email:{(email or '').casefold()}"


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
    # (index in _Walker.users, takes the default prune, takes the default ignore)
    waiting_users: list[tuple[int, bool, bool]] = field(default_factory=list)
    waiting_warnings: list[yaml.Node] = field(default_factory=list)


@dataclass
class _Walker:
    source: str
    base_dir: str | None
    problems: list[errors.Problem] = field(default_factory=list)
    users: list[models.DesiredUser] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)
    _seen: dict[str, models.SourceLocation] = field(default_factory=dict)
    # Memory of a large file: one fields set per model shape, one copy of each repeated name.
    _field_sets: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)

    def build(self, model: type[_Built], **values: Any) -> _Built:
        """`model.construct_shared` with one shared fields set per combination of fields given."""
        names = tuple(values)
        shared = self._field_sets.get(names)
        if shared is None:
            shared = self._field_sets[names] = set(names)
        return model.construct_shared(shared, **values)

    def shared_name(self, name: str | None) -> str | None:
        """One str object for every method named the same ("SMS", "Authenticator")."""
        return name if name is None else self._names.setdefault(name, name)

    # -- reporting ------------------------------------------------------------------------------

    def error(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(errors.Problem(self.source, mark.line + 1, mark.column + 1, message))

    def warn(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(
            errors.Problem(self.source, mark.line + 1, mark.column + 1, message, "warning")
        )

    def location(self, node: yaml.Node) -> models.SourceLocation:
        mark = node.start_mark
        return self.build(
            models.SourceLocation, file=self.source, line=mark.line + 1, column=mark.column + 1
        )

    # -- generic node shapes --------------------------------------------------------------------

    def mapping(
        self,
        node: yaml.Node,
        *,
        what: str,
        allowed: tuple[str, ...],
        elsewhere: dict[str, str] | None = None,
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """The keys of a mapping node; reports non-string, duplicate and unknown keys."""
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = self.accepted_key(
                key_node, found, what=what, allowed=allowed, elsewhere=elsewhere
            )
            if key is not None:
                found[key] = (key_node, value_node)
        return found

    def accepted_key(
        self,
        key_node: yaml.Node,
        found: dict[str, tuple[yaml.Node, yaml.Node]],
        *,
        what: str,
        allowed: tuple[str, ...],
        elsewhere: dict[str, str] | None = None,
    ) -> str | None:
        """The key's name if it is a new allowed key of the mapping; else report it, None."""
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _NULL:
            self.error(
                key_node,
                f"keys in {what} must be plain names; allowed: {fields.listing(allowed)}",
            )
            return None
        key = str(key_node.value)
        if key in found:
            first = found[key][0].start_mark
            self.error(
                key_node,
                f"duplicate key {key!r} in {what} (first at line {first.line + 1})",
            )
            return None
        if key not in allowed:
            self.unknown_key(key_node, key, what=what, allowed=allowed, elsewhere=elsewhere)
            return None
        return key

    def unknown_key(
        self,
        node: yaml.Node,
        key: str,
        *,
        what: str,
        allowed: tuple[str, ...],
        elsewhere: dict[str, str] | None,
    ) -> None:
        if key in CAMEL_CASE and CAMEL_CASE[key] in allowed:
            self.error(
                node,
                f"{key!r} is spelled {CAMEL_CASE[key]!r} (manifests use the API's snake_case "
                "field names)",
            )
        elif elsewhere and key in elsewhere:
            self.error(
                node, f"{key!r} is {elsewhere[key]}; allowed in {what}: {fields.listing(allowed)}"
            )
        else:
            self.error(
                node,
                f"unknown key {key!r} in {what}{fields.did_you_mean(key, allowed)}; "
                f"allowed: {fields.listing(allowed)}",
            )

    def text(self, node: yaml.Node, *, key: str) -> str | None:
        """The written text of a scalar (not YAML 1.1's reading of it); None if it is no string."""
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _NULL:
                self.error(node, f"{key!r} has no value")
                return None
            return str(node.value)
        kind = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
        self.error(node, f"{key!r} must be a single value, not {kind}")
        return None

    def sequence(self, node: yaml.Node, *, key: str, items: str) -> list[yaml.Node] | None:
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        self.error(node, f"{key!r} must be a list of {items}")
        return None

    # -- the document ---------------------------------------------------------------------------

    def run(self, text: str) -> None:
        reader = None
        try:
            # Inside the try: the pure-Python reader refuses a bad character on creation.
            reader = streaming.NodeReader(text)
            self.stream(reader)
        except yaml.MarkedYAMLError as exc:
            self.unread()
            self.syntax_error(exc)
        except yaml.YAMLError as exc:  # a ReaderError (a character YAML refuses) has a position
            self.unread()
            position = getattr(exc, "position", 0) or 0
            before = text[:position]
            line = before.count("\n") + 1
            column = position - (before.rfind("\n") + 1) + 1
            reason = getattr(exc, "reason", "unreadable input")
            self.problems.append(
                errors.Problem(self.source, line, column, f"YAML cannot read this file: {reason}")
            )
        finally:
            if reader is not None:
                reader.close()

    def unread(self) -> None:
        """Forget what was read before YAML gave up: a file it cannot read has just that problem."""
        self.problems.clear()
        self.users.clear()
        self.identities.clear()
        self._seen.clear()

    def syntax_error(self, exc: yaml.MarkedYAMLError) -> None:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        self.problems.append(
            errors.Problem(self.source, line, column, f"YAML syntax error: {what}{context}")
        )

    def stream(self, reader: streaming.NodeReader) -> None:
        if not reader.start():
            self.problems.append(
                errors.Problem(
                    self.source,
                    1,
                    1,
                    "the manifest is empty; expected a mapping with 'version: 1' and 'users'",
                )
            )
            return
        root = reader.mapping_start()
        if root is None:
            self.error(
                reader.node(), "the manifest must be a mapping with 'version: 1' and 'users'"
            )
        else:
            self.document(root, reader)
        reader.finish()

    def document(self, root: yaml.MappingNode, reader: streaming.NodeReader) -> None:
        """The top level, read key by key: each user is built, and its nodes dropped, in turn."""
        keys: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        defaults = _Defaults()
        for key_node, value in reader.pairs(root, opened=_is_users_key):
            key = self.accepted_key(key_node, keys, what="the top level", allowed=TOP_KEYS)
            if key is not None:
                keys[key] = (key_node, value)
            if key == "version":
                self.version(value)
            elif key == "defaults":
                self.settle(defaults, *self.defaults(value))
            elif key == "users" and isinstance(value, yaml.SequenceNode):
                for user_node in reader.items(value):
                    self.user(user_node, defaults=defaults)
            elif key == "users":
                self.sequence(value, key="users", items="users (each item starts with '- ')")
        if not defaults.settled:
            self.settle(defaults, defaults.prune, defaults.ignore)
        if "version" not in keys:
            self.error(root, "missing 'version: 1' at the top level")
        if "users" not in keys:
            self.error(root, "missing 'users' (a list of users; write 'users: []' for none)")

    def settle(
        self,
        defaults: _Defaults,
        prune: models.Prune,
        ignore: frozenset[models.IgnorableField],
    ) -> None:
        """The file's defaults are known: fix up the users and warnings that waited for them."""
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
                self.warn(methods_node, _EMPTY_METHODS_WARNING)
        defaults.prune, defaults.ignore, defaults.settled = prune, ignore, True
        defaults.waiting_users.clear()
        defaults.waiting_warnings.clear()

    def version(self, node: yaml.Node) -> None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _INT and node.value == "1":
            return
        shown = node.value if isinstance(node, yaml.ScalarNode) else "a collection"
        self.error(node, f"unsupported version {shown!r}; allowed: 1 (the number)")

    def defaults(self, node: yaml.Node) -> tuple[models.Prune, frozenset[models.IgnorableField]]:
        prune, ignore = models.Prune.MANAGED, frozenset[models.IgnorableField]()
        if not isinstance(node, yaml.MappingNode):
            self.error(node, "'defaults' must be a mapping with 'prune' and/or 'ignore'")
            return prune, ignore
        keys = self.mapping(node, what="defaults", allowed=DEFAULTS_KEYS)
        if "prune" in keys:
            prune = self.prune(keys["prune"][1]) or prune
        if "ignore" in keys:
            declared = self.ignore(keys["ignore"][1])
            # `ignore: []` is an override too: an empty set must not fall back to the defaults.
            ignore = ignore if declared is None else declared
        return prune, ignore

    def prune(self, node: yaml.Node) -> models.Prune | None:
        value = self.text(node, key="prune")
        if value is None:
            return None
        if value not in PRUNE_VALUES:
            self.error(
                node,
                f"prune must be one of {fields.listing(PRUNE_VALUES)}, not {value!r}"
                f"{fields.did_you_mean(value, PRUNE_VALUES)}",
            )
            return None
        return models.Prune(value)

    def ignore(self, node: yaml.Node) -> frozenset[models.IgnorableField] | None:
        items = self.sequence(node, key="ignore", items=f"fields ({fields.listing(IGNORABLE)})")
        if items is None:
            return None
        found: set[models.IgnorableField] = set()
        ok = True
        for item in items:
            value = self.text(item, key="ignore")
            if value is None:
                ok = False
            elif value not in IGNORABLE:
                self.error(
                    item,
                    f"cannot ignore {value!r}{fields.did_you_mean(value, IGNORABLE)}; "
                    f"allowed: {fields.listing(IGNORABLE)}",
                )
                ok = False
            else:
                found.add(models.IgnorableField(value))
        return frozenset(found) if ok else None

    # -- users ----------------------------------------------------------------------------------

    def user(
        self,
        node: yaml.Node,
        *,
        defaults: _Defaults,
    ) -> None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, "a user must be a mapping with 'user_id' or 'email', and 'methods'")
            return
        before = len(self.problems)
        keys = self.mapping(node, what="a user", allowed=USER_KEYS, elsewhere=_USER_ELSEWHERE)
        user_id = email = None
        if "user_id" in keys and "email" in keys:
            self.error(keys["email"][0], "a user has 'user_id' or 'email', not both")
        elif "user_id" in keys:
            user_id = self.text(keys["user_id"][1], key="user_id")
            if user_id is not None and not user_id.strip():
                self.error(keys["user_id"][1], "'user_id' must not be empty")
                user_id = None
        elif "email" in keys:
            raw = self.text(keys["email"][1], key="email")
            if raw is not None:
                try:
                    email = fields.email(raw)
                except fields.FieldError as exc:
                    self.error(keys["email"][1], str(exc))
        elif len(self.problems) == before:  # not when a misspelt key (`userId`) was reported
            self.error(node, "a user needs 'user_id' or 'email'")
        location = None
        if user_id is not None or email is not None:
            location = self.identity(node, identity_key(user_id=user_id, email=email))
        own_prune = self.prune(keys["prune"][1]) if "prune" in keys else None
        prune = own_prune or defaults.prune
        # `ignore: []` is an override too: an empty set must not fall back to the defaults.
        own_ignore = self.ignore(keys["ignore"][1]) if "ignore" in keys else None
        ignore = defaults.ignore if own_ignore is None else own_ignore
        methods: list[models.DesiredMethod] = []
        if "methods" not in keys:
            self.error(
                node,
                "missing 'methods' (write 'methods: []' to declare that this user has no "
                "managed methods)",
            )
        else:
            methods_node = keys["methods"][1]
            items = self.sequence(methods_node, key="methods", items="methods")
            if items is not None:
                methods = self.methods(items)
                if not items and own_prune is None and not defaults.settled:
                    defaults.waiting_warnings.append(methods_node)
                elif not items and prune is models.Prune.MANAGED:
                    self.warn(methods_node, _EMPTY_METHODS_WARNING)
        if any(p.severity == "error" for p in self.problems[before:]):
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
                methods=tuple(methods),
                source=location or self.location(node),
            )
        )

    def identity(self, node: yaml.Node, key: str) -> models.SourceLocation:
        """Record the user's identity (reporting a duplicate); its location, for the user too."""
        location = self.location(node)
        self.identities.append(Identity(key=key, location=location))
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = location
            return location
        shown = key.removeprefix("email:")
        self.error(node, f"user {shown!r} is listed twice: first at {first}")
        return location

    def methods(self, items: list[yaml.Node]) -> list[models.DesiredMethod]:
        methods: list[models.DesiredMethod] = []
        seen: dict[tuple[str, str, str], yaml.Node] = {}
        for item in items:
            parsed = self.method(item)
            if parsed is None:
                continue
            method, identity = parsed
            if identity is not None:
                first = seen.get(identity)
                if first is not None:
                    what = identity[1]
                    self.error(
                        item,
                        f"duplicate {method.type.value} method: same {what} as the method at "
                        f"line {first.start_mark.line + 1}",
                    )
                    continue
                seen[identity] = item
            methods.append(method)
        if len(methods) > 1:
            for method, item in zip(methods, _method_nodes(items, methods), strict=True):
                if method.type is models.MethodType.EMAIL:
                    self.warn(
                        item,
                        "an email method beside other methods: Auth0 offers email at login only "
                        "when the user has no other factor",
                    )
        return methods

    # -- methods --------------------------------------------------------------------------------

    def method(
        self, node: yaml.Node
    ) -> tuple[models.DesiredMethod, tuple[str, str, str] | None] | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, "a method must be a mapping with 'type' and its fields")
            return None
        before = len(self.problems)
        method_type = self.method_type(node)
        if method_type is None:
            # Still check the keys, so that a typo in 'type' does not hide the others.
            self.mapping(node, what="a method", allowed=ALL_METHOD_KEYS)
            return None
        allowed = COMMON_METHOD_KEYS + VALUE_KEYS[method_type]
        elsewhere = {
            key: f"not a field of a {method_type.value} method"
            for key in ALL_METHOD_KEYS
            if key not in allowed
        }
        keys = self.mapping(
            node, what=f"a {method_type.value} method", allowed=allowed, elsewhere=elsewhere
        )
        # A misspelt key (`phone`, `keyId`) was reported with its fix; "missing phone_number"
        # on top of it would be noise.
        misspelt = len(self.problems) > before
        values: dict[str, str | None] = {}
        for key, (_, value_node) in keys.items():
            if key != "type":
                values[key] = self.text(value_node, key=key)
        name = values.get("name")
        if name is not None:
            try:
                fields.name(name)
            except fields.FieldError as exc:
                self.error(keys["name"][1], str(exc))
        if "id" in keys:
            built = self.pinned(node, method_type, keys, values)
        else:
            built = self.valued(node, method_type, keys, values, misspelt=misspelt)
        if built is None or any(p.severity == "error" for p in self.problems[before:]):
            return None
        return built

    def method_type(self, node: yaml.MappingNode) -> models.MethodType | None:
        type_node = next((v for k, v in node.value if getattr(k, "value", None) == "type"), None)
        if type_node is None:
            self.error(node, f"a method needs 'type'; allowed: {fields.listing(TYPES)}")
            return None
        value = self.text(type_node, key="type")
        if value is None:
            return None
        canonical = models.TYPE_ALIASES.get(value, value)
        if canonical in TYPES:
            return models.MethodType(canonical)
        hint = ""
        if value.lower() in ("sms", "voice"):
            hint = f" ({value.lower()} is a phone method's preferred_authentication_method)"
        self.error(
            type_node,
            f"unknown method type {value!r}{fields.did_you_mean(value.lower(), TYPES)}; "
            f"allowed: {fields.listing(TYPES)}{hint}",
        )
        return None

    def pinned(
        self,
        node: yaml.Node,
        method_type: models.MethodType,
        keys: dict[str, tuple[yaml.Node, yaml.Node]],
        values: dict[str, str | None],
    ) -> tuple[models.DesiredMethod, tuple[str, str, str] | None] | None:
        for key in VALUE_KEYS[method_type]:
            if key in keys:
                self.error(
                    keys[key][0],
                    f"{key!r} cannot be given beside 'id': a pinned method keeps its live value "
                    "(give 'type', 'id' and optionally 'name')",
                )
        method_id = values.get("id")
        if method_id is None:
            return None
        prefix, bar, rest = method_id.partition("|")
        if not bar or not rest.strip():
            self.error(
                keys["id"][1],
                f"'id' must be a live method id such as '{method_type.value}|dev_...'",
            )
            return None
        if models.TYPE_ALIASES.get(prefix, prefix) != method_type.value:
            self.error(
                keys["id"][1],
                f"id prefix {prefix!r} does not match type {method_type.value!r}; a pinned "
                f"{method_type.value} method has an id like '{method_type.value}|dev_...'",
            )
            return None
        method = self.build(
            models.DesiredMethod,
            type=method_type,
            id=method_id,
            name=self.shared_name(values.get("name")),
            source=self.location(node),
        )
        return method, (method_type.value, "id", method_id)

    def valued(
        self,
        node: yaml.Node,
        method_type: models.MethodType,
        keys: dict[str, tuple[yaml.Node, yaml.Node]],
        values: dict[str, str | None],
        *,
        misspelt: bool,
    ) -> tuple[models.DesiredMethod, tuple[str, str, str] | None] | None:
        missing = [k for k in _REQUIRED[method_type] if k not in keys]
        if missing:
            if not misspelt:
                self.error(node, _missing_message(method_type, missing))
            return None
        if any(values.get(k) is None for k in _REQUIRED[method_type]):
            return None  # already reported: a required field has no usable value
        location = self.location(node)
        name = self.shared_name(values.get("name"))
        try:
            if method_type is models.MethodType.PHONE:
                return self.phone(keys, values, name=name, location=location)
            if method_type is models.MethodType.EMAIL:
                address = self.checked(keys, "email", fields.email, values)
                method = self.build(
                    models.DesiredMethod,
                    type=method_type,
                    name=name,
                    email=address,
                    source=location,
                )
                return method, (method_type.value, "email", address.casefold())
            if method_type is models.MethodType.TOTP:
                return self.totp(keys, values, name=name, location=location)
            return self.webauthn(keys, values, name=name, location=location)
        except _Reported:
            return None

    def phone(
        self,
        keys: dict[str, tuple[yaml.Node, yaml.Node]],
        values: dict[str, str | None],
        *,
        name: str | None,
        location: models.SourceLocation,
    ) -> tuple[models.DesiredMethod, tuple[str, str, str] | None]:
        number = self.checked(keys, "phone_number", fields.phone_number, values)
        doubt = phones.doubt(number)
        if doubt is not None:
            self.warn(keys["phone_number"][1], doubt)
        preferred = models.PreferredMethod.SMS  # the API's default, made explicit for planning
        if "preferred_authentication_method" in keys:
            raw = values.get("preferred_authentication_method")
            if raw is None:
                raise _Reported
            if raw not in PREFERRED:
                self.error(
                    keys["preferred_authentication_method"][1],
                    f"preferred_authentication_method must be one of "
                    f"{fields.listing(PREFERRED)}, not {raw!r}",
                )
                raise _Reported
            preferred = models.PreferredMethod(raw)
        method = self.build(
            models.DesiredMethod,
            type=models.MethodType.PHONE,
            name=name,
            phone_number=number,
            preferred_authentication_method=preferred,
            source=location,
        )
        return method, ("phone", "phone_number", number)

    def totp(
        self,
        keys: dict[str, tuple[yaml.Node, yaml.Node]],
        values: dict[str, str | None],
        *,
        name: str | None,
        location: models.SourceLocation,
    ) -> tuple[models.DesiredMethod, tuple[str, str, str] | None]:
        raw = values["totp_secret"] or ""
        value_node = keys["totp_secret"][1]
        try:
            if secretrefs.is_reference(raw):
                reference = str(secretrefs.parse_reference(raw))
                secret = self.build(
                    models.SecretSource, reference=reference, base_dir=self.base_dir
                )
                identity = ("totp", "totp_secret reference", reference)
            else:
                value = secretrefs.normalize_totp_secret(raw)
                secret = self.build(
                    models.SecretSource, value=SecretStr(value), base_dir=self.base_dir
                )
                # Never a seed in a message: the duplicate check keys on it, the message does not.
                identity = ("totp", "totp_secret", value)
                self.warn(
                    value_node,
                    "inline TOTP secret: keep seeds out of Git with a reference "
                    "(${env:NAME} or ${file:path#key})",
                )
        except errors.SecretRefError as exc:
            self.error(value_node, f"'totp_secret' is invalid: {exc}")
            raise _Reported from None
        method = self.build(
            models.DesiredMethod,
            type=models.MethodType.TOTP,
            name=name,
            totp_secret=secret,
            source=location,
        )
        return method, identity

    def webauthn(
        self,
        keys: dict[str, tuple[yaml.Node, yaml.Node]],
        values: dict[str, str | None],
        *,
        name: str | None,
        location: models.SourceLocation,
    ) -> tuple[models.DesiredMethod, tuple[str, str, str] | None]:
        key_id = (values["key_id"] or "").strip()
        if not key_id:
            self.error(keys["key_id"][1], "'key_id' must not be empty")
        public_key = self.checked(keys, "public_key", fields.public_key, values, soft=True)
        host = self.checked(keys, "relying_party_identifier", fields.hostname, values, soft=True)
        if not key_id or not public_key or not host:
            raise _Reported
        method = self.build(
            models.DesiredMethod,
            type=models.MethodType.WEBAUTHN_ROAMING,
            name=name,
            key_id=key_id,
            public_key=public_key,
            relying_party_identifier=host,
            source=location,
        )
        return method, ("webauthn-roaming", "key_id", key_id)

    def checked(
        self,
        keys: dict[str, tuple[yaml.Node, yaml.Node]],
        key: str,
        check: Callable[[str], str],
        values: dict[str, str | None],
        *,
        soft: bool = False,
    ) -> str:
        """`check(value)`, or report its FieldError at the value; `soft` returns "" to go on."""
        try:
            return check(values[key] or "")
        except fields.FieldError as exc:
            self.error(keys[key][1], str(exc))
            if soft:
                return ""
            raise _Reported from None


_EMPTY_METHODS_WARNING = (
    "methods: [] under prune: managed deletes every phone, email, totp and webauthn-roaming "
    "method this user has"
)


class _Reported(Exception):
    """A method's problem was reported; stop building that method."""


_REQUIRED: dict[models.MethodType, tuple[str, ...]] = {
    models.MethodType.PHONE: ("phone_number",),
    models.MethodType.EMAIL: ("email",),
    models.MethodType.TOTP: ("totp_secret",),
    models.MethodType.WEBAUTHN_ROAMING: ("key_id", "public_key", "relying_party_identifier"),
}

_USER_ELSEWHERE = {
    "type": "a method's field (put methods under 'methods:')",
    "version": "a top-level key",
    "defaults": "a top-level key",
    "users": "a top-level key",
    **{
        key: "a method's field (put methods under 'methods:')"
        for key in ALL_METHOD_KEYS
        if key not in USER_KEYS
    },
}


def _is_users_key(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.value == "users"


def _missing_message(method_type: models.MethodType, missing: list[str]) -> str:
    if method_type is models.MethodType.WEBAUTHN_ROAMING:
        return (
            "a webauthn-roaming method needs 'key_id', 'public_key' and "
            f"'relying_party_identifier' (missing: {fields.listing(missing)}), or a pinned 'id'"
        )
    if method_type is models.MethodType.PHONE:
        return (
            f"a phone method needs 'phone_number' (E.164, e.g. {fields.PHONE_EXAMPLE}) "
            "or a pinned 'id'"
        )
    if method_type is models.MethodType.EMAIL:
        return "an email method needs 'email' or a pinned 'id'"
    return f"a totp method needs 'totp_secret' ({SECRET_HELP}) or a pinned 'id'"


def _method_nodes(
    items: list[yaml.Node], methods: list[models.DesiredMethod]
) -> Iterator[yaml.Node]:
    # Built methods keep their source line/column: find each one's node again for its warning.
    by_position = {(n.start_mark.line + 1, n.start_mark.column + 1): n for n in items}
    for method in methods:
        assert method.source is not None
        yield by_position[(method.source.line, method.source.column)]
