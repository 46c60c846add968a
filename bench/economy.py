"""Benchmark 3, request economy: over a mixed workload, does `mfasync apply` send the fewest
requests the planning rules allow?

The workload cycles through ten kinds of user (migrations, renames, number changes with and
without a method that rules out a PUT, removals, additions, no-ops; some no-op users have more
methods than one page holds). The minimum for each kind is derived here by hand from DESIGN.md
section 2, NOT by calling the planner, so the planner cannot grade itself:

| kind | live | desired | minimum writes |
|---|---|---|---|
| migration | nothing | phone + email | 1 PUT (instead of 2 POSTs) |
| rename | phone "SMS" | same phone "Work phone" | 1 PATCH |
| number change, PUT ruled out | old phone + recovery-code | new phone | 1 POST + 1 DELETE |
| number change | old phone | new phone | 1 PUT (instead of POST + DELETE) |
| removal | phone + email | phone | 1 DELETE (a PUT would not be fewer) |
| addition | push | phone | 1 POST (PUT would destroy the push) |
| no-op | phone | the same phone | 0 |

Reads: one paged list per user (users with 150 methods need 2 pages), counted by the emulator.
A second run drops 5% of committed writes (the client gets no answer): every dropped PUT, PATCH
or DELETE may be re-sent once, every dropped POST may cost one re-list (never a blind re-send).
After each run, a fresh `plan --detailed-exitcode` must find nothing left to do.
"""

from __future__ import annotations

import collections
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import harness, tenant
from mfasync import emulator

KINDS = (
    "migration", "migration", "rename", "rename", "number change, PUT ruled out",
    "number change", "removal", "addition", "no-op", "no-op",
)  # fmt: skip
#: Minimum writes per kind: (POST, PUT, PATCH, DELETE).
MINIMUM: dict[str, tuple[int, int, int, int]] = {
    "migration": (0, 1, 0, 0),
    "rename": (0, 0, 1, 0),
    "number change, PUT ruled out": (1, 0, 0, 1),
    "number change": (0, 1, 0, 0),
    "removal": (0, 0, 0, 1),
    "addition": (1, 0, 0, 0),
    "no-op": (0, 0, 0, 0),
}
PAGE = 100
BIG_EVERY = 20  # every 20th user (a no-op) holds 150 push methods: its list takes 2 pages
BIG_METHODS = 150
DROP_RATE = 0.05


def _phone(number: str, name: str) -> dict[str, Any]:
    return {"type": "phone", "name": name, "phone_number": number}


def _yaml_method(method: dict[str, Any]) -> str:
    lines = [f"      - type: {method['type']}"]
    lines += [f'        {key}: "{value}"' for key, value in method.items() if key != "type"]
    return "\n".join(lines) + "\n"


def build(users: int) -> tuple[list[dict[str, Any]], str, dict[str, int], int]:
    """Seed users, manifest text, minimum writes by verb, and the minimum list pages."""
    seed: list[dict[str, Any]] = []
    blocks = ["version: 1\nusers:\n"]
    writes: collections.Counter[str] = collections.Counter()
    pages = 0
    for index in range(users):
        user_id = f"auth0|mix{index:05d}"
        kind = KINDS[index % len(KINDS)]
        # Reads show only the last four digits of a number, so a changed number must differ
        # there: one that changes only in the hidden part cannot be told apart (DESIGN.md 2).
        number, old = f"+1415555{index:04d}", f"+1650555{(index + 5000) % 10000:04d}"
        email = {"type": "email", "email": f"mix{index}@example.com"}
        live: list[dict[str, Any]]
        desired: list[dict[str, Any]]
        if kind == "migration":
            live, desired = [], [_phone(number, "Mobile"), email]
        elif kind == "rename":
            live, desired = [_phone(number, "SMS")], [_phone(number, "Work phone")]
        elif kind == "number change, PUT ruled out":
            live = [_phone(old, "Mobile"), {"type": "recovery-code"}]
            desired = [_phone(number, "Mobile")]
        elif kind == "number change":
            live, desired = [_phone(old, "Mobile")], [_phone(number, "Mobile")]
        elif kind == "removal":
            live, desired = [_phone(number, "Mobile"), email], [_phone(number, "Mobile")]
        elif kind == "addition":
            live, desired = [{"type": "push", "name": "Guardian"}], [_phone(number, "Mobile")]
        else:
            live, desired = [_phone(number, "Mobile")], [_phone(number, "Mobile")]
            if index % BIG_EVERY == len(KINDS) - 1:
                live += [{"type": "push", "name": f"Device {n}"} for n in range(BIG_METHODS)]
        seed.append({"user_id": user_id, "methods": live})
        blocks.append(f'  - user_id: "{user_id}"\n    methods:\n')
        blocks += [_yaml_method(method) for method in desired]
        for verb, count in zip(("post", "put", "patch", "delete"), MINIMUM[kind], strict=True):
            writes[verb] += count
        pages += max(1, -(-len(live) // PAGE))
    return seed, "".join(blocks), dict(writes), pages


def _run(
    users: int, *, faults: emulator.Faults, folder: Path
) -> tuple[dict[str, int], dict[str, int], int, dict[str, int], int]:
    """Apply once: (counts, minimum writes, minimum pages, dropped by verb, re-plan exit code)."""
    seed, text, minimum, pages = build(users)
    manifest = folder / "mix.yaml"
    manifest.write_text(text)
    state = emulator.State(random_seed=9)
    emulator.seed_mapping(state, {"users": seed})
    with emulator.run_in_thread(emulator.Config(faults=faults), state) as emu:
        args = [str(manifest), *tenant.connection_args(emu)]
        applied = tenant.run_cli(["-q", "apply", "--yes", "--max-rps", "1000", *args])
        if applied.code != 0:
            raise RuntimeError(f"apply failed (exit {applied.code}): {applied.stderr[-400:]}")
        counts = tenant.api_counts(emu.stats)
        dropped: dict[str, int] = collections.Counter()
        for (method, _route, status), count in emu.stats.snapshot().items():
            if status == 0:
                dropped[method.lower()] += count
        emu.stats.reset()
        replan = tenant.run_cli(["-q", "plan", "--detailed-exitcode", *args])
    return counts, minimum, pages, dict(dropped), replan.code


def _rows(
    case: str, users: int, run: Callable[[], tuple[Any, ...]], *, faulty: bool
) -> list[harness.Row]:
    counts, minimum, pages, dropped, replan_code = run()
    sent = {verb: counts[verb] for verb in ("post", "put", "patch", "delete")}
    writes, floor = sum(sent.values()), sum(minimum.values())
    resent = dropped.get("put", 0) + dropped.get("patch", 0) + dropped.get("delete", 0)
    allowed_writes = floor + (resent if faulty else 0)
    allowed_reads = pages + (dropped.get("post", 0) if faulty else 0)
    detail = ", ".join(f"{verb.upper()} {sent[verb]}/{minimum.get(verb, 0)}" for verb in sent)
    converged = replan_code == 0
    write_note = (
        f"sent/minimum by verb: {detail}; a re-plan afterwards finds no changes: {converged}"
    )
    read_note = f"{counts['list']} list pages for {users} users ({pages} needed)"
    if faulty:
        dropped_text = ", ".join(f"{v.upper()} {n}" for v, n in sorted(dropped.items())) or "none"
        write_note += f"; writes dropped after commit: {dropped_text}"
        read_note += f"; {dropped.get('post', 0)} dropped POSTs allow as many re-lists"
    return [
        harness.Row(
            "economy",
            case,
            "writes / minimum",
            f"{writes / allowed_writes:.2f} ({writes}/{allowed_writes})",
            "1.00",
            writes == allowed_writes and converged,
            write_note,
        ),
        harness.Row(
            "economy",
            case,
            "reads / minimum",
            f"{counts['list'] / allowed_reads:.2f} ({counts['list']}/{allowed_reads})",
            "1.00" if not faulty else "<= 1.00",
            (counts["list"] == allowed_reads if not faulty else counts["list"] <= allowed_reads)
            and counts["other"] == 0,
            read_note,
        ),
    ]


def run(*, quick: bool) -> list[harness.Row]:
    users = 200 if quick else 1000
    rows: list[harness.Row] = []
    with tempfile.TemporaryDirectory() as folder:
        harness.say(f"economy: mixed workload, {users} users")
        rows += _rows(
            f"{users} users, mixed",
            users,
            lambda: _run(users, faults=emulator.Faults(), folder=Path(folder)),
            faulty=False,
        )
        harness.say(f"economy: mixed workload, {users} users, {DROP_RATE:.0%} of writes dropped")
        rows += _rows(
            f"{users} users, {DROP_RATE:.0%} writes dropped",
            users,
            lambda: _run(
                users, faults=emulator.Faults(drop_rate=DROP_RATE, seed=4), folder=Path(folder)
            ),
            faulty=True,
        )
    return rows
