"""Identity signing, sealed link codes and what every channel does to a message first."""

from __future__ import annotations

import time

import pytest

from bot.channels.inbound import EMPTY_REPLY, prepare
from bot.security import identity as identity_mod
from bot.security import sealed_codes
from bot.security.identity import Identity, verified_identity

ALICE = Identity("telegram", "1001")


def latest(text: str, claim: dict | None) -> dict:
    return {"text": text, "metadata": {identity_mod.METADATA_KEY: claim} if claim is not None else {}}


def test_a_signed_identity_is_verified():
    claim = identity_mod.sign(ALICE, "/plan_status")
    assert verified_identity("telegram:1001", latest("/plan_status", claim)) == ALICE


@pytest.mark.parametrize(
    "sender, text, tamper",
    [
        ("rest:telegram:1001", "/plan_status", {}),  # replayed into another conversation
        ("telegram:1001", "/next_review_date", {}),  # signature was for different text
        ("telegram:1001", "/plan_status", {"user_id": "1002"}),  # claims another user
        ("telegram:1001", "/plan_status", {"sig": "0" * 64}),  # forged signature
        ("telegram:1001", "/plan_status", {"ts": "soon"}),  # malformed
    ],
)
def test_forged_or_replayed_identities_are_refused(sender, text, tamper):
    claim = {**identity_mod.sign(ALICE, "/plan_status"), **tamper}
    assert verified_identity(sender, latest(text, claim)) is None


def test_stale_and_missing_identities_are_refused():
    old = identity_mod.sign(ALICE, "hi", now=time.time() - identity_mod.MAX_AGE_SECONDS - 5)
    assert verified_identity("telegram:1001", latest("hi", old)) is None
    assert verified_identity("telegram:1001", latest("hi", None)) is None
    assert verified_identity("telegram:1001", {"text": "hi", "metadata": "junk"}) is None


def test_identity_needs_the_server_key(monkeypatch):
    claim = identity_mod.sign(ALICE, "hi")
    monkeypatch.setenv("SEN_SECRET_KEY", "another-key-of-sufficient-length-0123456789")
    assert verified_identity("telegram:1001", latest("hi", claim)) is None
    monkeypatch.setenv("SEN_SECRET_KEY", "short")
    assert verified_identity("telegram:1001", latest("hi", claim)) is None


@pytest.mark.parametrize(
    "text, code",
    [
        ("my code is K7M4P-Q9XZ2", "K7M4PQ9XZ2"),
        ("k7m4pq9xz2", "K7M4PQ9XZ2"),
        ("code: K7M4P Q9XZ2 thanks", "K7M4PQ9XZ2"),
        ("what is an assessment", None),  # ten letters, no digit
        ("ASSESSMENT", None),
        ("call 07700900123", None),  # digits only
        ("K7M4P-Q9XZ2X", None),  # too long
        ("K0M4P-Q9XZ2", None),  # 0 is not in the alphabet
    ],
)
def test_codes_are_recognised_only_when_code_shaped(text, code):
    assert sealed_codes.find_code(text) == code


def test_sealed_code_opens_only_for_its_conversation():
    token = sealed_codes.seal("K7M4PQ9XZ2", "telegram:1001")
    assert "K7M4PQ9XZ2" not in token
    assert sealed_codes.open_sealed(token, "telegram:1001") == "K7M4PQ9XZ2"
    assert sealed_codes.open_sealed(token, "rest:telegram:1001") is None
    assert sealed_codes.open_sealed(token[:-4] + "AAAA", "telegram:1001") is None
    assert sealed_codes.open_sealed("not base64 !!", "telegram:1001") is None


def test_prepare_replaces_a_code_with_verify_and_seals_it():
    inbound = prepare(ALICE, "hi, the school gave me K7M4P-Q9XZ2")
    assert inbound.text == "/verify"
    assert "K7M4P" not in repr(inbound.metadata)
    assert sealed_codes.open_sealed(inbound.metadata[sealed_codes.METADATA_KEY], "telegram:1001") == "K7M4PQ9XZ2"
    assert verified_identity("telegram:1001", {"text": inbound.text, "metadata": inbound.metadata}) == ALICE


@pytest.mark.parametrize("raw", ["", "   ", "\n\t", None, 42, ["hi"], "\x00\x07"])
def test_prepare_answers_empty_input_directly(raw):
    inbound = prepare(ALICE, raw)
    assert not inbound.needs_rasa
    assert inbound.direct_replies == [EMPTY_REPLY]


def test_prepare_cuts_long_messages_but_keeps_a_risk_at_the_end(monkeypatch):
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "200")
    assert len(prepare(ALICE, "word " * 1000).text) <= 200
    assert prepare(ALICE, "word " * 1000 + "she wants to kill herself").text == "/crisis"


def test_prepare_strips_control_and_direction_characters():
    assert prepare(ALICE, "\u202ewhat\x00 is a senco\u200b").text == "what is a senco"
