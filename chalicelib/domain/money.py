"""Amounts in minor units, shown in major units by each currency's own exponent (ISO 4217)."""
from __future__ import annotations

# Currencies whose minor unit is not 1/100 of the major unit; every other one has two decimals.
MINOR_UNIT_EXPONENT: dict[str, int] = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                     "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


def exponent(currency: str) -> int:
    return MINOR_UNIT_EXPONENT.get(currency.upper(), 2)


def format_money(amount_minor: int, currency: str) -> str:
    """``1999, "eur"`` -> ``"19.99 EUR"``; ``500, "JPY"`` -> ``"500 JPY"``; ``1500, "BHD"`` -> ``"1.500 BHD"``."""
    digits = exponent(currency)
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(amount_minor), 10**digits)
    shown = f"{major}.{minor:0{digits}d}" if digits else str(major)
    return f"{sign}{shown} {currency.upper()}"
