"""Text, markdown and JSON renderings: snapshots, the DESIGN.md example, and no leaks.

Snapshots live in tests/planning/snapshots/; run with UPDATE_SNAPSHOTS=1 to rewrite them after an
intended change (and review the diff).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mfasync import plans, rendering
from tests.planning import sample

SNAPSHOTS = Path(__file__).parent / "snapshots"


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text


def test_text_rendering_is_the_design_example() -> None:
    assert rendering.render_text(sample.design_plan()) == (
        "auth0|alice\n"
        '  + totp "Authenticator"\n'
        '  ~ phone "Work phone" (...0123)  name: "SMS" -> "Work phone"\n'
        '  - phone "Old phone" (...9999)\n'
        "auth0|bob\n"
        '  ! replace all (PUT): + phone (...4567), + totp "Authenticator"\n'
        "Plan: 3 to create, 1 to update, 1 to delete, 1 full replace. "
        "41 users unchanged, 0 errors.\n"
    )


def test_text_rendering_matches_snapshot() -> None:
    check_snapshot("plan.txt", rendering.render_text(sample.design_plan(with_errors=True)))


def test_markdown_rendering_matches_snapshot() -> None:
    check_snapshot("plan.md", rendering.render_markdown(sample.design_plan(with_errors=True)))


def test_json_rendering_matches_snapshot() -> None:
    plan = sample.design_plan(with_errors=True, unchanged=2)
    check_snapshot("plan.json", rendering.render_json(plan))


def test_colour_uses_ansi_codes_only_when_asked() -> None:
    plan = sample.design_plan()
    plain = rendering.render_text(plan)
    coloured = rendering.render_text(plan, colour=True)
    assert "\x1b[" not in plain
    assert '\x1b[32m+ totp "Authenticator"\x1b[0m' in coloured
    assert "\x1b[31m- phone" in coloured


def test_empty_plan_says_there_is_nothing_to_do() -> None:
    plan = sample.design_plan(unchanged=3)
    unchanged_only = plans.Plan(users=tuple(u for u in plan.users if not u.changed))
    assert rendering.render_text(unchanged_only) == (
        "Plan: 0 to create, 0 to update, 0 to delete, 0 full replaces. "
        "3 users unchanged, 0 errors.\n"
    )
    assert "No changes" in rendering.render_markdown(unchanged_only)


@pytest.mark.parametrize(
    "render", [rendering.render_text, rendering.render_markdown, rendering.render_json]
)
def test_no_full_phone_number_secret_or_clear_email_reaches_any_rendering(render: object) -> None:
    assert callable(render)
    text = render(sample.design_plan(with_errors=True))
    assert isinstance(text, str)
    leaked = [value for value in (*sample.SECRETS, *sample.FULL_VALUES) if value in text]
    assert leaked == []
    assert "...4567" in text  # the redaction is there instead
