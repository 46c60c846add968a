"""Mask compatibility and redaction (pure)."""

from __future__ import annotations

import pytest

from mfasync import masking


@pytest.mark.parametrize(
    ("masked", "e164", "expected"),
    [
        ("XXXXXXXXXXX5044", "+44207183875044", True),  # the API's own example
        ("+44207183875044", "+44207183875044", True),  # unmasked: equality
        ("XXXXXXXXXXX5044", "+44207183879999", False),  # other last four
        ("XXXXXXXXXXX0123", "+14155550123", False),  # same last four, other length
        ("*******0123", "+4155550123", True),  # `*` masks too
        ("+1XXXXXX0123", "+14155550123", True),  # a visible prefix that agrees
        ("+2XXXXXX0123", "+14155550123", False),  # a visible prefix that differs
        ("+14155550124", "+14155550123", False),  # unmasked and different
    ],
)
def test_phone_compatibility_reads_visible_characters_at_their_positions(
    masked: str, e164: str, expected: bool
) -> None:
    assert masking.phone_compatible(masked, e164) is expected


@pytest.mark.parametrize(
    ("masked", "address", "expected"),
    [
        ("chuc****@exam*******", "chuck334@example.com", True),  # the API's own examples
        ("****@exam*******", "foo@example.com", True),
        ("chuck334@example.com", "chuck334@example.com", True),  # unmasked: equality
        ("Chuck334@Example.com", "chuck334@example.com", True),  # case is not a difference
        ("chuc****@exam*******", "chuck335@example.com", True),  # hidden: cannot tell apart
        ("chuc****@exam*******", "chuck@example.com", False),  # local length differs
        ("chuc****@exam*******", "chuck334@example.org", True),  # hidden domain tail
        ("chuc****@exam*******", "chuck334@examples.com", False),  # domain length differs
        ("chuc****@exam*******", "bobby334@example.com", False),  # visible prefix differs
        ("****@exam*******", "foo@elsewhere.io", False),
        ("chuck334@example.com", "chuck335@example.com", False),
        ("chuc****@exam*******", "not-an-address", False),
    ],
)
def test_email_compatibility_compares_local_part_and_domain_separately(
    masked: str, address: str, expected: bool
) -> None:
    assert masking.email_compatible(masked, address) is expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("+14155550123", "...0123"),
        ("XXXXXXXXXXX5044", "...5044"),  # masked input works too
        ("0123", "..."),  # never the whole value
        ("", "..."),
    ],
)
def test_redact_phone_shows_the_last_four_only(number: str, expected: str) -> None:
    assert masking.redact_phone(number) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("chuck334@example.com", "chuc****@exam*******"),  # like the API
        ("foo@example.com", "****@exam*******"),
        ("chuc****@exam*******", "chuc****@exam*******"),  # already masked stays masked
        ("abcde@a.io", "ab***@a.**"),  # never more than half of a part
        ("no-at-sign", "no-a******"),
    ],
)
def test_redact_email_masks_like_the_api_and_never_shows_the_address(
    address: str, expected: str
) -> None:
    assert masking.redact_email(address) == expected
