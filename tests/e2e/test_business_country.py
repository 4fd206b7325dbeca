"""C4: a business's country (ISO 3166-1 alpha-2, staff settings) lets staff and bookers give phone
numbers without "+": they are read as numbers of that country and stored in E.164."""
from __future__ import annotations

from tests.conftest import booker_token, make_business, staff_token

BIZ = "biz-country"


def test_national_numbers_are_read_in_the_business_country_once_it_is_set(api):
    make_business(BIZ)
    staff = staff_token(BIZ)
    api.call("POST", "/v1/manage/customers", staff, {"email": "ann@example.com"})
    cat = booker_token("cat@example.com")

    assert api.call("GET", "/v1/manage/business", staff).json["country"] is None
    before = api.call("PATCH", "/v1/manage/customers/ann@example.com", staff, {"phone": "030 1234567"})
    assert before.status_code == 400 and before.json["error"]["field"] == "phone", before.body

    for bad in ("Germany", "XX", "DEU"):
        refused = api.call("PATCH", "/v1/manage/business", staff, {"country": bad})
        assert refused.status_code == 400 and refused.json["error"]["field"] == "country", refused.body
    assert api.call("GET", "/v1/manage/business", staff).json["country"] is None  # nothing half-written

    set_ = api.call("PATCH", "/v1/manage/business", staff, {"country": "de"})
    assert set_.status_code == 200 and set_.json["country"] == "DE", set_.body
    assert api.call("GET", "/v1/manage/business", staff).json["country"] == "DE"

    ann = api.call("PATCH", "/v1/manage/customers/ann@example.com", staff, {"phone": "030 1234567"})
    assert ann.status_code == 200 and ann.json["phone"] == "+49301234567", ann.body
    mine = api.call("PATCH", f"/v1/businesses/{BIZ}/me/contact", cat, {"phone": "0151 23456789"})
    assert mine.status_code == 200 and mine.json["phone"] == "+4915123456789", mine.body
    uk = api.call("PATCH", f"/v1/businesses/{BIZ}/me/contact", cat, {"phone": "+44 7911 123456"})
    assert uk.json["phone"] == "+447911123456", uk.body  # a "+" number keeps its own country

    cleared = api.call("PATCH", "/v1/manage/business", staff, {"country": ""})
    assert cleared.status_code == 200 and cleared.json["country"] is None, cleared.body
    again = api.call("PATCH", f"/v1/businesses/{BIZ}/me/contact", cat, {"phone": "0151 23456789"})
    assert again.status_code == 400 and again.json["error"]["field"] == "phone", again.body
