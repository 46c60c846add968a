"""The import report: a JSON document (`import-report.json`) and a short summary for people.

Both are built from a `building.Result` and the written file names, and are pure. They name users,
lines and reasons; they never hold a TOTP seed or a full phone number (rejection reasons are written
that way at their source, and this module adds no value of its own). No timestamps: the same input
gives a byte-identical report.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from mfasync.importers import building, records

REPORT_FORMAT_VERSION = 1
SUMMARY_MAX_REJECTIONS = 20  # the rest is in the report file; a terminal is not a log


def report(
    result: building.Result,
    *,
    format_name: str,
    input_name: str,
    files: Sequence[str],
    secrets_file: str,
) -> dict[str, Any]:
    """The report document (JSON-ready, keys in a stable order)."""
    methods = Counter(method.type.value for user in result.users for method in user.methods)
    unmigratable = _unmigratable(result.unmigratable)
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "format": format_name,
        "input": input_name,
        "summary": {
            "users": len(result.users),
            "methods": dict(sorted(methods.items())),
            "secrets": len(result.secrets),
            "rejected": len(result.rejections),
            "unmigratable": sum(entry["count"] for entry in unmigratable),
            "duplicates_merged": result.duplicates,
            "files": len(files),
        },
        "files": list(files),
        "secrets_file": secrets_file,
        "rejected": [_rejection(rejection) for rejection in result.rejections],
        "unmigratable": unmigratable,
    }


def to_json(document: dict[str, Any]) -> str:
    """The report file's text."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def exit_code(result: building.Result) -> int:
    """1 when anything was rejected; unmigratable factor types alone are not a failure."""
    return 1 if result.rejections else 0


def summary(document: dict[str, Any], *, out_dir: str) -> str:
    """A few lines for stderr: what was written, what was rejected, what cannot migrate."""
    counts = document["summary"]
    methods = ", ".join(f"{n} {kind}" for kind, n in counts["methods"].items()) or "no methods"
    lines = [
        f"Imported {counts['users']} users ({methods}) from {document['input']} "
        f"({document['format']}) into {out_dir}: {counts['files']} manifest file(s), "
        f"{counts['secrets']} TOTP secret(s) in {document['secrets_file']} (mode 0600)."
    ]
    if counts["duplicates_merged"]:
        lines.append(f"{counts['duplicates_merged']} duplicate factor(s) written once.")
    rejected = document["rejected"]
    if rejected:
        lines.append(f"{len(rejected)} rejected (fix them and import again):")
        for entry in rejected[:SUMMARY_MAX_REJECTIONS]:
            lines.append(f"  {entry['where']}{_user_suffix(entry['user'])}: {entry['reason']}")
        if len(rejected) > SUMMARY_MAX_REJECTIONS:
            more = len(rejected) - SUMMARY_MAX_REJECTIONS
            lines.append(f"  ... and {more} more in import-report.json")
    if document["unmigratable"]:
        parts = [
            f"{entry['type']}: {entry['count']} ({len(entry['users'])} user(s))"
            for entry in document["unmigratable"]
        ]
        lines.append(
            "Not migratable (no secret can be exported; these users must enrol again): "
            + "; ".join(parts)
        )
    return "\n".join(lines)


def _user_suffix(user: str | None) -> str:
    return f" ({user})" if user else ""


def _rejection(rejection: records.Rejection) -> dict[str, Any]:
    return {
        "where": str(rejection.where),
        "line": rejection.where.line,
        "item": rejection.where.item,
        "factor": rejection.where.factor,
        "user": rejection.user,
        "reason": rejection.reason,
    }


def _unmigratable(entries: Sequence[records.Unmigratable]) -> list[dict[str, Any]]:
    by_type: defaultdict[str, list[records.Unmigratable]] = defaultdict(list)
    for entry in entries:
        by_type[entry.factor_type].append(entry)
    return [
        {
            "type": factor_type,
            "count": len(found),
            "users": sorted({entry.user for entry in found}),
        }
        for factor_type, found in sorted(by_type.items())
    ]
