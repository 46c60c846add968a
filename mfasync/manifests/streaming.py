"""Compose YAML nodes one at a time from the parser's events, instead of a whole-document tree.

`yaml.compose` builds the node tree of the whole document before anything reads it: for a
100,000-user file that is millions of nodes (each with two marks) alive at once, and the garbage
collector walks them again and again while they are built. `NodeReader` reads the same events (the
C parser when available) and composes one node when asked, so the parser can read a large list one
item at a time and drop each item's nodes once it has been checked. The nodes, tags, marks and
composer errors are the ones `yaml.compose` gives with the C loader (same messages and positions).

What it must not do: know anything about manifests (keys, users, methods), or construct Python
values from nodes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar, cast

import yaml

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Collection = TypeVar("_Collection", yaml.MappingNode, yaml.SequenceNode)


class _Events(Protocol):
    """The loader's event interface. Events are `Any`: the stubs leave these methods untyped and
    type the C loader's marks apart from the marks that nodes take (they are interchangeable)."""

    def get_event(self) -> Any: ...
    def peek_event(self) -> Any: ...
    def resolve(self, kind: type[yaml.Node], value: str | None, implicit: Any) -> str: ...
    def dispose(self) -> None: ...


def _is(event: Any, kind: type[yaml.Event]) -> bool:
    return isinstance(event, kind)  # a helper, so that `event` stays Any (see _Events)


class NodeReader:
    """One YAML stream (a single document), read as nodes on demand.

    Usage: `start()`; then `node()` for the whole root, or `mapping_start()` and `pairs()` to
    read the root's pairs one by one, with `items()` for a long list value; `finish()` last.
    Syntax errors are raised as `yaml.MarkedYAMLError` (or `yaml.YAMLError` for unreadable
    characters), like `yaml.compose`.
    """

    def __init__(self, text: str) -> None:
        self._loader = cast(_Events, _Loader(text))
        self._anchors: dict[str, yaml.Node] = {}
        self._root: yaml.Node | None = None

    def close(self) -> None:
        self._loader.dispose()

    def start(self) -> bool:
        """Read up to the root node; False when the stream holds no document at all."""
        self._loader.get_event()  # StreamStartEvent
        if _is(self._loader.peek_event(), yaml.StreamEndEvent):
            return False
        self._loader.get_event()  # DocumentStartEvent
        return True

    def finish(self) -> None:
        """Read the end of the document and of the stream: a second document is an error."""
        self._loader.get_event()  # DocumentEndEvent
        event = self._loader.get_event()
        if not _is(event, yaml.StreamEndEvent):
            start = self._root.start_mark if self._root is not None else None
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                start,
                "but found another document",
                event.start_mark,
            )

    # -- collections read piece by piece ---------------------------------------------------------

    def mapping_start(self) -> yaml.MappingNode | None:
        """Open the mapping that comes next: a node with no pairs yet (None if it is no mapping)."""
        return self._open(yaml.MappingStartEvent, yaml.MappingNode)

    def sequence_start(self) -> yaml.SequenceNode | None:
        """Open the sequence that comes next (None if it is no sequence); see `items`."""
        return self._open(yaml.SequenceStartEvent, yaml.SequenceNode)

    def _open(self, start: type[yaml.Event], kind: type[_Collection]) -> _Collection | None:
        event = self._loader.peek_event()
        if not _is(event, start):
            return None
        self._check_anchor(event)
        self._loader.get_event()
        tag = event.tag
        if tag is None or tag == "!":
            tag = self._loader.resolve(kind, None, event.implicit)
        node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
        self._opened(node, event.anchor)
        return node

    def pairs(
        self, mapping: yaml.MappingNode, *, opened: Callable[[yaml.Node], bool]
    ) -> Iterator[tuple[yaml.Node, yaml.Node]]:
        """The pairs of an opened mapping, each composed when reached; the mapping is ended after.

        A value whose key is `opened` and that is a sequence comes as an opened sequence: read its
        `items()` before the next pair (what is left unread is read and dropped). An anchored
        mapping is composed whole first, as `yaml.compose` would, since an alias to it inside
        itself must see all its pairs (never the case in a real manifest).
        """
        if self.kept(mapping):
            self._fill(mapping)
            yield from list(mapping.value)
            return
        while not self.at_end():
            key = self.node()
            value = self.sequence_start() if opened(key) else None
            if value is None:
                yield key, self.node()
                continue
            if self.kept(value):  # an alias inside it must see every item: compose it whole
                self._fill(value)
            yield key, value
            if value.end_mark is None:
                for _ in self.items(value):
                    pass
        self.end(mapping)

    def items(self, sequence: yaml.SequenceNode) -> Iterator[yaml.Node]:
        """Each item of an opened sequence, composed when reached; the sequence is ended after.

        A sequence that is complete already (composed whole) gives its items.
        """
        if sequence.end_mark is not None:
            yield from list(sequence.value)
            return
        while not self.at_end():
            yield self.node()
        self.end(sequence)

    def at_end(self) -> bool:
        return isinstance(self._loader.peek_event(), yaml.CollectionEndEvent)

    def end(self, node: yaml.Node) -> None:
        node.end_mark = self._loader.get_event().end_mark

    def kept(self, node: yaml.Node) -> bool:
        """Whether a collection is anchored: its entries must then be kept in it."""
        return any(anchored is node for anchored in self._anchors.values())

    # -- whole nodes ----------------------------------------------------------------------------

    def node(self) -> yaml.Node:
        """The next node, composed whole (aliases resolved to the anchored node)."""
        loader = self._loader
        event = loader.peek_event()
        if _is(event, yaml.AliasEvent):
            loader.get_event()
            anchored = self._anchors.get(event.anchor)
            if anchored is None:
                raise yaml.composer.ComposerError(
                    None, None, "found undefined alias", event.start_mark
                )
            return anchored
        if _is(event, yaml.ScalarEvent):
            # The calls for anchors are made only for anchored scalars: most scalars of a large
            # file come through here, and the calls cost more than the rest of it.
            anchor = event.anchor
            if anchor is not None:
                self._check_anchor(event)
            loader.get_event()
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            scalar = yaml.ScalarNode(
                tag, event.value, event.start_mark, event.end_mark, style=event.style
            )
            if anchor is not None or self._root is None:
                self._opened(scalar, anchor)
            return scalar
        collection: yaml.CollectionNode | None = self.mapping_start()
        if collection is None:
            collection = self.sequence_start()
        if collection is None:  # the parser gives no other event here; guard the assumption
            raise yaml.composer.ComposerError(
                None, None, f"unexpected {type(event).__name__}", event.start_mark
            )
        self._fill(collection)
        return collection

    def _fill(self, collection: yaml.Node) -> None:
        """Compose the rest of an opened mapping or sequence into it, and end it."""
        if isinstance(collection, yaml.MappingNode):
            while not self.at_end():
                key = self.node()
                collection.value.append((key, self.node()))
        else:
            while not self.at_end():
                collection.value.append(self.node())
        self.end(collection)

    def _check_anchor(self, event: Any) -> None:
        anchor = event.anchor
        if anchor is not None and anchor in self._anchors:
            raise yaml.composer.ComposerError(
                "found duplicate anchor; first occurrence",
                self._anchors[anchor].start_mark,
                "second occurrence",
                event.start_mark,
            )

    def _opened(self, node: yaml.Node, anchor: str | None) -> None:
        if self._root is None:
            self._root = node
        if anchor is not None:
            self._anchors[anchor] = node
