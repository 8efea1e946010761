"""AvidTrak's code-0 error detail: `data = {error, message, ...extra keys}`.

Domain code raises AvidTrakError; wire.py renders it as
`{"code":0,"status":"Unknown Error","data":{"error":..., "message":..., ...}}`.
"""

from __future__ import annotations


class AvidTrakError(Exception):
    def __init__(self, error: str, message: str, **extra):
        super().__init__(message)
        self.error = error
        self.message = message
        self.extra = extra  # keys after `message`, in catalogue order

    def detail(self) -> dict:
        return {"error": self.error, "message": self.message, **self.extra}


def missing_parameter(name: str) -> AvidTrakError:
    return AvidTrakError("missing_parameter", f"Missing required parameter: {name}", parameter=name)


def invalid_parameter(name: str) -> AvidTrakError:
    return AvidTrakError("invalid_parameter", f"Invalid value for parameter: {name}", parameter=name)


def no_data() -> AvidTrakError:
    return AvidTrakError("no_data", "No data found")


def agency_only() -> AvidTrakError:
    return AvidTrakError("agency_only", "This method is only available with an agency pincode")


def pro_account_required() -> AvidTrakError:
    return AvidTrakError("pro_account_required", "This method is not available for lite accounts")


def userid_exists() -> AvidTrakError:
    return AvidTrakError("userid_exists", "User ID already exists")


# Not in the vendor's catalogue (polytrack additions, documented in docs/avidtrak.md).

def not_implemented(method: str) -> AvidTrakError:
    return AvidTrakError("not_implemented", f"Method not implemented yet: {method}")


def rate_limited() -> AvidTrakError:
    return AvidTrakError("rate_limited", "Too many requests, please slow down")


def internal_error() -> AvidTrakError:
    return AvidTrakError("internal_error", "Internal error")
