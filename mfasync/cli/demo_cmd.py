"""`mfasync demo`: the whole story against an in-process emulator, in a temporary folder.

A legacy tenant (bundled seed: users with push factors, one with a passkey) runs in an emulator
thread. The demo imports a bundled legacy CSV, validates, plans, applies, shows that drift finds the
tenant in sync, then removes one factor behind mfasync's back and shows the drift (exit code 2, as
expected). Every step is printed as the command a user would type, and runs that very command
in-process through the `mfasync` group, so the demo goes through the real code paths. Exit 0 when
every step behaved as expected, 1 otherwise.

What it must not do: talk to any server but its own emulator (the AUTH0_* variables are pointed at
it for the run and restored afterwards; a real AUTH0_ACCESS_TOKEN is hidden from the steps), or
print a secret or a full phone number (the TOTP seeds live in the imported secrets file only).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.resources
import os
import shlex
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import click

from mfasync import emulator, errors, settings
from mfasync.cli import config_file, output, stateful

SEED_FILE = "demo-seed.yaml"
LEGACY_FILE = "demo-legacy.csv"
OUT_OF_BAND_USER = "auth0|alice"
OUT_OF_BAND_TYPE = "totp"


@dataclasses.dataclass(frozen=True, slots=True)
class Step:
    """One command of the story, the exit code it should give, and what to say about it."""

    args: tuple[str, ...]
    expected: int
    intro: str
    outro: str = ""


STORY_BEFORE: tuple[Step, ...] = (
    Step(
        ("import", "csv", "legacy/users.csv", "--out", "manifests"),
        0,
        "1. Turn the legacy provider's export into manifests (TOTP seeds go to a 0600 file).",
    ),
    Step(("validate", "manifests"), 0, "2. Check the manifests without calling the API."),
    Step(
        ("plan", "manifests", "--detailed-exitcode"),
        2,
        "3. Compare with the tenant: what would apply change?",
        "Exit code 2 means 'changes present', as expected before the first apply.",
    ),
    Step(
        ("apply", "manifests", "--yes"),
        0,
        "4. Apply: creates (or one PUT where it saves requests); push and passkeys stay.",
    ),
    Step(
        ("drift", "manifests"),
        0,
        "5. Check for drift: the tenant now matches the manifests.",
    ),
)

STORY_AFTER: tuple[Step, ...] = (
    Step(
        ("drift", "manifests"),
        2,
        "7. Check for drift again: the removed factor is reported as missing.",
        "Exit code 2 means 'drift found', as expected: `mfasync apply manifests` would restore it.",
    ),
)


def _data_text(name: str) -> bytes:
    return importlib.resources.files("mfasync").joinpath("data", name).read_bytes()


@contextlib.contextmanager
def _pointed_at(emu: emulator.Emulator) -> Iterator[None]:
    """AUTH0_* variables pointing at the emulator for the steps, restored afterwards."""
    wanted: Mapping[str, str | None] = {
        settings.ENV_DOMAIN: emu.url,
        settings.ENV_CLIENT_ID: emu.client_id,
        settings.ENV_CLIENT_SECRET: emu.client_secret,
        settings.ENV_ACCESS_TOKEN: None,  # a real tenant's token must not reach the steps
        # the demo's own state, in its folder: never a real tenant's (say a team's PostgreSQL)
        stateful.ENV_STATE: stateful.DEMO_STATE,
        # nor a config file's settings: the steps run in the demo's folder, on the emulator
        config_file.ENV_CONFIG: None,
    }
    saved = {name: os.environ.get(name) for name in wanted}
    try:
        for name, value in wanted.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, previous in saved.items():
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous


@contextlib.contextmanager
def _workdir(chosen: Path | None) -> Iterator[Path]:
    if chosen is not None:
        chosen.mkdir(parents=True, exist_ok=True)
        yield chosen.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="mfasync-demo-") as name:
        yield Path(name)


def invoke(root: click.Command, args: Sequence[str]) -> int:
    """Run `mfasync ARGS` in-process, behind the same error boundary as the real command."""
    try:
        code = root.main(args=list(args), prog_name="mfasync", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except errors.ManifestError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        return 1
    except errors.MfasyncError as exc:
        click.echo(f"Error: {exc}", err=True)
        return 1
    return code if isinstance(code, int) else 0


def _run(console: output.Console, root: click.Command, step: Step) -> bool:
    console.result("")
    console.result(click.style(step.intro, bold=True))
    console.result(click.style(f"$ mfasync {shlex.join(step.args)}", fg="cyan"))
    code = invoke(root, step.args)
    if code != step.expected:
        console.warn(
            click.style(
                f"Unexpected: exit code {code}, expected {step.expected}. The demo stops here.",
                fg="red",
            )
        )
        return False
    if step.outro:
        console.result(step.outro)
    return True


def _remove_out_of_band(console: output.Console, emu: emulator.Emulator) -> bool:
    console.result("")
    console.result(
        click.style(
            f"6. Meanwhile, someone removes {OUT_OF_BAND_USER}'s authenticator app directly "
            "in the tenant (not through mfasync).",
            bold=True,
        )
    )
    found = [m for m in emu.state.methods_of(OUT_OF_BAND_USER) if m["type"] == OUT_OF_BAND_TYPE]
    if not found:
        console.warn(f"Unexpected: {OUT_OF_BAND_USER} has no {OUT_OF_BAND_TYPE} method to remove.")
        return False
    method_id = str(found[0]["id"])
    emu.state.remove_method(OUT_OF_BAND_USER, method_id)
    console.result(f"(removed {method_id} through the emulator)")
    return True


def _story(console: output.Console, root: click.Command, emu: emulator.Emulator) -> bool:
    if not all(_run(console, root, step) for step in STORY_BEFORE):
        return False
    if not _remove_out_of_band(console, emu):
        return False
    return all(_run(console, root, step) for step in STORY_AFTER)


@click.command("demo")
@click.option(
    "--dir",
    "work_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Work in this folder and keep it (default: a temporary folder, removed at the end).",
)
@click.pass_context
def command(ctx: click.Context, work_dir: Path | None) -> None:
    """Run the whole story (import, validate, plan, apply, drift) against a local emulator."""
    console: output.Console = ctx.obj if isinstance(ctx.obj, output.Console) else output.Console()
    root = ctx.find_root().command
    tenant = emulator.State(random_seed=0)
    with importlib.resources.as_file(
        importlib.resources.files("mfasync").joinpath("data", SEED_FILE)
    ) as seed_path:
        emulator.load_seed_file(seed_path, tenant=tenant)
    with (
        _workdir(work_dir) as folder,
        emulator.run_in_thread(emulator.Config(), tenant) as emu,
        _pointed_at(emu),
        contextlib.chdir(folder),
    ):
        legacy = Path("legacy")
        legacy.mkdir(exist_ok=True)
        (legacy / "users.csv").write_bytes(_data_text(LEGACY_FILE))
        console.result(
            click.style("mfasync demo", bold=True)
            + f": a legacy tenant of {len(tenant.user_ids())} users runs in a local emulator at "
            f"{emu.url}."
        )
        kept = "kept" if work_dir is not None else "removed at the end; --dir DIR keeps it"
        console.result(f"Working in {folder} ({kept}), with the legacy export in legacy/users.csv.")
        console.result(
            f"The steps run with AUTH0_DOMAIN={emu.url}, AUTH0_CLIENT_ID={emu.client_id} and "
            "AUTH0_CLIENT_SECRET set to the emulator's own credentials."
        )
        ok = _story(console, root, emu)
    console.result("")
    if ok:
        console.result(click.style("The demo went as expected.", fg="green", bold=True))
        ctx.exit(0)
    console.warn(click.style("The demo did not go as expected (see above).", fg="red"))
    ctx.exit(1)
