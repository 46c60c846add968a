"""The legacy export formats `mfasync import` reads, by name, and the one entry point to them.

Adding a format: a module with `parse(text) -> records.Parsed`, and a line in `NAMES` and `parse`.
"""

from __future__ import annotations

from mfasync.importers import auth0_bulk, csv_format, okta, otpauth_format, records

NAMES: tuple[str, ...] = ("auth0-bulk", "csv", "okta", "otpauth")


def parse(
    format_name: str, text: str, *, strategy: str = auth0_bulk.DEFAULT_STRATEGY
) -> records.Parsed:
    """Parse `text` as `format_name`. `strategy` is the user_id prefix of auth0-bulk exports."""
    if format_name == "csv":
        return csv_format.parse(text)
    if format_name == "auth0-bulk":
        return auth0_bulk.parse(text, strategy=strategy)
    if format_name == "okta":
        return okta.parse(text)
    if format_name == "otpauth":
        return otpauth_format.parse(text)
    raise ValueError(f"unknown import format {format_name!r}: allowed are {', '.join(NAMES)}")
