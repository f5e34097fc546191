"""Link codes, identity keys and message references: random values and their keyed hashes.

- A link code is 10 characters from sealed_codes.CODE_ALPHABET with at least one digit and
  one letter (so `find_code` spots it in a chat message), shown to people as XXXXX-XXXXX.
  29^10 is about 4 x 10^14 codes. Only HMAC-SHA256(code) under the "link-code-hash-v1" key
  is stored; the code itself is printed once, for the school to hand to the parent.
- An identity key is HMAC-SHA256(channel, user id) under its own key: the records database
  never holds a Telegram or WhatsApp user id (a WhatsApp id is a phone number), yet the
  same person always maps to the same key, for bindings, lockout and the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from bot.security.identity import Identity
from bot.security.keys import derived_key
from bot.security.sealed_codes import CODE_ALPHABET, CODE_LENGTH, normalise_code

LINK_CODE_PURPOSE = "link-code-hash-v1"
IDENTITY_PURPOSE = "identity-key-v1"
_DIGITS = {ch for ch in CODE_ALPHABET if ch.isdigit()}
_LETTERS = {ch for ch in CODE_ALPHABET if ch.isalpha()}
_ALPHABET_SET = set(CODE_ALPHABET)
REFERENCE_ALPHABET = CODE_ALPHABET
REFERENCE_PREFIX = "MSG-"


def new_link_code() -> str:
    """A fresh random code (10 characters, at least one digit and one letter)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if any(ch in _DIGITS for ch in code) and any(ch in _LETTERS for ch in code):
            return code


def display_code(code: str) -> str:
    code = normalise_code(code)
    return f"{code[:5]}-{code[5:]}"


def well_formed(code: str) -> bool:
    code = normalise_code(code or "")
    return len(code) == CODE_LENGTH and set(code) <= _ALPHABET_SET


def hash_link_code(code: str) -> str:
    return hmac.new(derived_key(LINK_CODE_PURPOSE), normalise_code(code).encode("utf-8"), hashlib.sha256).hexdigest()


def codes_match(stored_hash: str, code: str) -> bool:
    return hmac.compare_digest(stored_hash.encode("ascii"), hash_link_code(code).encode("ascii"))


def identity_key(identity: Identity) -> str:
    message = f"{identity.channel}\x00{identity.user_id}".encode("utf-8")
    return hmac.new(derived_key(IDENTITY_PURPOSE), message, hashlib.sha256).hexdigest()


def new_reference(length: int = 4) -> str:
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))


def new_ref(prefix: str) -> str:
    """An opaque id for a child or school, safe to put in a button payload."""
    return f"{prefix}_{secrets.token_urlsafe(12)}"
