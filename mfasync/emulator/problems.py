"""API errors as the Management API writes them: `{"statusCode","error","message","errorCode"?}`.

State and validation raise `Problem`; the app turns it into a JSON response. This module must not
know about HTTP servers: it only builds bodies.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class Problem(Exception):
    """An API error answer: status, message and optional errorCode (and 401 attributes)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_code: str | None = None,
        attributes: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code
        self.attributes = attributes

    def body(self) -> dict[str, Any]:
        """The JSON body, key order as the API writes it."""
        body: dict[str, Any] = {
            "statusCode": self.status,
            "error": HTTPStatus(self.status).phrase,
            "message": self.message,
        }
        if self.error_code is not None:
            body["errorCode"] = self.error_code
        if self.attributes is not None:
            body["attributes"] = self.attributes
        return body


def query_error(message: str) -> Problem:
    """400 for a bad query string parameter, as the service words it."""
    return bad_request(f"Query validation error: {message}", error_code="invalid_query_string")


def bad_request(message: str, *, error_code: str = "invalid_body") -> Problem:
    return Problem(400, message, error_code=error_code)


def user_not_found() -> Problem:
    return Problem(404, "The user does not exist.", error_code="inexistent_user")


def method_not_found() -> Problem:
    return Problem(404, "The authentication method could not be found.")


def already_exists() -> Problem:
    return Problem(409, "Authentication method already exists.")


def entity_limit() -> Problem:
    return Problem(403, "You reached the limit of entities of this type for this user.")


def passkey_forbids() -> Problem:
    return Problem(403, "Operation not permitted when the user has registered at least 1 passkey")


def insufficient_scope(expected: str) -> Problem:
    return Problem(
        403,
        f"Insufficient scope, expected any of: {expected}",
        error_code="insufficient_scope",
    )


def unauthorized(message: str) -> Problem:
    return Problem(401, message, attributes={"error": message})


def too_many_requests() -> Problem:
    return Problem(429, "Global limit has been reached", error_code="too_many_requests")
