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


def invalid_values(name: str, offending: list[str]) -> AvidTrakError:
    """invalid_parameter for a list parameter: the offending values as sent."""
    return AvidTrakError("invalid_parameter", f"Invalid value for parameter: {name}", parameter=name,
                         values=offending)


def nothing_to_update() -> AvidTrakError:
    return AvidTrakError("nothing_to_update", "Provide at least one parameter to update")


def invalid_client_pin() -> AvidTrakError:
    return AvidTrakError("invalid_client_pin", "client_pin does not belong to a client of this agency")


def invalid_sid(sids: list[str]) -> AvidTrakError:
    return AvidTrakError("invalid_sid", "Invalid sid", sids=sids)


def multiple_sid_not_allowed() -> AvidTrakError:
    return AvidTrakError("multiple_sid_not_allowed", "Only one sid is allowed for this method")


def quantity_exceeded() -> AvidTrakError:
    return AvidTrakError("quantity_exceeded", "Maximum quantity is 30")


def unsupported_country(country: str) -> AvidTrakError:
    return AvidTrakError("unsupported_country", f"Country not supported: {country}", parameter="country")


def number_unavailable(numbers: list[str]) -> AvidTrakError:
    return AvidTrakError("number_unavailable", "Number not available for purchase", numbers=numbers)


def number_type_mismatch(numbers: list[str]) -> AvidTrakError:
    return AvidTrakError("number_type_mismatch", "Number does not match number_type", numbers=numbers)


def insufficient_balance(required: str, balance: str) -> AvidTrakError:
    return AvidTrakError("insufficient_balance", "Insufficient balance", required=required, balance=balance)


def account_suspended() -> AvidTrakError:
    return AvidTrakError("account_suspended", "Account is suspended because the balance is below zero")


def provider_error() -> AvidTrakError:
    return AvidTrakError("provider_error", "Telephone company error, please try again later")


def invalid_date(name: str) -> AvidTrakError:
    return AvidTrakError("invalid_date", f"Invalid date for parameter: {name}", parameter=name)


def invalid_date_range() -> AvidTrakError:
    return AvidTrakError("invalid_date_range", "startdate must not be later than enddate")


def no_parent_agency() -> AvidTrakError:
    return AvidTrakError("no_parent_agency", "location=agency is only allowed for clients under an agency")


def forward_loop(name: str) -> AvidTrakError:
    return AvidTrakError("forward_loop", "A receiving number cannot be one of your tracking numbers", parameter=name)


def array_length_mismatch() -> AvidTrakError:
    return AvidTrakError("array_length_mismatch",
                         "extension[] and label[] cannot have more entries than forwarding_number[]")


def too_many_entries(maximum: int) -> AvidTrakError:
    return AvidTrakError("too_many_entries", f"Too many entries (maximum {maximum})", max=maximum)


def duplicate_entry(name: str) -> AvidTrakError:
    return AvidTrakError("duplicate_entry", "Duplicate receiving number", parameter=name)


def round_robin_not_found() -> AvidTrakError:
    return AvidTrakError("round_robin_not_found", "Round robin entry not found")


def number_not_lite(sids: list[str]) -> AvidTrakError:
    return AvidTrakError("number_not_lite", "Number is assigned to an online (pro) type", sids=sids)


def number_is_lite(sids: list[str]) -> AvidTrakError:
    return AvidTrakError("number_is_lite", "Lite numbers cannot be allocated to a metro site", sids=sids)


def metro_allocated(sids: list[str]) -> AvidTrakError:
    return AvidTrakError("metro_allocated", "Number is allocated to a metro site", sids=sids)


def already_allocated(sids: list[str]) -> AvidTrakError:
    return AvidTrakError("already_allocated", "Number is already allocated to another metro site", sids=sids)


def site_not_found() -> AvidTrakError:
    return AvidTrakError("site_not_found", "Metro site not found")


def site_number_exists() -> AvidTrakError:
    return AvidTrakError("site_number_exists", "Site number already exists")


def ambiguous_request() -> AvidTrakError:
    return AvidTrakError("ambiguous_request", "Provide either site_number or site_id, not both")


def not_found() -> AvidTrakError:
    return AvidTrakError("not_found", "Nothing to delete")


# Not in the vendor's catalogue (polytrack additions, documented in docs/avidtrak.md).

def not_implemented(method: str) -> AvidTrakError:
    return AvidTrakError("not_implemented", f"Method not implemented yet: {method}")


def rate_limited() -> AvidTrakError:
    return AvidTrakError("rate_limited", "Too many requests, please slow down")


def internal_error() -> AvidTrakError:
    return AvidTrakError("internal_error", "Internal error")
