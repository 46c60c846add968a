"""Where the CLI writes: results to stdout, progress and diagnostics to stderr.

Colour only on a terminal and never when NO_COLOR is set. Nothing here formats plans: that is
`mfasync.rendering`'s job; this module only decides where and whether text goes.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TextIO

import click


def colour_enabled(stream: TextIO) -> bool:
    """Colour is for people at a terminal: never when piped, never when NO_COLOR is set."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass
class Console:
    """The run's verbosity: -1 quiet, 0 default, 1 for -v, 2 for -vv."""

    verbosity: int = 0

    def result(self, text: str, *, nl: bool = True) -> None:
        """The command's product (a plan, a report): stdout, always."""
        click.echo(text, nl=nl)

    def info(self, text: str) -> None:
        """Progress and notes for a person: stderr, hidden by -q."""
        if self.verbosity >= 0:
            click.echo(text, err=True)

    def debug(self, text: str) -> None:
        """Detail shown with -v."""
        if self.verbosity >= 1:
            click.echo(text, err=True)

    def warn(self, text: str) -> None:
        """A warning: stderr, even with -q."""
        click.echo(text, err=True)

    @property
    def stderr_is_terminal(self) -> bool:
        return colour_enabled(sys.stderr)
