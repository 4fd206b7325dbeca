"""Pure rules of the platform: emails, search fragments, weekly series, plan gates, tokens."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.tokens import TokenVerifier
from chalicelib.domain.catalogue import weekly_occurrences
from chalicelib.domain.customers import matches, search_fragments, search_key
from chalicelib.domain.emails import normalise_email, split_email_list
from chalicelib.domain.errors import InvalidInputError, InvalidTokenError, PlanRequiredError
from chalicelib.domain.tenancy import Business, Feature, Plan


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  Jane.Doe@Example.COM ", "jane.doe@example.com"),
        ("Jane Doe <jane@example.org>", "jane@example.org"),
        ("jane@example.org,", "jane@example.org"),
        ("not-an-email", None),
        ("a@b", None),
        ("two@@example.org", None),
        ("spaces in@example.org", None),
        ("", None),
    ],
)
def test_normalise_email(raw, expected):
    assert normalise_email(raw) == expected


def test_split_pasted_list_of_addresses():
    text = "a@x.org, b@x.org;c@x.org\nJane <d@x.org>\n\n e@x.org  f@x.org"
    assert split_email_list(text) == ["a@x.org", "b@x.org", "c@x.org", "Jane <d@x.org>", "e@x.org", "f@x.org"]


def test_search_fragments_find_any_substring_of_a_word():
    frags = search_fragments("Jane Doe", "jane.doe@example.com")
    for q in ("jane", "ane", "doe", "exam", "ample", "jane.doe@example.com"):
        assert any(f.startswith(search_key(q)) for f in frags), q
    assert not any(f.startswith("zzz") for f in frags)


def test_search_key_uses_longest_word_and_match_checks_the_whole_query():
    assert search_key("Jane  DOE") == "jane"
    assert matches("jane d", "Jane Doe", "j@x.org")
    assert not matches("jane x", "Jane Doe", "j@x.org")


def test_weekly_series_same_wall_clock_time_across_dst():
    berlin = ZoneInfo("Europe/Berlin")
    starts = weekly_occurrences(datetime(2030, 10, 20, 18, 0), date(2030, 11, 3), berlin)
    # Berlin leaves summer time on 27 October 2030.
    assert [s.hour for s in starts] == [16, 17, 17]
    assert all(s.astimezone(berlin).hour == 18 for s in starts)


def test_series_until_before_start_is_refused():
    with pytest.raises(InvalidInputError) as exc:
        weekly_occurrences(datetime(2030, 1, 10, 9), date(2030, 1, 1), ZoneInfo("UTC"))
    assert exc.value.details["field"] == "until"


def test_free_plan_gets_a_402_naming_the_plan_it_needs():
    free = Business("b", "B", Plan.FREE, "UTC")
    with pytest.raises(PlanRequiredError) as exc:
        free.require(Feature.MEMBERSHIPS)
    assert exc.value.status == 402 and exc.value.details["required_plan"] == "standard"
    Business("b", "B", Plan.STANDARD, "UTC").require(Feature.MEMBERSHIPS)
    Business("b", "B", Plan.PREMIUM, "UTC").require(Feature.PASSES)


class TestTokens:
    verifier = TokenVerifier(audience="api", dev_secret="s" * 32)

    def test_tokens_say_who_the_person_is_and_nothing_more(self):
        """``role``/``business_id`` (and Cognito's user-editable ``custom:*``) are dropped: an edited
        claim gives nothing, what a person may do comes from the staff records."""
        edited = self.verifier.verify(self.verifier.mint(
            {"sub": "u1", "role": "staff", "business_id": "b1", "custom:role": "staff", "custom:business_id": "b1"}))
        assert edited == {"sub": "u1"}
        booker = self.verifier.verify(
            self.verifier.mint({"sub": "u2", "role": "booker", "email": "Ann@X.org", "email_verified": True})
        )
        assert booker == {"sub": "u2", "email": "ann@x.org"}

    @pytest.mark.parametrize("verified", [False, "false", None])
    def test_an_unverified_email_is_not_an_identity(self, verified):
        claims = {"sub": "u", "email": "a@x.org", **({"email_verified": verified} if verified is not None else {})}
        assert self.verifier.verify(self.verifier.mint(claims)) == {"sub": "u"}

    @pytest.mark.parametrize(
        "claims",
        [
            {"sub": "u", "email": "Mallory <victim@example.com>", "email_verified": True},
            {"sub": "u", "email": "victim@example.com, mallory@evil.example", "email_verified": True},
            {"sub": "u", "email": "not-an-address", "email_verified": True},
            {"sub": "u", "aud": "other"},
            {"sub": "u", "exp": 1000},
            {"role": "staff", "business_id": "b"},
        ],
    )
    def test_refused_claims(self, claims):
        with pytest.raises(InvalidTokenError):
            self.verifier.verify(self.verifier.mint(claims))

    def test_unsigned_and_foreign_key_tokens_are_refused(self):
        import jwt

        body = {"sub": "u", "role": "staff", "business_id": "b", "aud": "api", "exp": 4102444800}
        none_alg = jwt.encode(body, key=None, algorithm="none")
        with pytest.raises(InvalidTokenError):
            self.verifier.verify(none_alg)
        with pytest.raises(InvalidTokenError):
            self.verifier.verify(jwt.encode(body, "another-secret-another-secret-xx", algorithm="HS256"))
        with pytest.raises(InvalidTokenError):
            self.verifier.verify("")


def test_to_utc_reads_naive_times_in_business_zone():
    from chalicelib.domain.catalogue import to_utc

    assert to_utc(datetime(2030, 7, 1, 12, 0), ZoneInfo("Europe/Berlin")) == datetime(2030, 7, 1, 10, 0, tzinfo=timezone.utc)
    aware = datetime(2030, 7, 1, 12, 0, tzinfo=timezone.utc)
    assert to_utc(aware, ZoneInfo("Europe/Berlin")) == aware
