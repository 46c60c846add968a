"""Manifests (format version 1): parse, load, check, dump, and the JSON Schema of the format.

    parse(text, source, *, base_dir=None) -> ParseResult   pure: text in, users and problems out
    load(paths) -> ManifestSet                  files and folders; raises ManifestError
    check(paths) -> CheckResult                 like load, but returns every problem
    dump_users(users, *, comment=None) -> str   YAML text that parses back to `users`
    json_schema() -> dict                       draft 2020-12, for editors (from `schema`'s models,
                                                which are also what validates)

The only other home of yaml is `secretrefs`. What this package must not do: resolve secret
references, call the API, print, or read the environment.
"""

from __future__ import annotations

from mfasync.manifests.dumping import dump_users
from mfasync.manifests.loading import CheckResult, ManifestSet, check, load, manifest_files
from mfasync.manifests.parsing import ParseResult, parse
from mfasync.manifests.schema import SCHEMA_FILE, json_schema

__all__ = [
    "SCHEMA_FILE",
    "CheckResult",
    "ManifestSet",
    "ParseResult",
    "check",
    "dump_users",
    "json_schema",
    "load",
    "manifest_files",
    "parse",
]
