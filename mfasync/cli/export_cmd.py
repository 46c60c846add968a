"""`mfasync export --out DIR (--user KEY ... | --users-file FILE)`: live methods to manifests.

Each managed live method is written as a pinned method (`type` + `id` + `name`): "keep this one as
it is". A plan against the same tenant therefore shows no change. Reads mask phone numbers and
emails, so a value is never written as if it were real: the manifest holds ids only, and a comment
lists the redacted displays and the unmanaged types (push, passkey...), which are never written
as methods. Manifests go to `DIR/export-NNNN.yaml` through `manifests.dump_users`, are checked to
load, and stale `export-NNNN.yaml` files of an earlier, larger export are removed. Exit 1 when a
user could not be read (the others are still written). It reads only (a `readonly` backend).

A user key is a user id or `email:ADDRESS`. An address is resolved as plan resolves it
(`executing.resolve_user_id`: the lower-cased address first, then as written; nobody is a
one-line error for that key, several an error asking to export by user_id; the other users are
still exported). The entry is then written by the resolved **user_id**, and the address appears
nowhere in the file, not even in a comment. Why not `email:` as given: the pinned ids are the
methods of the one user the address named at export time, and an address can later name another
user; an entry by user_id keeps meaning exactly what was read, where an `email:` entry declaring
`methods: []` would strip the managed factors of whoever holds the address next. The comment says
which key the entry came from by its place in the user's own input (`--user 2`,
`users.txt:4`), so a reader can map entries back without the file holding any address. Two keys
that name one user (`--user auth0|x --user email:x@...`) are exported once.

Masking rules: the files hold ids, names, and redacted displays only (`plans.live_display`: the
last four digits of a phone, a masked email); never a TOTP seed, a full phone number or a clear
email. Console lines show an `email:` key with its address masked (`plans.display_key`), as plan
does, plus its place in the input so that two masked keys can be told apart.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import click

from mfasync import errors, executing, manifests, models, plans, settings
from mfasync.cli import asyncrun, options, output, readonly, runs

DEFAULT_USERS_PER_FILE = 1000
NAME_MAX_CHARS = 20  # the API's limit, and the manifest format's
SEVERAL_HINT = "export this one by its user_id"
_EXPORT_NAME = re.compile(r"export-\d{4,}\.yaml")
_COMMENT = re.compile(r"(?:^|\s)#.*$")  # a whole-line or trailing comment; ids may hold '#'


@dataclasses.dataclass(frozen=True, slots=True)
class Exported:
    """One user as read: the desired user to write, what the comment says, or the read error.

    `key` is the user as given (a user id or `email:ADDRESS`), `user_id` the id it resolved to
    (None when it did not), `same_as` the earlier key naming the same user (not written again).
    """

    user_id: str | None
    user: models.DesiredUser | None = None
    notes: tuple[str, ...] = ()
    error: str | None = None
    key: str = ""
    same_as: str | None = None

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.user_id or "")


def read_user_lines(path: Path) -> tuple[tuple[int, str], ...]:
    """`--users-file`: (line number, user key) per line; blank lines and `#` comments skipped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise errors.UsageError(f"cannot read {path}: {reason}") from exc
    keys = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = _COMMENT.sub("", line).strip()
        if content:
            keys.append((number, content))
    return tuple(keys)


def read_user_ids(path: Path) -> tuple[str, ...]:
    """`--users-file`: one user key per line; blank lines and `#` comments are skipped."""
    return tuple(key for _, key in read_user_lines(path))


def email_of(key: str) -> str | None:
    """The address of an `email:ADDRESS` key, None for a user id."""
    if key.startswith(plans.EMAIL_KEY_PREFIX):
        return key[len(plans.EMAIL_KEY_PREFIX) :]
    return None


def _pinnable(method: models.LiveMethod) -> bool:
    prefix, bar, rest = method.id.partition("|")
    return bool(bar and rest.strip()) and models.TYPE_ALIASES.get(prefix, prefix) == method.type


def _name(name: str | None) -> str | None:
    # a name the manifest format would refuse is left out: the pin keeps the live one unchanged
    return name if name is not None and 1 <= len(name) <= NAME_MAX_CHARS else None


def describe(user_id: str, live: Sequence[models.LiveMethod], *, key: str = "") -> Exported:
    """The pinned manifest entry of one user's live methods, and the comment lines about it.

    `key`: the user as given, when that was not its user id (an `email:` key).
    """
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
    return Exported(user_id=user_id, user=user, notes=tuple(notes), key=key or user_id)


async def read_users(
    keys: Sequence[str],
    *,
    backend: executing.ReadBackend,
    run: settings.RunSettings,
    governor: executing.RateGovernor | None = None,
) -> tuple[Exported, ...]:
    """Resolve each key (user id or `email:ADDRESS`) and list the user's live methods (bounded
    concurrency, retried); in the order of `keys`, a later key naming an earlier one's user
    marked `same_as` it."""
    retrier = executing.Retrier(run.retry, governor=governor)
    results: dict[str, Exported] = {}

    async def work(key: str) -> None:
        email = email_of(key)
        try:
            if email is None:
                user_id = key
            else:
                wanted = models.DesiredUser(email=email)
                user_id = await executing.resolve_user_id(
                    wanted, backend=backend, retrier=retrier, several_hint=SEVERAL_HINT
                )
            resolved = user_id
            live = await retrier.call(lambda: backend.list_methods(resolved))
        except errors.MfasyncError as exc:
            results[key] = Exported(user_id=None, error=str(exc), key=key)
            return
        results[key] = describe(user_id, live, key=key)

    await executing.run_bounded(keys, work, concurrency=run.rate.concurrency)
    first_key: dict[str, str] = {}
    ordered = []
    for key in keys:
        item = results[key]
        if item.user_id is not None and item.error is None:
            earlier = first_key.setdefault(item.user_id, key)
            if earlier != key:
                item = Exported(user_id=item.user_id, key=key, same_as=earlier)
        ordered.append(item)
    return tuple(ordered)


def comment_for(chunk: Sequence[Exported], origins: Mapping[str, str] | None = None) -> str:
    """The file's comment: what export writes, and the notes of each user (for an `email:` key,
    the key's place in the input, never its address)."""
    lines = [
        "Written by `mfasync export` from the live tenant: every managed method is pinned by id.",
        "Reads mask values, so none is written; the redacted displays below are for reading only.",
    ]
    for item in chunk:
        by_email = email_of(item.key) is not None
        if item.notes or by_email:
            where = (origins or {}).get(item.key)
            given = f" ({where})" if where else ""
            lines.append(
                f"{item.user_id}:" + (f" given by its email address{given}" if by_email else "")
            )
            lines.extend(item.notes)
    return "\n".join(lines)


def write(
    exported: Sequence[Exported],
    *,
    out_dir: Path,
    users_per_file: int,
    origins: Mapping[str, str] | None = None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Write the manifests, users sorted by user id; returns (written names, removed stale
    names). `origins`: each key's place in the input (`--user 2`), for the comments."""
    good = sorted(
        (item for item in exported if item.user is not None),
        key=lambda item: item.user_id or "",
    )
    count = -(-len(good) // users_per_file)
    names = tuple(f"export-{number:04d}.yaml" for number in range(1, count + 1))
    out_dir.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(names):
        chunk = good[index * users_per_file : (index + 1) * users_per_file]
        users = [item.user for item in chunk if item.user is not None]
        text = manifests.dump_users(users, comment=comment_for(chunk, origins))
        _write_atomic(out_dir / name, text)
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


def _shown_key(key: str, origins: Mapping[str, str]) -> str:
    """A key for the console: an `email:` key masked, with its place in the input."""
    if email_of(key) is None:
        return key
    return f"{plans.display_key(key)} ({origins.get(key, '?')})"


async def _export(
    user_keys: Sequence[str],
    *,
    connection: settings.ConnectionSettings,
    run: settings.RunSettings,
) -> tuple[Exported, ...]:
    async with runs.connect(connection, run) as (client, governor):
        return await read_users(
            user_keys, backend=readonly.ReadOnlyBackend(client), run=run, governor=governor
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
    help="File of users to export, one per line: user ids or email:ADDRESS (# comments allowed).",
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
    """Write manifests pinning the live methods of the given users (--user ID or --users-file).

    A user is a user id or email:ADDRESS; an address is resolved to exactly one user, whose
    entry is written by its user_id (the address is written nowhere).
    """
    console: output.Console = ctx.obj if isinstance(ctx.obj, output.Console) else output.Console()
    wanted = [(key, f"--user {index}") for index, key in enumerate(only_users, start=1)]
    if users_file is not None:
        wanted.extend((key, f"{users_file}:{line}") for line, key in read_user_lines(users_file))
    origins: dict[str, str] = {}
    for key, origin in wanted:
        origins.setdefault(key, origin)  # first occurrence wins, order kept
    user_keys = tuple(origins)
    if not user_keys:
        raise click.UsageError("give the users to export: --user ID (repeatable) or --users-file")
    for key in user_keys:
        if email_of(key) == "":
            raise click.UsageError(f"{origins[key]}: 'email:' needs an address")
    connection = options.build_connection(
        domain=domain,
        client_id=client_id,
        client_secret=client_secret,
        access_token=access_token,
        audience=audience,
        ca_bundle=ca_bundle,
    )
    run = runs.run_settings(concurrency=concurrency, max_rps=max_rps)
    exported = asyncrun.run(_export(user_keys, connection=connection, run=run))
    try:
        names, removed = write(
            exported, out_dir=out_dir, users_per_file=users_per_file, origins=origins
        )
    except OSError as exc:
        raise errors.UsageError(
            f"cannot write into {out_dir}: {exc.strerror or exc.__class__.__name__}"
        ) from exc
    if names:
        manifests.load([str(out_dir / name) for name in names])  # what we wrote must load
    failed = [item for item in exported if item.error is not None]
    for item in exported:
        shown = _shown_key(item.key, origins)
        if item.error is not None:
            console.warn(f"{shown}: not exported: {item.error}")
        elif item.same_as is not None:
            console.info(
                f"{shown}: the same user as {_shown_key(item.same_as, origins)}"
                f" ({item.user_id}): exported once"
            )
        elif email_of(item.key) is not None:
            console.info(f"{shown}: exported as {item.user_id}")
    methods = sum(len(item.user.methods) for item in exported if item.user is not None)
    done = sum(1 for item in exported if item.user is not None)
    console.info(
        f"Exported {done} {'user' if done == 1 else 'users'} ({methods} pinned methods) into "
        f"{', '.join(str(out_dir / name) for name in names) or 'no file'}"
        + (f"; {len(failed)} failed" if failed else "")
        + "."
    )
    if removed:
        console.info(f"Removed manifests of an earlier export: {', '.join(removed)}")
    ctx.exit(1 if failed else 0)
