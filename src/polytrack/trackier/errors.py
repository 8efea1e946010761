"""Trackier's application error codes, their messages and the HTTP status each one travels with.

Codes and messages are the vendor's table. The docs never show an error body; ours follows the
error object of Trackier's early PHP controller (docs/trackier.md, "Error body and messages").
"""

from __future__ import annotations

MESSAGES = {
    0: "Success",
    5: "Insufficient Permission",
    11: "Operation Not allowed",
    12: "Unauthorized Request",
    13: "Invalid API Key",
    20: "Request Parameter Error",
    30: "Bad Request",
    31: "Resource Not Found",
    32: "Invalid Request Method",
    33: "Duplicated Resource",
    40: "Too Many Request",
    41: "Request IP Not Whitelisted",
    42: "Account is locked",
    50: "System upgrade",
    51: "Server Internal Error",
    60: "Illegal Operation",
}

STATUS = {
    5: 403, 11: 403, 41: 403, 42: 403, 60: 403,
    12: 401, 13: 401,
    20: 400, 30: 400, 33: 400,
    31: 404,
    32: 405,
    40: 429,
    50: 503,
    51: 500,
}

# Spellings used by the code below, so a reader need not remember the numbers.
INSUFFICIENT_PERMISSION = 5
UNAUTHORIZED = 12
INVALID_API_KEY = 13
PARAMETER_ERROR = 20
BAD_REQUEST = 30
NOT_FOUND = 31
INVALID_METHOD = 32
DUPLICATED = 33
TOO_MANY_REQUESTS = 40
IP_NOT_WHITELISTED = 41
ACCOUNT_LOCKED = 42
INTERNAL_ERROR = 51


class TrackierError(Exception):
    """A failure with one of the vendor's codes. `errors` (field -> [messages]) goes to data.errors;
    `status` overrides the code's usual HTTP status (501 for an unknown URI)."""

    def __init__(self, code: int, *, errors: dict | None = None, status: int | None = None,
                 headers: dict | None = None):
        super().__init__(MESSAGES[code])
        self.code = code
        self.message = MESSAGES[code]
        self.errors = errors
        self.status = status or STATUS.get(code, 400)
        self.headers = headers

    def body(self) -> dict:
        data: dict = {"message": self.message}
        if self.errors is not None:
            data["errors"] = self.errors
        return {"success": False, "error": {"code": self.code, "message": self.message}, "data": data}


def invalid(errors: dict[str, list[str]]) -> TrackierError:
    """Validation failure: 400, code 20, the messages per field in data.errors."""
    return TrackierError(PARAMETER_ERROR, errors=errors)


def too_many_requests(retry_after: float) -> TrackierError:
    """429, code 40, with the seconds to wait: the rate limit's answer, and the failed-key
    throttle's (an address that sent too many unknown keys)."""
    return TrackierError(TOO_MANY_REQUESTS, headers={"Retry-After": str(int(retry_after))})
