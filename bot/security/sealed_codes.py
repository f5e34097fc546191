"""Link codes typed by a parent never reach the tracker store or the logs in clear.

The channel spots a code in the message, replaces the whole message with `/verify`, and
puts the code in the metadata sealed with AES-GCM under the server key, bound to the
conversation (sender id) it arrived on. Only the action server can open it, and only for
that conversation.
"""

from __future__ import annotations

import base64
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.security.keys import derived_key

METADATA_KEY = "sen_link_code"
_PURPOSE = "link-code-seal-v1"

# The alphabet link codes are made from: no 0/O, 1/I/L, or U/V lookalikes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
CODE_LENGTH = 10
_CODE_CHARS = f"[{CODE_ALPHABET}{CODE_ALPHABET.lower()}]"
# XXXXX-XXXXX, XXXXX XXXXX or XXXXXXXXXX, on its own (not inside a longer word).
_CODE_RE = re.compile(rf"(?<![A-Za-z0-9])({_CODE_CHARS}{{5}})[- ]?({_CODE_CHARS}{{5}})(?![A-Za-z0-9])")


def normalise_code(raw: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", raw).upper()


def find_code(text: str) -> str | None:
    """The first thing in `text` shaped like a link code (letters and at least one digit)."""
    for match in _CODE_RE.finditer(text or ""):
        candidate = normalise_code(match.group(0))
        if any(ch.isdigit() for ch in candidate) and any(ch.isalpha() for ch in candidate):
            return candidate
    return None


def seal(code: str, sender_id: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(derived_key(_PURPOSE)).encrypt(nonce, code.encode("utf-8"), sender_id.encode("utf-8"))
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def open_sealed(token: str, sender_id: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
        return AESGCM(derived_key(_PURPOSE)).decrypt(raw[:12], raw[12:], sender_id.encode("utf-8")).decode("utf-8")
    except (InvalidTag, ValueError, TypeError, UnicodeError):
        return None
