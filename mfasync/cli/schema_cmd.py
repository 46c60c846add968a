"""`mfasync schema`: print the JSON Schema of the manifest format (for editors and CI checks).

The same document is committed as `schema/mfasync-manifest-v1.json` (a test keeps both in sync).
It must not depend on anything but `manifests.json_schema()`.
"""

from __future__ import annotations

import json

import click

from mfasync import manifests


def render() -> str:
    """The schema as committed: two-space indent, keys in generation order, final newline."""
    return json.dumps(manifests.json_schema(), indent=2, ensure_ascii=False) + "\n"


@click.command("schema")
def command() -> None:
    """Print the JSON Schema (draft 2020-12) of manifest format version 1."""
    click.echo(render(), nl=False)
