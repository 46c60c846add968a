"""TOTP seeds: normalisation, and resolution of `${env:NAME}` / `${file:path}` / `${file:path#key}`.

A manifest names where a seed lives; this module fetches it when (and only when) a command needs it,
and turns every accepted spelling (Base32 with spaces or padding, an `otpauth://totp/` URI) into the
form the Management API takes: un-padded upper-case Base32.

What it must not do: read `os.environ` (the CLI hands a mapping in), resolve anything while
manifests are parsed, let a `${file:...}` path leave the manifest's folder tree, or put a seed (or a
piece of one) into an error message, a repr or a log line. Messages name the reference instead.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

import yaml
from pydantic import SecretStr

from mfasync import errors, models

_REFERENCE = re.compile(r"\$\{(?P<kind>[^:}]*):(?P<body>[^}]*)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BASE32 = re.compile(r"[A-Z2-7]+")
# Base32 packs 5 bits per character; these lengths (mod 8) can never be a whole number of bytes.
_IMPOSSIBLE_BASE32_LENGTHS = frozenset({1, 3, 6})
_MAX_SECRET_FILE_BYTES = (
    64 * 1024 * 1024
)  # a million migrated seeds fit; a mistaken huge file does not

REFERENCE_HELP = "${env:NAME}, ${file:relative/path} or ${file:relative/path#key}"


@dataclass(frozen=True, slots=True)
class Reference:
    """A parsed secret reference. `kind` is "env" or "file"; `key` only for `${file:path#key}`."""

    kind: str
    name: str  # the variable name (env) or the relative path (file)
    key: str | None = None

    def __str__(self) -> str:
        suffix = f"#{self.key}" if self.key is not None else ""
        return f"${{{self.kind}:{self.name}{suffix}}}"


def is_reference(text: str) -> bool:
    """Does this value mean to be a reference? (Base32 and otpauth URIs never start with `${`.)"""
    return text.lstrip().startswith("${")


def parse_reference(text: str) -> Reference:
    """Check a reference's syntax (no I/O). Raises SecretRefError saying what is allowed."""
    match = _REFERENCE.fullmatch(text.strip())
    if match is None:
        raise errors.SecretRefError(f"malformed secret reference; allowed forms: {REFERENCE_HELP}")
    kind, body = match["kind"], match["body"]
    if kind == "env":
        if not _ENV_NAME.fullmatch(body):
            raise errors.SecretRefError(
                "${env:...} needs a variable name (letters, digits and _, no leading digit)"
            )
        return Reference(kind="env", name=body)
    if kind == "file":
        path, sep, key = body.partition("#")
        if not path:
            raise errors.SecretRefError("${file:...} needs a path relative to the manifest")
        if sep and not key:
            raise errors.SecretRefError("${file:path#key} needs a key after '#'")
        _check_relative(path)
        return Reference(kind="file", name=path, key=key if sep else None)
    raise errors.SecretRefError(
        f"unknown secret reference kind {kind!r}; allowed forms: {REFERENCE_HELP}"
    )


def _check_relative(path: str) -> None:
    # Checked on the text too, so that `validate` catches an escape before any file exists.
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute() or path[:1] == "\\":
        raise errors.SecretRefError(
            "${file:...} paths must be relative to the manifest's folder, not absolute"
        )
    depth = 0
    for part in re.split(r"[\\/]", path):
        if part == "..":
            depth -= 1
        elif part not in ("", "."):
            depth += 1
        if depth < 0:
            raise errors.SecretRefError(
                "${file:...} paths must stay inside the manifest's folder tree ('..' leaves it)"
            )


def normalize_totp_secret(text: str) -> str:
    """Base32 (any case, spaces, `=` padding) or an `otpauth://totp/` URI -> un-padded Base32.

    Raises SecretRefError with a reason that never quotes the secret (nor any part of it).
    """
    stripped = text.strip()
    if stripped[:10].lower() == "otpauth://":
        return _secret_from_otpauth(stripped)
    return _normalize_base32(stripped)


def _normalize_base32(text: str) -> str:
    compact = text.upper().replace(" ", "").replace("=", "")
    if not compact:
        raise errors.SecretRefError("the TOTP secret is empty")
    if not _BASE32.fullmatch(compact):
        raise errors.SecretRefError(
            "the TOTP secret is neither Base32 (letters A-Z and digits 2-7; spaces and '=' are "
            "ignored) nor an otpauth://totp/ URI"
        )
    if len(compact) % 8 in _IMPOSSIBLE_BASE32_LENGTHS:
        raise errors.SecretRefError(
            f"the TOTP secret has {len(compact)} Base32 characters, a length no whole number of "
            "bytes encodes to (truncated?)"
        )
    try:
        base64.b32decode(compact + "=" * (-len(compact) % 8))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - the checks above catch it
        raise errors.SecretRefError("the TOTP secret is not valid Base32") from exc
    return compact


def _secret_from_otpauth(uri: str) -> str:
    try:
        parts = urllib.parse.urlsplit(uri)
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
    except ValueError as exc:
        raise errors.SecretRefError("the otpauth URI cannot be parsed") from exc
    kind = parts.netloc.lower()
    if kind == "hotp":
        raise errors.SecretRefError(
            "the otpauth URI is for HOTP (counter-based); Auth0 supports only TOTP (otpauth://totp/)"
        )
    if kind != "totp":
        raise errors.SecretRefError("an otpauth URI must start with otpauth://totp/")
    params = {key.lower(): values[-1] for key, values in query.items() if values}
    algorithm = params.get("algorithm", "SHA1").upper()
    if algorithm != "SHA1":
        raise errors.SecretRefError(
            f"the otpauth URI asks for algorithm {algorithm[:16]}; Auth0 TOTP uses SHA1 only"
        )
    digits = params.get("digits", "6")
    if digits != "6":
        raise errors.SecretRefError(
            f"the otpauth URI asks for {digits[:8]} digits; Auth0 TOTP uses 6 digits only"
        )
    period = params.get("period", "30")
    if period != "30":
        raise errors.SecretRefError(
            f"the otpauth URI asks for a {period[:8]}-second period; Auth0 TOTP uses 30 seconds "
            "only"
        )
    secret = params.get("secret")
    if not secret:
        raise errors.SecretRefError("the otpauth URI has no secret= parameter")
    return _normalize_base32(secret)


@dataclass(frozen=True, slots=True)
class _FileContent:
    text: str | None = None
    problem: str | None = None
    mapping: Mapping[object, object] | None = None
    mapping_problem: str | None = None


class Resolver:
    """Fetches the seeds that references point to, reading each file once (a cache per Resolver).

    `environ` is where `${env:...}` is read from: the CLI passes `os.environ`, tests a dict.
    """

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self._files: dict[Path, _FileContent] = {}

    def resolve(self, source: models.SecretSource) -> models.SecretSource:
        """The source with `value` (normalised Base32) filled in, or `problem` saying why not."""
        if source.value is not None:
            return source
        if source.reference is None:
            return source.model_copy(update={"problem": "no TOTP secret given"})
        try:
            value = self.resolve_reference(source.reference, base_dir=source.base_dir)
        except errors.SecretRefError as exc:
            return source.model_copy(update={"problem": str(exc)})
        return source.model_copy(update={"value": SecretStr(value), "problem": None})

    def resolve_user(self, user: models.DesiredUser) -> models.DesiredUser:
        """The user with every TOTP reference resolved (or its `problem` set)."""
        methods = tuple(
            method.model_copy(update={"totp_secret": self.resolve(method.totp_secret)})
            if method.totp_secret is not None
            else method
            for method in user.methods
        )
        return user.model_copy(update={"methods": methods})

    def resolve_reference(self, reference: str, *, base_dir: str | None) -> str:
        """The normalised seed a reference points to. Raises SecretRefError naming the reference."""
        try:
            ref = parse_reference(reference)
            raw = self._env(ref) if ref.kind == "env" else self._file(ref, base_dir=base_dir)
            return normalize_totp_secret(raw)
        except errors.SecretRefError as exc:
            raise errors.SecretRefError(f"{reference.strip()}: {exc}") from None

    def _env(self, ref: Reference) -> str:
        value = self._environ.get(ref.name)
        if value is None:
            raise errors.SecretRefError(f"environment variable {ref.name} is not set")
        if not value.strip():
            raise errors.SecretRefError(f"environment variable {ref.name} is empty")
        return value

    def _file(self, ref: Reference, *, base_dir: str | None) -> str:
        if base_dir is None:
            raise errors.SecretRefError(
                "${file:...} needs the manifest's folder, unknown for a manifest read from text"
            )
        root = Path(base_dir).resolve()
        # resolve() follows symlinks, so a link pointing out of the tree is caught here.
        target = (root / ref.name).resolve()
        if not target.is_relative_to(root):
            raise errors.SecretRefError(
                "the file is outside the manifest's folder tree (symlinks are followed)"
            )
        content = self._files.get(target)
        if content is None:
            content = self._files[target] = _read(target, shown=ref.name)
        if content.problem is not None:
            raise errors.SecretRefError(content.problem)
        assert content.text is not None
        if ref.key is None:
            return content.text.strip()
        if content.mapping is None and content.mapping_problem is None:
            content = self._files[target] = _with_mapping(content, shown=ref.name)
        if content.mapping_problem is not None:
            raise errors.SecretRefError(content.mapping_problem)
        assert content.mapping is not None
        if ref.key not in content.mapping:
            raise errors.SecretRefError(f"key {ref.key!r} not found in {ref.name}")
        value = content.mapping[ref.key]
        if not isinstance(value, str):
            raise errors.SecretRefError(f"key {ref.key!r} of {ref.name} is not a string")
        return value


def _read(path: Path, *, shown: str) -> _FileContent:
    try:
        if not path.is_file():
            return _FileContent(problem=f"{shown} does not exist or is not a file")
        if path.stat().st_size > _MAX_SECRET_FILE_BYTES:
            return _FileContent(problem=f"{shown} is larger than 64 MiB")
        data = path.read_bytes()
    except OSError as exc:
        return _FileContent(problem=f"{shown} cannot be read ({exc.strerror or 'I/O error'})")
    try:
        return _FileContent(text=data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return _FileContent(problem=f"{shown} is not UTF-8 text")


def _with_mapping(content: _FileContent, *, shown: str) -> _FileContent:
    # Parsed at most once per file: a 100,000-user migration points every user at one secrets file.
    assert content.text is not None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(content.text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        # The parser's message may quote the file's text, which holds seeds: say only where.
        return _FileContent(text=content.text, mapping_problem=f"{shown} is not valid YAML or JSON")
    if not isinstance(data, Mapping):
        return _FileContent(
            text=content.text,
            mapping_problem=f"{shown} is not a YAML/JSON mapping (needed for '#key')",
        )
    return _FileContent(text=content.text, mapping=data)
