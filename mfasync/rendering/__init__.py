"""Renderers, one home for every output format: pure functions from a value to a string.

- `plan`: a plan as text (Terraform-like), markdown and JSON;
- `drift`: a drift report as text, markdown, JSON and JUnit XML;
- `state`: the state's records, runs and journal as text and JSON (`mfasync state ...`);
- `text`: the small helpers they share.

The plan renderers are re-exported here (`rendering.render_text(plan)`); drift's are
`rendering.drift.render_text(report)`, the state's `rendering.state.list_text(...)` and so
on. No I/O, no clock, no terminal detection.
"""

from mfasync.rendering import drift, state
from mfasync.rendering.plan import (
    action_line,
    render_json,
    render_markdown,
    render_text,
    summary_line,
)

__all__ = [
    "action_line",
    "drift",
    "render_json",
    "render_markdown",
    "render_text",
    "state",
    "summary_line",
]
