"""Benchmark 7, start-up (issue 11): `python -m bench.run startup [--quick]`.

Every pre-commit run of `mfasync validate` pays the interpreter's start-up plus mfasync's imports,
so this measures whole processes, as a shell runs them: `python -c pass` (the floor), `mfasync
--version`, `mfasync --help`, `mfasync validate` of a 10-user manifest and, for context, of a
1,000-user one. The commands run interleaved (one of each per round, in a fresh random order
each round) for N rounds, so that the load of a shared machine falls on all of them alike; each
figure is a median. The figure that counts is the median over `python -c pass`'s median.
Targets: `--help` <= 0.25 s over it, the 10-user `validate` <= 0.35 s over it.

The manifests are what a team writes by hand: phones of several countries (phonenumbers loads
each country's metadata on first use), email factors, totp seeds by `${env:...}` and
`${file:...#key}` reference, a security key, users declared by `email:`, a pinned method; and,
for context, 10 users as `mfasync export` writes them (pinned methods only: no number to check).
The console script beside this interpreter is what runs (`python -m mfasync` without one).

`python -m bench.startup --before DIR` also runs every mfasync command from DIR, an older
checkout (`git worktree add DIR main`), in the same rounds: before and after side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import harness

ROUNDS, QUICK_ROUNDS = 15, 7
HELP_TARGET_S = 0.25
VALIDATE_TARGET_S = 0.35
SMALL_USERS, LARGE_USERS = 10, 1_000

_PHONES = ("+14155550142", "+442079460123", "+33199001234", "+4930901820", "+61491570156")


def _user(i: int) -> list[str]:
    """One hand-written user block; every fifth is declared by email, the others by id."""
    kind = i % 5
    head = (
        f"  - email: person{i}@corp.example"
        if kind == 4
        else f'  - user_id: "auth0|64f1c0ffee{i:014x}"'
    )
    lines = [head, "    methods:"]
    lines += [
        "      - type: phone",
        "        name: Work phone",
        f'        phone_number: "{_PHONES[i % len(_PHONES)]}"',
    ]
    if kind in (0, 1, 4):
        lines += [
            "      - type: totp",
            "        name: Authenticator",
            f"        totp_secret: ${{file:secrets/seeds.json#u{i}}}"
            if kind != 1
            else f"        totp_secret: ${{env:MFASYNC_TOTP_U{i}}}",
        ]
    if kind in (2, 4):
        lines += ["      - type: email", f"        email: person{i}@corp.example"]
    if kind == 3:
        lines += [
            "      - type: webauthn-roaming",
            "        name: YubiKey 5C",
            "        key_id: P7ScL_LFChgpQOSThVlcrg",
            '        public_key: "pQECAyZx7di5Nnh4H7V3OJ/wy9JT0X0nNL2Wk5YezGYaDiiosC1xFkK3JrBEAW"',
            "        relying_party_identifier: login.example.com",
            "      - type: phone",
            f'        id: "phone|dev_{i:016x}"',
            "        name: Mobile",
        ]
    return lines


def write_manifest(folder: Path, users: int) -> Path:
    """A `users`-user manifest and the seeds file its `${file:...}` references name."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "secrets").mkdir(exist_ok=True)
    seeds = {f"u{i}": "JBSWY3DPEHPK3PXP" for i in range(users)}
    (folder / "secrets" / "seeds.json").write_text(json.dumps(seeds))
    lines = ["version: 1", "defaults:", "  prune: managed", "users:"]
    for i in range(users):
        lines += _user(i)
    path = folder / f"users-{users}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_exported(folder: Path, users: int) -> Path:
    """A manifest as `mfasync export` writes it: users by id, pinned methods (no number, no
    address to check)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["version: 1", "users:"]
    for i in range(users):
        lines += [
            f'  - user_id: "auth0|64f1c0ffee{i:014x}"',
            "    methods:",
            "      - type: phone",
            f'        id: "phone|dev_{i:016x}"',
            "        name: Mobile",
            "      - type: totp",
            f'        id: "totp|dev_{i:016x}"',
        ]
    path = folder / f"exported-{users}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def mfasync_command() -> list[str]:
    script = Path(sys.executable).with_name("mfasync")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mfasync"]


def tree_command(tree: Path, base_env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """`mfasync` as the console script runs it, but from the source tree `tree` (a checkout)."""
    env = dict(base_env, PYTHONPATH=str(tree))
    # -P: not the working directory first on sys.path (a checkout there would win over `tree`)
    return [sys.executable, "-P", "-c", "from mfasync.cli.main import main; main()"], env


Command = tuple[list[str], dict[str, str]]


def _once(command: Command) -> tuple[float, int]:
    argv, env = command
    start = time.perf_counter()
    done = subprocess.run(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        harness.say(f"startup: {' '.join(argv)}: exit {done.returncode}: {done.stderr[-300:]}")
    return seconds, done.returncode


def measure(
    commands: dict[str, Command], rounds: int
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Each command once per round, in a shuffled order; (timings by name, worst exit code)."""
    timings: dict[str, list[float]] = {name: [] for name in commands}
    codes: dict[str, int] = dict.fromkeys(commands, 0)
    order = list(commands)
    shuffle = random.Random(11)
    for name in order:  # one warm-up each: the page cache and .pyc files, not measured
        _once(commands[name])
    for _ in range(rounds):
        shuffle.shuffle(order)
        for name in order:
            seconds, code = _once(commands[name])
            timings[name].append(seconds)
            codes[name] = codes[name] or code
    return timings, codes


def run(*, quick: bool, before: Path | None = None) -> list[harness.Row]:
    """The rows of one interleaved run. With `before` (a checkout of an older tree), each mfasync
    command also runs from it, and both trees run through the same `python -c` launcher."""
    rounds = QUICK_ROUNDS if quick else ROUNDS
    env = dict(os.environ, NO_COLOR="1")
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    trees: dict[str, Command] = {"": (mfasync_command(), env)}
    if before is not None:
        here = Path(__file__).resolve().parent.parent
        trees = {"": tree_command(here, env), "before: ": tree_command(before.resolve(), env)}
    with tempfile.TemporaryDirectory(prefix="mfasync-bench-startup-") as name:
        folder = Path(name)
        small = write_manifest(folder / "small", SMALL_USERS)
        large = write_manifest(folder / "large", LARGE_USERS)
        exported = write_exported(folder / "exported", SMALL_USERS)
        commands: dict[str, Command] = {"python -c pass": ([sys.executable, "-c", "pass"], env)}
        for prefix, (mfasync, tree_env) in trees.items():
            for label, args in (
                ("mfasync --version", ["--version"]),
                ("mfasync --help", ["--help"]),
                (f"mfasync validate ({SMALL_USERS} users)", ["validate", str(small)]),
                (f"mfasync validate ({LARGE_USERS:,} users)", ["validate", str(large)]),
                (
                    f"mfasync validate ({SMALL_USERS} users, pinned, as export writes)",
                    ["validate", str(exported)],
                ),
            ):
                commands[prefix + label] = ([*mfasync, *args], tree_env)
        harness.say(f"startup: {len(commands)} commands, {rounds} rounds, interleaved")
        timings, codes = measure(commands, rounds)
    load = os.getloadavg()[0]
    floor = statistics.median(timings["python -c pass"])
    targets = {
        "mfasync --help": HELP_TARGET_S,
        f"mfasync validate ({SMALL_USERS} users)": VALIDATE_TARGET_S,
    }
    rows: list[harness.Row] = []
    for label, seconds in timings.items():
        median = statistics.median(seconds)
        note = (
            f"median of {rounds} interleaved runs (min {min(seconds):.3f} s, max "
            f"{max(seconds):.3f} s), exit {codes[label]}, load average {load:.2f}"
        )
        if label == "python -c pass":
            # without .pyc files (an editable install under PYTHONDONTWRITEBYTECODE, as on the
            # project's machines) every run compiles mfasync's modules: about 15 ms of validate
            if env.get("PYTHONDONTWRITEBYTECODE"):
                note += ", PYTHONDONTWRITEBYTECODE set: .pyc files are not written"
            rows.append(harness.Row("startup", label, "wall", f"{median:.3f} s", note=note))
            continue
        over = median - floor
        # targets hold for this tree; the older tree's figures are context
        target = targets.get(label)
        met = None if target is None else codes[label] == 0 and over <= target
        if codes[label] != 0:
            met = False
        rows.append(
            harness.Row(
                "startup",
                label,
                "over python -c pass (own wall)",
                f"{over:.3f} s ({median:.3f} s)",
                "" if target is None else f"<= {target:.2f} s",
                met,
                note,
            )
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds")
    parser.add_argument(
        "--before", type=Path, help="also run each mfasync command from this older checkout"
    )
    args = parser.parse_args()
    rows = run(quick=args.quick, before=args.before)
    print(harness.table(rows))
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
