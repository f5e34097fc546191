"""Link codes, identity keys and weekly hours: the pure parts of the records connector."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest

from bot.backend import codes
from bot.schedule.hours import HoursError, parse_hours
from bot.security import sealed_codes
from bot.security.identity import Identity
from bot.security.keys import derived_key


def test_codes_are_ten_unambiguous_characters_with_a_digit_and_a_letter():
    seen = set()
    for _ in range(500):
        code = codes.new_link_code()
        assert len(code) == 10
        assert set(code) <= set(sealed_codes.CODE_ALPHABET)
        assert any(ch.isdigit() for ch in code) and any(ch.isalpha() for ch in code)
        seen.add(code)
    assert len(seen) == 500  # random, not a sequence


@pytest.mark.parametrize("typed", ["{a}-{b}", "{a} {b}", "{a}{b}", "my code is {al}-{bl} thanks"])
def test_the_channel_recognises_a_printed_code_however_it_is_typed(typed):
    code = codes.new_link_code()
    shown = codes.display_code(code)
    assert shown == f"{code[:5]}-{code[5:]}"
    text = typed.format(a=code[:5], b=code[5:], al=code[:5].lower(), bl=code[5:].lower())
    assert sealed_codes.find_code(text) == code


def test_only_a_keyed_hash_of_the_code_is_kept():
    code = codes.new_link_code()
    digest = codes.hash_link_code(code)
    assert code not in digest and code.lower() not in digest
    assert digest != hashlib.sha256(code.encode()).hexdigest()  # keyed, not a plain hash
    assert digest == hmac.new(derived_key("link-code-hash-v1"), code.encode(), hashlib.sha256).hexdigest()
    assert codes.hash_link_code(codes.display_code(code).lower()) == digest  # typing style doesn't matter
    assert codes.codes_match(digest, code) and not codes.codes_match(digest, codes.new_link_code())


def test_identity_keys_separate_channels_and_hide_the_user_id():
    telegram = codes.identity_key(Identity("telegram", "1001"))
    rest = codes.identity_key(Identity("rest", "1001"))
    assert telegram != rest
    assert "1001" not in telegram
    assert codes.identity_key(Identity("telegram", "1001")) == telegram


def test_well_formed():
    assert codes.well_formed("ABCDE-23456")
    assert not codes.well_formed("ABCDE-2345")  # too short
    assert not codes.well_formed("ABCDE-2345O")  # O is not in the alphabet
    assert not codes.well_formed("")


def test_message_references_look_like_msg_and_four_characters():
    ref = codes.new_reference()
    assert ref.startswith("MSG-") and len(ref) == 8 and set(ref[4:]) <= set(sealed_codes.CODE_ALPHABET)


def test_hours_parse_and_describe():
    hours = parse_hours("mon-fri 08:30-15:30")
    assert len(hours.periods) == 5
    assert hours.describe() == "Monday to Friday, 8:30am to 3:30pm"
    assert hours.as_dict()["friday"] == [["08:30", "15:30"]]
    split = parse_hours("mon,tue,thu 08:30-12:00; fri 13:00-15:00")
    assert split.describe() == "Monday, Tuesday and Thursday, 8:30am to 12 noon; Friday, 1pm to 3pm"
    assert split.is_open(dt.datetime(2026, 3, 6, 14, 0))  # Friday 2pm
    assert not split.is_open(dt.datetime(2026, 3, 4, 10, 0))  # Wednesday
    assert parse_hours("").periods == ()


@pytest.mark.parametrize("bad", ["mon-fri 9-5", "funday 08:00-09:00", "mon 10:00-09:00", "fri-mon 08:00-09:00", "mon 25:00-26:00"])
def test_bad_hours_are_refused_with_a_reason(bad):
    with pytest.raises(HoursError):
        parse_hours(bad)
