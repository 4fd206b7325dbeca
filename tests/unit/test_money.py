"""Money in emails by the currency's minor-unit exponent, not a fixed two decimals."""
from chalicelib.domain.money import exponent, format_money


def test_exponents():
    assert (exponent("JPY"), exponent("eur"), exponent("BHD")) == (0, 2, 3)


def test_format_by_exponent():
    assert format_money(1999, "eur") == "19.99 EUR"
    assert format_money(500, "JPY") == "500 JPY"
    assert format_money(1500, "bhd") == "1.500 BHD"
    assert format_money(5, "EUR") == "0.05 EUR"
    assert format_money(-250, "usd") == "-2.50 USD"
