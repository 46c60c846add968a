"""The masking rules give exactly the reference's examples."""

from __future__ import annotations

from mfasync.emulator import masking


def test_phone_shows_only_the_last_four_characters() -> None:
    assert masking.mask_phone("+44207183875044") == "XXXXXXXXXXX5044"
    assert masking.mask_phone("+14155550123") == "XXXXXXXX0123"


def test_email_masking_matches_the_reference_examples() -> None:
    assert masking.mask_email("chuck334@example.com") == "chuc****@exam*******"
    assert masking.mask_email("foo@example.com") == "****@exam*******"


def test_email_part_never_shows_more_than_leaves_four_hidden() -> None:
    assert masking.mask_email_part("abcde") == "a****"
    assert masking.mask_email_part("abcd") == "****"
    assert masking.mask_email_part("a") == "****"
    assert masking.mask_email_part("abcdefghij") == "abcd******"
