"""C4: phone numbers are stored in E.164 (phonenumbers), and a bad one is a 400 naming ``phone``."""
from __future__ import annotations

import pytest

from chalicelib.domain.errors import InvalidInputError
from chalicelib.services.phones import normalise_phone, phone_country


@pytest.mark.parametrize("raw, region, e164", [
    ("+44 20 7946 0018", None, "+442079460018"),
    ("+49 (030) 1234567", None, "+49301234567"),
    ("+1 415-555-2671", None, "+14155552671"),
    ("020 7946 0018", "GB", "+442079460018"),  # a national number with the business's country
    ("  +33 6 12 34 56 78 ", None, "+33612345678"),
])
def test_numbers_are_stored_in_e164(raw, region, e164):
    assert normalise_phone(raw, region) == e164


@pytest.mark.parametrize("raw", [
    "020 7946 0018",  # no country code and no country to assume
    "+44 12",  # too short for the UK
    "+999 1234567",  # no such country code
    "call me",
    "+",
])
def test_a_number_that_cannot_be_dialled_is_refused_naming_phone(raw):
    with pytest.raises(InvalidInputError) as bad:
        normalise_phone(raw)
    assert bad.value.details == {"field": "phone"}


def test_a_national_number_is_read_in_the_business_country():
    assert normalise_phone("030 1234567", "DE") == "+49301234567"
    assert normalise_phone("0151 23456789", "DE") == "+4915123456789"
    assert normalise_phone("+44 20 7946 0018", "DE") == "+442079460018"  # a "+" number keeps its own country


def test_a_national_number_without_a_business_country_is_refused_naming_phone():
    with pytest.raises(InvalidInputError) as bad:
        normalise_phone("030 1234567", None)
    assert bad.value.details == {"field": "phone"}


@pytest.mark.parametrize("raw, code", [("DE", "DE"), ("de", "DE"), (" gb ", "GB"), ("US", "US")])
def test_a_business_country_is_an_iso_alpha_2_code(raw, code):
    assert phone_country(raw) == code


@pytest.mark.parametrize("raw", ["DEU", "D", "XX", "49", "Germany", "00"])
def test_an_unknown_country_is_refused_naming_country(raw):
    with pytest.raises(InvalidInputError) as bad:
        phone_country(raw)
    assert bad.value.details == {"field": "country"}
