"""What every channel does to a parent's message before Rasa sees it.

- empty or whitespace-only: a calm reply straight away, nothing sent to Rasa;
- control characters removed, Unicode normalised, very long messages cut to
  MAX_MESSAGE_CHARS (but a risk of harm anywhere in the full text still gets urgent help);
- a link code is sealed into the metadata and the text becomes `/verify`, so the code
  never reaches the tracker store or a log in clear;
- the identity (channel, user id) is signed into the metadata for the actions to check.
Anything the client put in metadata is dropped: only the channel may set it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from bot.safety.crisis import mentions_risk
from bot.security import identity as identity_mod
from bot.security import sealed_codes
from bot.security.identity import Identity

DEFAULT_MAX_CHARS = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

EMPTY_REPLY = {
    "text": "I didn't get any words there. Type your question, or type help to see what I can do.",
    "custom": {"topic": "help"},
}


@dataclass
class Inbound:
    sender_id: str
    text: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    direct_replies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def needs_rasa(self) -> bool:
        return not self.direct_replies


def max_chars() -> int:
    try:
        return max(100, int(os.environ.get("MAX_MESSAGE_CHARS") or DEFAULT_MAX_CHARS))
    except ValueError:
        return DEFAULT_MAX_CHARS


def clean(raw: Any) -> str:
    if not isinstance(raw, str):
        return ""
    text = unicodedata.normalize("NFC", raw)
    return _CONTROL.sub("", text).strip()


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut


def prepare(identity: Identity, raw_text: Any) -> Inbound:
    inbound = Inbound(sender_id=identity.sender_id)
    text = clean(raw_text)
    if not text:
        inbound.direct_replies.append(dict(EMPTY_REPLY))
        return inbound

    code = sealed_codes.find_code(text) if not text.startswith("/") else None
    if code:
        inbound.metadata[sealed_codes.METADATA_KEY] = sealed_codes.seal(code, identity.sender_id)
        text = "/verify"
    elif len(text) > max_chars():
        text = "/crisis" if mentions_risk(text) else _shorten(text, max_chars())

    inbound.text = text
    inbound.metadata[identity_mod.METADATA_KEY] = identity_mod.sign(identity, text)
    return inbound
