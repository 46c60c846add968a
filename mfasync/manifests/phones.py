"""How sure a phone number is: impossible (an error), possible but unknown (a warning), valid.

The Management API takes any E.164-looking number, and phonenumbers' metadata lags behind the
numbering plans: new ranges, and ranges reserved for drama and tests (`+447700900123`), are
"possible" (a plausible length for the country) without being "valid". Refusing them would
block real users, so only what cannot be a number (not E.164, an impossible length for its
country) is an error, and a possible number the metadata does not know is a warning (an error
only under `validate --strict`, as every warning). Messages never repeat the number.
"""

from __future__ import annotations

EXAMPLE = '"+14155550123"'


class NotANumber(ValueError):
    """The text cannot be a phone number; the message says what is allowed."""


def parse(text: str) -> str:
    """The E.164 form of a possible international number; raises `NotANumber` otherwise."""
    hint = (
        f"'phone_number' must be an international number in E.164 form: '+', the country code "
        f"and the number, e.g. {EXAMPLE}"
    )
    if not text.strip().startswith("+"):
        raise NotANumber(hint)
    # Imported when a number is first checked, not with the manifests: phonenumbers costs about
    # 10 ms of every start-up, and a manifest of pinned methods (as `export` writes) has no number.
    import phonenumbers

    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise NotANumber(hint) from exc
    if not phonenumbers.is_possible_number(number):
        # The same words as before possible-but-unknown numbers were let through (a warning).
        raise NotANumber(
            "'phone_number' is not a valid number for its country code (wrong length or range?); "
            f"write it in E.164 form, e.g. {EXAMPLE}"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def doubt(e164: str) -> str | None:
    """A warning for a possible number that the metadata does not know as valid, else None."""
    import phonenumbers  # lazily, as in `parse`

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None  # `parse` already refused it
    if phonenumbers.is_valid_number(number):
        return None
    return (
        "'phone_number' is possible but not a known valid number for its country code (a new "
        "or reserved range?); check it (an error with validate --strict)"
    )
