"""Customer phone numbers (C4 SMS): parsed and validated by ``phonenumbers`` (Google's libphonenumber
metadata), stored in E.164 so SNS and the opt-out list see one spelling per number."""
from __future__ import annotations

from ..domain.errors import InvalidInputError


def phone_country(raw: str) -> str:
    """``raw`` as an ISO 3166-1 alpha-2 code whose numbers libphonenumber knows (upper case), else 400."""
    import phonenumbers

    code = raw.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInputError(f"'{raw}' is not an ISO 3166-1 alpha-2 country code (e.g. 'DE').", field="country")
    return code


def normalise_phone(raw: str, region: str | None = None) -> str:
    """E.164 of ``raw``; a number without a leading "+" needs ``region`` (ISO 3166 alpha-2), else 400."""
    import phonenumbers  # lazy: its metadata is not the API's cold start

    text = raw.strip()
    if not text.startswith("+") and region is None:
        raise InvalidInputError("Give the phone number with its country code, starting with '+'.", field="phone")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidInputError(f"'{raw}' is not a phone number.", field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInputError(f"'{raw}' is not a valid phone number.", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
