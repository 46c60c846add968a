"""Parse one manifest's text into desired users, reporting every problem at its `line:column`.

The YAML is read piece by piece (`streaming`, the C parser when available): each item of `users`
is composed, turned into plain data (`plain`), validated by the format model (`schema.User`),
built into a domain user (`building`) and dropped in turn, so a 100,000-user file never exists as
one node tree. `defaults` is validated when it comes (`schema.Defaults`), and the rest of the top
level at the end (`schema.Manifest`, its users left out: they were validated one by one). Errors
are worded by `messages`. Plain scalars are read as the text that was written (`+14155550123`,
`yes`), never as what YAML 1.1 would make of them; the one number of the format is `version: 1`.

What it must not do: touch files, the environment or the network (it is pure: text in, users and
problems out), resolve a secret reference, or put a phone number or a secret into a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import MISSING, ValidationError
from pydantic_core import ErrorDetails

from mfasync import errors, models
from mfasync.manifests import building, messages, plain, schema, streaming

_INT_TAG = "tag:yaml.org,2002:int"
Problems = tuple[errors.Problem, ...]


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
class Parsed:
    """What `load` needs beyond ParseResult: every declared identity, valid user or not."""

    result: ParseResult
    identities: tuple[building.Identity, ...]


def parse(text: str, source: str, *, base_dir: str | None = None) -> ParseResult:
    """Users and problems of one manifest. Pure: `source` only names the text in messages.

    `base_dir` is the manifest's folder, recorded on each secret reference for later resolution.
    """
    return parse_detailed(text, source, base_dir=base_dir).result


def parse_detailed(text: str, source: str, *, base_dir: str | None = None) -> Parsed:
    builder = building.Builder(source=source, base_dir=base_dir)
    _read(text, builder)
    problems = tuple(
        sorted(builder.problems, key=lambda p: (p.line, p.column, p.severity, p.message))
    )
    return Parsed(
        result=ParseResult(users=tuple(builder.users), problems=problems),
        identities=tuple(builder.identities),
    )


def _read(text: str, builder: building.Builder) -> None:
    reader = None
    try:
        # Inside the try: the pure-Python reader refuses a bad character on creation.
        reader = streaming.NodeReader(text)
        _stream(reader, builder)
    except yaml.MarkedYAMLError as exc:
        builder.forget()
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        _problem(builder, line, column, f"YAML syntax error: {what}{context}")
    except yaml.YAMLError as exc:  # a ReaderError (a character YAML refuses) has a position
        builder.forget()
        position = getattr(exc, "position", 0) or 0
        before = text[:position]
        line = before.count("\n") + 1
        column = position - (before.rfind("\n") + 1) + 1
        reason = getattr(exc, "reason", "unreadable input")
        _problem(builder, line, column, f"YAML cannot read this file: {reason}")
    finally:
        if reader is not None:
            reader.close()


def _problem(builder: building.Builder, line: int, column: int, message: str) -> None:
    builder.problems.append(errors.Problem(builder.source, line, column, message))


def _stream(reader: streaming.NodeReader, builder: building.Builder) -> None:
    if not reader.start():
        _problem(
            builder, 1, 1, "the manifest is empty; expected a mapping with 'version: 1' and 'users'"
        )
        return
    root = reader.mapping_start()
    if root is None:
        node = reader.node()
        _validate(schema.Manifest, _data_of(node, []), node, [], builder)
    else:
        _document(root, reader, builder)
    reader.finish()


def _document(root: yaml.MappingNode, reader: streaming.NodeReader, b: building.Builder) -> None:
    """The top level, read key by key: each user is validated and built, and dropped, in turn."""
    header: dict[str, Any] = {}  # the top level but `defaults` and the users, for schema.Manifest
    pairs: list[tuple[yaml.Node, yaml.Node]] = []  # its nodes, for positions
    key_problems: list[plain.KeyProblem] = []
    for key_node, value in reader.pairs(root, opened=_is_users_key):
        key = plain.name_of(key_node)
        if key is None or any(plain.name_of(k) == key for k, _ in pairs):
            key_problems.append(plain.KeyProblem((), key, key_node))
            continue
        pairs.append((key_node, value))
        if key == "defaults":
            _defaults(value, b)
        elif key == "users" and isinstance(value, yaml.SequenceNode):
            header[key] = []
            for user_node in reader.items(value):
                _user(user_node, b)
        elif key == "version":
            # The number 1 as written: not '1', 1.0 or 01 (a collection is shown as one).
            is_one = value.tag == _INT_TAG and value.value == "1"
            shown = value.value if isinstance(value, yaml.ScalarNode) else "a collection"
            header[key] = 1 if is_one else shown
        else:
            # Only the top level's own keys are checked: what is inside a wrong value is not read.
            header[key] = _data_of(value, [], (key,))
    if not b.defaults.settled:
        b.settle()
    top = yaml.MappingNode(root.tag, pairs, root.start_mark, root.end_mark)
    _validate(schema.Manifest, header, top, key_problems, b)


def _defaults(node: yaml.Node, builder: building.Builder) -> None:
    found: list[plain.KeyProblem] = []
    data = _data_of(node, found)
    declared, wrong = _validate(schema.Defaults, data, node, found, builder)
    if declared is None and isinstance(data, dict):
        # The fields that are right still apply (the file has an error either way): fewer
        # follow-up warnings that only the wrong field caused.
        bad = {error["loc"][:1] for error in wrong}
        declared = schema.Defaults.model_validate(
            {k: v for k, v in data.items() if (k,) not in bad and k in schema.Defaults.model_fields}
        )
    if isinstance(declared, schema.Defaults):
        prune = None if declared.prune is MISSING else declared.prune
        ignore = None if declared.ignore is MISSING else frozenset(declared.ignore)
        builder.settle(prune, ignore)
    else:
        builder.settle()


def _user(node: yaml.Node, builder: building.Builder) -> None:
    found: list[plain.KeyProblem] = []
    data = _data_of(node, found)
    user, wrong = _validate(schema.User, data, node, found, builder)
    if isinstance(user, schema.User):
        builder.user(user, node)
    else:
        builder.invalid_user(data, node, wrong, found)


def _data_of(node: yaml.Node, found: list[plain.KeyProblem], path: plain.Loc = ()) -> Any:
    return plain.to_plain(node, found, path, len(path))


def _validate(
    model: type[schema.Spec],
    data: Any,
    node: yaml.Node,
    key_problems: list[plain.KeyProblem],
    builder: building.Builder,
) -> tuple[schema.Spec | None, list[ErrorDetails]]:
    """The model of `data` (None if it has a problem), and pydantic's errors; reports them all,
    with the keys left out of the data."""
    valid: schema.Spec | None = None
    found: list[ErrorDetails] = []
    try:
        valid = model.model_validate(data)
    except ValidationError as exc:
        found = exc.errors(include_url=False, include_context=True)
        if model is schema.User:
            found = _with_identity(data, found, key_problems)
    if found or key_problems:
        builder.problems.extend(
            messages.problems(
                found, key_problems, model=model, data=data, node=node, source=builder.source
            )
        )
        return None, found
    return valid, found


def _with_identity(
    data: Any, found: list[ErrorDetails], key_problems: list[plain.KeyProblem]
) -> list[ErrorDetails]:
    """pydantic runs `User`'s identity check only once every field is valid; a user with other
    problems is told about its identity too. Not "needs 'user_id' or 'email'" when a key of the
    user was misspelt, though: its fix (`userId`) may be the identity."""
    if not isinstance(data, dict):
        return found
    error = schema.identity_error(user_id="user_id" in data, email="email" in data)
    if error is None or any(e["type"] == error.type for e in found):
        return found
    misspelt = any(p.path == () for p in key_problems) or any(
        e["type"] == "extra_forbidden" and len(e["loc"]) == 1 for e in found
    )
    if error.type == "no_identity" and misspelt:
        return found
    if error.type == "both_identities":  # neither is checked: which one is meant is not known
        found = [e for e in found if e["loc"][:1] not in (("user_id",), ("email",))]
    return [*found, {"type": error.type, "loc": (), "msg": error.message(), "input": data}]


def _is_users_key(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.value == "users"
