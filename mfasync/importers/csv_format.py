"""The `csv` legacy format: `user_id,email,type,value,name`, one factor per row.

Each row names its user by `user_id` or `email` (or both); `type` is `phone`, `sms`, `voice` (a
phone with that preferred method), `email` or `totp` (value: Base32 or an otpauth URI). Rows of one
user are merged later by `building`. This module reads the CSV shape only; it must not validate
values (that is `building`'s job, with the manifests' rules) nor put a cell's value in a message.
"""

from __future__ import annotations

import csv
import io

from mfasync.importers import records

COLUMNS = ("user_id", "email", "type", "value", "name")
REQUIRED_COLUMNS = ("type", "value")

# type column -> (factor kind, preferred method)
_TYPES: dict[str, tuple[records.Kind, str | None]] = {
    "phone": (records.Kind.PHONE, None),
    "sms": (records.Kind.PHONE, "sms"),
    "voice": (records.Kind.PHONE, "voice"),
    "email": (records.Kind.EMAIL, None),
    "totp": (records.Kind.TOTP, None),
}


def parse(text: str) -> records.Parsed:
    """Read a CSV export. Rejections carry the line where their row starts (1-based)."""
    factors: list[records.RawFactor] = []
    rejections: list[records.Rejection] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    next_line = 1  # where the next record starts: a quoted cell may span lines
    while True:
        start = next_line
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The csv module's message names the problem, not the cell's content.
            reason = f"bad CSV ({exc}): the rest of the file was not read"
            rejections.append(records.Rejection(records.Where(line=start), None, reason))
            break
        next_line = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if header is None:
            header = [cell.strip().lower().lstrip("\ufeff") for cell in row]
            problem = _header_problem(header)
            if problem:
                rejections.append(records.Rejection(records.Where(line=start), None, problem))
                return records.Parsed(rejections=tuple(rejections))
            continue
        if len(row) > len(header):
            # Most often an unquoted comma inside a cell: guessing which cell it split is unsafe.
            reason = f"{len(row)} cells but the header has {len(header)} (quote cells with commas)"
            rejections.append(records.Rejection(records.Where(line=start), None, reason))
            continue
        outcome = _row(dict(zip(header, row, strict=False)), where=records.Where(line=start))
        if isinstance(outcome, records.Rejection):
            rejections.append(outcome)
        else:
            factors.append(outcome)
    if header is None:
        rejections.append(
            records.Rejection(records.Where(line=1), None, "empty file: no header found")
        )
    return records.Parsed(factors=tuple(factors), rejections=tuple(rejections))


def _header_problem(header: list[str]) -> str | None:
    unknown = sorted(set(header) - set(COLUMNS) - {""})
    if unknown:
        return f"unknown column(s) {', '.join(unknown)}: the header must be {','.join(COLUMNS)}"
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing or ("user_id" not in header and "email" not in header):
        return f"missing column(s): the header must be {','.join(COLUMNS)}"
    if len(set(header)) != len(header):
        return "a column appears twice in the header"
    return None


def _row(cells: dict[str, str], *, where: records.Where) -> records.RawFactor | records.Rejection:
    user_id = (cells.get("user_id") or "").strip() or None
    email = (cells.get("email") or "").strip() or None
    user = records.UserRef(user_id=user_id, email=email)
    shown = str(user) if user_id or email else None
    if user_id is None and email is None:
        return records.Rejection(where, None, "missing user: the row has no user_id and no email")
    type_text = (cells.get("type") or "").strip().lower()
    if type_text not in _TYPES:
        allowed = ", ".join(_TYPES)
        what = f"unknown type {type_text!r}" if type_text else "missing type"
        return records.Rejection(where, shown, f"{what}: allowed types are {allowed}")
    kind, preferred = _TYPES[type_text]
    value = (cells.get("value") or "").strip()
    if not value and kind is records.Kind.EMAIL and email is not None:
        value = email  # an email factor without a value means the user's own address
    if not value:
        return records.Rejection(where, shown, f"missing value for a {type_text} factor")
    name = (cells.get("name") or "").strip() or None
    return records.RawFactor(where, user, kind, value, name=name, preferred=preferred)
