"""`mfasync export --out DIR (--user ID ... | --users-file FILE)`: live methods to manifests.

Each managed live method is written as a pinned method (`type` + `id` + `name`): "keep this one as
it is". A plan against the same tenant therefore shows no change. Reads mask phone numbers and
emails, so a value is never written as if it were real: the manifest holds ids only, and a comment
lists the redacted displays and the unmanaged types (push, passkey...), which are never written
as methods. Manifests go to `DIR/export-NNNN.yaml` through `manifests.dump_users`, are checked to
load, and stale `export-NNNN.yaml` files of an earlier, larger export are removed. Exit 1 when a
user could not be read (the others are still written). It reads only (a `readonly` backend) and
must not write a secret, a full phone number or a clear email anywhere.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
from collections.abc import Sequence
from pathlib import Path

import click

from mfasync import errors, executing, manifests, models, plans, settings
from mfasync.cli import options, output, readonly, runs

DEFAULT_USERS_PER_FILE = 1000
NAME_MAX_CHARS = 20  # the API's limit, and the manifest format's
_EXPORT_NAME = re.compile(r"export-\d{4,}\.yaml")
_COMMENT = re.compile(r"(?:^|\s)#.*$")  # a whole-line or trailing comment; ids may hold '#'


@dataclasses.dataclass(frozen=True, slots=True)
class Exported:
    """One user as read: the desired user to write, what the comment says, or the read error."""

    user_id: str
    user: models.DesiredUser | None = None
    notes: tuple[str, ...] = ()
    error: str | None = None


def read_user_ids(path: Path) -> tuple[str, ...]:
    """`--users-file`: one user id per line; blank lines and `#` comments are skipped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise errors.UsageError(f"cannot read {path}: {reason}") from exc
    ids = []
    for line in text.splitlines():
        content = _COMMENT.sub("", line).strip()
        if content:
            ids.append(content)
    return tuple(ids)


def _pinnable(method: models.LiveMethod) -> bool:
    prefix, bar, rest = method.id.partition("|")
    return bool(bar and rest.strip()) and models.TYPE_ALIASES.get(prefix, prefix) == method.type


def _name(name: str | None) -> str | None:
    # a name the manifest format would refuse is left out: the pin keeps the live one unchanged
    return name if name is not None and 1 <= len(name) <= NAME_MAX_CHARS else None


def describe(user_id: str, live: Sequence[models.LiveMethod]) -> Exported:
    """The pinned manifest entry of one user's live methods, and the comment lines about it."""
    ordered = sorted(live, key=lambda method: (method.type, method.id))
    pinned: list[models.DesiredMethod] = []
    notes: list[str] = []
    unmanaged: list[str] = []
    unpinnable = False
    for method in ordered:
        shown = plans.live_display(method)
        if not method.managed:
            unmanaged.append(method.type)
            continue
        if not _pinnable(method):
            unpinnable = True
            notes.append(f"  {method.type} {shown} has an unusual id: kept, not written".rstrip())
            continue
        pinned.append(
            models.DesiredMethod(
                type=models.MethodType(method.type), id=method.id, name=_name(method.name)
            )
        )
        if shown:
            notes.append(f"  {method.id} {shown}")
    if unmanaged:
        notes.append(f"  not managed, left as they are: {', '.join(sorted(set(unmanaged)))}")
    # a method that cannot be pinned must not be pruned: keep what the manifest does not list
    prune = models.Prune.NONE if unpinnable else models.Prune.MANAGED
    user = models.DesiredUser(user_id=user_id, prune=prune, methods=tuple(pinned))
    return Exported(user_id=user_id, user=user, notes=tuple(notes))


async def read_users(
    user_ids: Sequence[str],
    *,
    backend: executing.ReadBackend,
    run: settings.RunSettings,
    governor: executing.RateGovernor | None = None,
) -> tuple[Exported, ...]:
    """List every user's live methods (bounded concurrency, retried), sorted by user id."""
    retrier = executing.Retrier(run.retry, governor=governor)
    results: list[Exported] = []

    async def work(user_id: str) -> None:
        try:
            live = await retrier.call(lambda: backend.list_methods(user_id))
        except errors.MfasyncError as exc:
            results.append(Exported(user_id=user_id, error=str(exc)))
            return
        results.append(describe(user_id, live))

    await executing.run_bounded(user_ids, work, concurrency=run.rate.concurrency)
    return tuple(sorted(results, key=lambda item: item.user_id))


def comment_for(chunk: Sequence[Exported]) -> str:
    lines = [
        "Written by `mfasync export` from the live tenant: every managed method is pinned by id.",
        "Reads mask values, so none is written; the redacted displays below are for reading only.",
    ]
    for item in chunk:
        if item.notes:
            lines.append(f"{item.user_id}:")
            lines.extend(item.notes)
    return "\n".join(lines)


def write(
    exported: Sequence[Exported], *, out_dir: Path, users_per_file: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Write the manifests; returns (written names, removed stale names)."""
    good = [item for item in exported if item.user is not None]
    count = -(-len(good) // users_per_file)
    names = tuple(f"export-{number:04d}.yaml" for number in range(1, count + 1))
    out_dir.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(names):
        chunk = good[index * users_per_file : (index + 1) * users_per_file]
        users = [item.user for item in chunk if item.user is not None]
        _write_atomic(out_dir / name, manifests.dump_users(users, comment=comment_for(chunk)))
    stale = sorted(
        path.name
        for path in out_dir.iterdir()
        if _EXPORT_NAME.fullmatch(path.name) and path.name not in names and path.is_file()
    )
    for name in stale:
        (out_dir / name).unlink()
    return names, tuple(stale)


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8", newline="\n")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


async def _export(
    user_ids: Sequence[str],
    *,
    connection: settings.ConnectionSettings,
    run: settings.RunSettings,
) -> tuple[Exported, ...]:
    async with runs.connect(connection, run) as (client, governor):
        return await read_users(
            user_ids, backend=readonly.ReadOnlyBackend(client), run=run, governor=governor
        )


@click.command("export")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the manifests (created if missing).",
)
@click.option(
    "--users-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File of user ids to export, one per line (# comments allowed).",
)
@click.option(
    "--users-per-file",
    type=click.IntRange(min=1),
    default=DEFAULT_USERS_PER_FILE,
    show_default=True,
    help="At most this many users per manifest file.",
)
@options.pace_options
@options.connection_options
@click.pass_context
def command(
    ctx: click.Context,
    out_dir: Path,
    users_file: Path | None,
    users_per_file: int,
    concurrency: int,
    max_rps: float,
    only_users: tuple[str, ...],
    domain: str | None,
    client_id: str | None,
    client_secret: str | None,
    access_token: str | None,
    audience: str | None,
    ca_bundle: str | None,
) -> None:
    """Write manifests pinning the live methods of the given users (--user ID or --users-file)."""
    console: output.Console = ctx.obj if isinstance(ctx.obj, output.Console) else output.Console()
    wanted = list(only_users)
    if users_file is not None:
        wanted.extend(read_user_ids(users_file))
    user_ids = tuple(dict.fromkeys(wanted))  # first occurrence wins, order kept
    if not user_ids:
        raise click.UsageError("give the users to export: --user ID (repeatable) or --users-file")
    if any(user_id.startswith("email:") for user_id in user_ids):
        raise click.UsageError("export takes user ids, not email: keys")
    connection = options.build_connection(
        domain=domain,
        client_id=client_id,
        client_secret=client_secret,
        access_token=access_token,
        audience=audience,
        ca_bundle=ca_bundle,
    )
    run = runs.run_settings(concurrency=concurrency, max_rps=max_rps)
    exported = asyncio.run(_export(user_ids, connection=connection, run=run))
    try:
        names, removed = write(exported, out_dir=out_dir, users_per_file=users_per_file)
    except OSError as exc:
        raise errors.UsageError(
            f"cannot write into {out_dir}: {exc.strerror or exc.__class__.__name__}"
        ) from exc
    if names:
        manifests.load([str(out_dir / name) for name in names])  # what we wrote must load
    failed = [item for item in exported if item.error is not None]
    for item in failed:
        console.warn(f"{item.user_id}: not exported: {item.error}")
    methods = sum(len(item.user.methods) for item in exported if item.user is not None)
    done = len(exported) - len(failed)
    console.info(
        f"Exported {done} {'user' if done == 1 else 'users'} ({methods} pinned methods) into "
        f"{', '.join(str(out_dir / name) for name in names) or 'no file'}"
        + (f"; {len(failed)} failed" if failed else "")
        + "."
    )
    if removed:
        console.info(f"Removed manifests of an earlier export: {', '.join(removed)}")
    ctx.exit(1 if failed else 0)
