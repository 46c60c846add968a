"""Decoding headers and bodies (pure)."""

from __future__ import annotations

import pytest

from mfasync import errors, models
from mfasync.api import wire


def test_rate_limit_headers_are_parsed() -> None:
    headers = {"x-ratelimit-limit": "50", "x-ratelimit-remaining": "7", "x-ratelimit-reset": "17e8"}
    assert wire.rate_limit(headers) == models.RateLimit(
        limit=50, remaining=7, reset_at_s=1_700_000_000.0
    )


def test_missing_or_garbage_rate_limit_headers_become_none() -> None:
    headers = {
        "x-ratelimit-limit": "lots",
        "x-ratelimit-remaining": "-3",
        "x-ratelimit-reset": "nan",
    }
    assert wire.rate_limit(headers) == models.RateLimit()
    assert wire.rate_limit({}) == models.RateLimit()


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert wire.retry_after_s({"retry-after": "3"}, now_s=0.0) == 3.0
    date = {"retry-after": "Thu, 01 Jan 1970 00:00:10 GMT"}
    assert wire.retry_after_s(date, now_s=4.0) == 6.0
    assert wire.retry_after_s({"retry-after": "soon"}, now_s=0.0) is None
    assert wire.retry_after_s({}, now_s=0.0) is None


def test_camel_case_method_keys_become_snake_case() -> None:
    method = wire.live_method(
        {
            "id": "webauthn-roaming|dev_1",
            "type": "webauthn-roaming",
            "keyId": "k1",
            "publicKey": "cGs=",
            "relyingPartyIdentifier": "example.com",
            "createdAt": "2024-01-01T00:00:00.000Z",
            "linkId": "l1",
        },
        where="test",
    )
    assert (method.key_id, method.public_key, method.relying_party_identifier) == (
        "k1",
        "cGs=",
        "example.com",
    )
    assert (method.created_at, method.link_id) == ("2024-01-01T00:00:00.000Z", "l1")


def test_snake_case_key_wins_over_camel_case_duplicate() -> None:
    method = wire.live_method(
        {"id": "phone|1", "type": "phone", "phone_number": "XXXX0123", "phoneNumber": "XXXX9999"},
        where="test",
    )
    assert method.phone_number == "XXXX0123"


def test_underscore_alias_of_webauthn_roaming_is_normalised() -> None:
    method = wire.live_method({"id": "w|1", "type": "webauthn_roaming"}, where="test")
    assert method.type == "webauthn-roaming"


def test_invalid_method_error_names_fields_not_values() -> None:
    with pytest.raises(errors.MalformedResponseError) as caught:
        wire.live_method({"type": "phone", "phone_number": ["+14155550123"]}, where="GET /x")
    text = str(caught.value)
    assert "+14155550123" not in text
    assert "id missing" in text
    assert "phone_number" in text


def test_page_with_totals_and_bare_array_both_decode() -> None:
    item = {"id": "totp|1", "type": "totp"}
    with_totals = wire.method_page({"authenticators": [item], "total": 1}, where="t")
    bare = wire.method_page([item], where="t")
    assert with_totals.total == 1
    assert bare.total is None
    assert with_totals.methods == bare.methods


@pytest.mark.parametrize("payload", [{"methods": []}, "text", 3, {"authenticators": {}}])
def test_page_of_wrong_shape_is_malformed(payload: object) -> None:
    with pytest.raises(errors.MalformedResponseError):
        wire.method_page(payload, where="t")


def test_error_details_read_api_message_and_error_code() -> None:
    body = b'{"statusCode":404,"error":"Not Found","message":"The user does not exist.",'
    body += b'"errorCode":"inexistent_user"}'
    details = wire.error_details(body, reason="Not Found")
    assert (details.message, details.error_code) == ("The user does not exist.", "inexistent_user")


def test_error_details_of_a_long_html_page_are_cut_to_256_characters() -> None:
    details = wire.error_details(b"<html>" + b"x" * 5000 + b"</html>", reason="Bad Gateway")
    assert len(details.message) == 256
    assert details.error_code is None


def test_user_ids_are_sorted_and_distinct() -> None:
    payload = [{"user_id": "auth0|b"}, {"user_id": "auth0|a"}, {"user_id": "auth0|b"}]
    assert wire.user_ids(payload, where="t") == ("auth0|a", "auth0|b")
