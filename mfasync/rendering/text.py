"""Small text helpers shared by the plan and drift renderers."""

from __future__ import annotations

import html


def plural(count: int, one: str, many: str) -> str:
    """`1 user`, `2 users`."""
    return f"{count} {one if count == 1 else many}"


def code(text: str) -> str:
    """`text` fit for a markdown inline code span."""
    return text.replace("`", "'")  # a backtick would end the inline code span


def md_text(text: str) -> str:
    """`text` fit for markdown prose: it can open no markup (tags, tables, emphasis)."""
    escaped = html.escape(text, quote=False)
    return escaped.replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")
