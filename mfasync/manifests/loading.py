"""Read a manifest set (files and directories) and check it as a whole.

A set is every file given plus every `*.yaml` / `*.yml` under each directory given, in sorted
order; hidden files and folders (a leading '.') are skipped, so secrets or CI files can live beside
manifests. A user declared twice anywhere in the set is an error naming both places.

What it must not do: resolve secret references (that is `secretrefs`, when a command needs the
value), print, or stop at the first problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mfasync import errors, models
from mfasync.manifests import parsing

MANIFEST_SUFFIXES = (".yaml", ".yml")
Problems = tuple[errors.Problem, ...]


@dataclass(frozen=True, slots=True)
class ManifestSet:
    """The users of a valid manifest set, its warnings, and the files it was read from."""

    users: tuple[models.DesiredUser, ...]
    warnings: tuple[errors.Problem, ...]
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Everything `check` found: the valid users and every problem (errors and warnings)."""

    users: tuple[models.DesiredUser, ...]
    problems: tuple[errors.Problem, ...]
    files: tuple[str, ...]

    @property
    def errors(self) -> Problems:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> Problems:
        return tuple(p for p in self.problems if p.severity == "warning")


def load(paths: Sequence[str | Path]) -> ManifestSet:
    """The manifest set at `paths`. Raises ManifestError with every error of every file.

    A path that does not exist, or a directory without manifests, raises UsageError.
    """
    result = check(paths)
    if result.errors:
        raise errors.ManifestError(result.errors)
    return ManifestSet(users=result.users, warnings=result.warnings, files=result.files)


def check(paths: Sequence[str | Path]) -> CheckResult:
    """Like `load`, but returns every problem instead of raising ManifestError (for `validate`)."""
    files = manifest_files(paths)
    users: list[models.DesiredUser] = []
    problems: list[errors.Problem] = []
    seen: dict[str, models.SourceLocation] = {}
    for file in files:
        parsed = read_file(file)
        users.extend(parsed.result.users)
        problems.extend(parsed.result.problems)
        for identity in parsed.identities:
            first = seen.setdefault(identity.key, identity.location)
            # Duplicates inside one file were reported by the parser already.
            if first.file != identity.location.file:
                shown = identity.key.removeprefix("email:")
                loc = identity.location
                problems.append(
                    errors.Problem(
                        loc.file,
                        loc.line,
                        loc.column,
                        f"user {shown!r} is listed twice: first at {first}",
                    )
                )
    return CheckResult(users=tuple(users), problems=tuple(problems), files=tuple(files))


def manifest_files(paths: Sequence[str | Path]) -> list[str]:
    """Files named, plus `*.yaml`/`*.yml` under directories named (sorted, hidden ones skipped)."""
    if not paths:
        raise errors.UsageError("no manifest paths given")
    found: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(
                str(p)
                for p in path.rglob("*")
                if p.suffix.lower() in MANIFEST_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not inside:
                raise errors.UsageError(f"no manifests (*.yaml, *.yml) found in {raw}")
            found.extend(inside)
        elif path.is_file():
            found.append(str(raw))
        elif path.exists():
            raise errors.UsageError(f"not a file or directory: {raw}")
        else:
            raise errors.UsageError(f"no such file or directory: {raw}")
    # A file named twice (directly and through its folder) is read once.
    return list(dict.fromkeys(found))


def read_file(file: str) -> parsing.Parsed:
    """Parse one manifest file; unreadable or non-UTF-8 content becomes a problem, not an error."""
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        return _failed(file, 1, 1, f"cannot read the file: {exc.strerror or 'I/O error'}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        return _failed(
            file, line, column, "the file is not UTF-8 text (binary or another encoding?)"
        )
    base_dir = str(Path(file).resolve().parent)
    return parsing.parse_detailed(text, file, base_dir=base_dir)


def _failed(file: str, line: int, column: int, message: str) -> parsing.Parsed:
    problem = errors.Problem(file, line, column, message)
    return parsing.Parsed(result=parsing.ParseResult(users=(), problems=(problem,)), identities=())
