"""YAML nodes to the plain data the format models validate, and from a location back to its node.

A node becomes plain data: a mapping a dict, a sequence a list, a scalar the text as written
(`+14155550123`, `yes` and `1` stay strings) or None for an empty value. A key that is no name
(empty, a list) or that comes twice is left out of the data and returned as a `KeyProblem`, for
`messages` to word. The node is kept beside its data: `locate` walks it along a pydantic error
location to the node whose line:column the problem gets, so positions cost nothing until a
problem needs one.

What it must not do: know the format (keys, models, wording) or resolve anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

NULL_TAG = "tag:yaml.org,2002:null"
# The format nests three collections under a user (methods, a method, nothing in it): deeper
# collections are only ever refused for being a collection, so they become empty ones of the same
# kind. This also bounds the work of aliases that repeat a large anchored node again and again.
MAX_DEPTH = 3

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class KeyProblem:
    """A key left out of a mapping's data: `key` is None when it is no name, else a repeat."""

    path: Loc  # the mapping's location
    key: str | None
    node: yaml.Node  # the key node


def name_of(key: yaml.Node) -> str | None:
    """A key's name: the text of a scalar that is not empty; None for any other key."""
    if isinstance(key, yaml.ScalarNode) and key.tag != NULL_TAG:
        return str(key.value)
    return None


def to_plain(node: yaml.Node, problems: list[KeyProblem], path: Loc = (), depth: int = 0) -> Any:
    """The plain data of `node`; keys left out are appended to `problems`."""
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == NULL_TAG else node.value
    if isinstance(node, yaml.SequenceNode):
        if depth >= MAX_DEPTH:
            return []
        return [
            item.value
            if isinstance(item, yaml.ScalarNode) and item.tag != NULL_TAG
            else to_plain(item, problems, (*path, index), depth + 1)
            for index, item in enumerate(node.value)
        ]
    if depth >= MAX_DEPTH:
        return {}
    data: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = name_of(key_node)
        if key is None or key in data:
            problems.append(KeyProblem(path, key, key_node))
        elif isinstance(value_node, yaml.ScalarNode) and value_node.tag != NULL_TAG:
            data[key] = value_node.value  # the common case, without a call
        else:
            data[key] = to_plain(value_node, problems, (*path, key), depth + 1)
    return data


def locate(node: yaml.Node, loc: Sequence[str | int], *, key: bool = False) -> yaml.Node:
    """The node at `loc` under `node` (with `key`, the key node of its last part).

    A key given twice is found at its first occurrence, as the data holds it; a location that
    leaves the nodes (it cannot, for errors about this data) stops at the last node reached.
    """
    for index, part in enumerate(loc):
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return node
            node = node.value[part]
        elif isinstance(node, yaml.MappingNode) and isinstance(part, str):
            pair = next(((k, v) for k, v in node.value if name_of(k) == part), None)
            if pair is None:
                return node
            node = pair[0] if key and index == len(loc) - 1 else pair[1]
        else:
            return node
    return node
