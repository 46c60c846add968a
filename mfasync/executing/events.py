"""Progress events: what the pipeline tells its caller as each user finishes.

Plain frozen values handed to an `on_event` callback; the CLI turns them into a progress display.
Nothing here prints, and an event never carries a secret or a full phone number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Phase(StrEnum):
    PLAN = "plan"  # the user's live methods were read and planned
    APPLY = "apply"  # the user's actions were carried out (or failed, or were stale)


@dataclass(frozen=True, slots=True)
class UserEvent:
    """One user finished a phase. `status` is the plan's or the outcome's status word."""

    phase: Phase
    key: str
    status: str  # plan: "unchanged" | "changed" | "error"; apply: an outcome's status
    message: str | None = None


EventSink = Callable[[UserEvent], None]


def emit(sink: EventSink | None, event: UserEvent) -> None:
    if sink is not None:
        sink(event)
