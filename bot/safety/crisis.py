"""Recognises messages that say a child (or anyone) is at risk of harm.

The NLU model also has a `crisis` intent; these patterns are the safety net under it, so
that a message naming a risk gets urgent help first even when it also asks something
else ("my son says he wants to die, and when is his review?"). They aim at phrases that
are hard to read innocently; the model handles the rest. Tests: tests/test_crisis.py
with tests/crisis_phrasings.txt and tests/not_crisis_phrasings.txt.
"""

from __future__ import annotations

import re

_SELF = r"(?:him|her|my|your|them|our)sel(?:f|ves)"
_PERSON = r"(?:him|her|me|them|us|(?:my|his|her|their) (?:(?:little|baby|big|older|younger) )?(?:son|daughter|child|kid|boy|girl|sister|brother|baby))"
_HARM_VERB = r"(?:kil+|hurt|harm|cut|burn|scratch|punch|hit|bit|bite|bang|starv|strangl|chok|poison)\w*"

_PATTERNS = [
    # suicide and self-harm
    rf"\b{_HARM_VERB} {_SELF}\b",
    r"\bbanging (?:his|her|their) head\b|\buntil (?:it|they) bleeds?\b|\bblood (?:on|all over)\b|\bscratch(?:es|ing)? (?:all over |on )?(?:his|her|their) (?:arms?|legs?|wrists?)\b",
    r"\bsuicid",
    r"\b(?:want|wants|wanted|wanting)(?: ?to| ?ta|na)? (?:die|be dead|end it|end (?:his|her|my|their) life)\b",
    r"\b(?:end|ending|ended) (?:it all|(?:his|her|my|their) (?:own )?life)\b",
    r"\bself[- ]?harm",
    r"\bcutting (?:again|him|her|them|my|his|her|their|on)\b|\bcut(?:s|ting)? (?:him|her|my|them)sel(?:f|ves)\b|\bcutting (?:his|her|their) (?:arms?|legs?|wrists?)\b",
    rf"\bhurt(?:s|ing)? {_SELF}\b|\bharm(?:s|ing)? {_SELF}\b",
    r"\boverdos",
    # Medicines: taking them is everyday; a lot of them, hidden, or all at once is not.
    r"\b(?:took|taken|swallowed|found|hidden|hiding|stockpil\w*) (?:a (?:load|pile|stash) of |loads of |some |all (?:of )?(?:the |his |her |my |their )?)?(?:pills|tablets)\b",
    r"\b(?:take|taking) (?:a (?:load|pile|lot|handful|packet|box) of |loads of |lots of |all (?:of )?(?:the |his |her |my |their )?)(?:pills|tablets|paracetamol|ibuprofen|painkillers|medication|meds)\b",
    r"\b(?:pills|tablets)\b.*\b(?:hidden|hiding|a note)\b",
    r"\b(?:took|taken|swallowed|overdosed on) (?:a (?:load|lot|pile|handful|packet|box) of |loads of |lots of |all (?:of )?(?:the |his |her |my |their )?)?(?:paracetamol|ibuprofen|aspirin|painkillers|medication|meds|antidepressants|sleeping pills)\b",
    r"\b(?:goodbye|suicide) (?:note|letter|message)\b|\bleft (?:a|me a) note (?:saying|to say) (?:goodbye|sorry)\b",
    r"\b(?:drank|drunk|swallowed|drinking) (?:bleach|poison|antifreeze)\b",
    r"\b(?:doesn'?t|don'?t|does not|do not|didn'?t) want to (?:be here|live|be alive|exist|wake up)\b",
    r"\bbetter off without (?:me|him|her|them|us)\b",
    r"\bno (?:point|reason) (?:in |to )?(?:living|going on|being alive|being here|anything)\b",
    r"\bnot (?:being|be) (?:here|alive) any ?more\b",
    r"\b(?:going to|gonna|about to|wants? to|will) end it\b",
    r"\b(?:wish(?:es|ed)?|rather|'d rather|would rather) (?:(?:he|she|i|they) (?:was|were) |be )?dead\b|\b(?:rather|want to|wants to) die\b",
    r"\b(?:doesn'?t|don'?t|does not|do not) deserve to (?:live|be alive|be here)\b|\bdeserves? to die\b",
    r"\b(?:better off|happier) (?:if|when) (?:he|she|i|they) (?:was|were|am|is) (?:gone|dead|not here)\b",
    r"\b(?:sleep|go to sleep) and never wake up\b",
    r"\b(?:noose|hang (?:him|her|my|them)sel(?:f|ves))\b",
    r"\bjump (?:off|in front of)\b",
    r"\bnot safe (?:at home|with)\b|\bunsafe at home\b|\b(?:scared|afraid|frightened|terrified) to go home\b",
    r"\bin (?:immediate |real )?danger\b",
    r"\bat risk of (?:harm|abuse)\b",
    # abuse and violence towards a person
    rf"\b(?:hits|hitting|beats|beating|beat up|punch(?:es|ing|ed)?|kick(?:s|ing|ed)|chok(?:es|ing|ed)|strangl\w*|burn(?:s|ing|t|ed)) {_PERSON}\b",
    rf"\b(?:hit|hurt|hurting|hurts|abused|abusing|abuses) {_PERSON}\b(?! (?:feelings|knee|leg|arm|ankle|wrist|back|head in pe))",
    r"\babus(?:e|ed|ing|ive)\b(?! of process)",
    r"\bbeen touching (?:him|her|them|my (?:son|daughter|child))\b|\b(?:keep|keeping) it (?:a )?secret\b|\btouch(?:ing|ed|es)? (?:him|her|them|my (?:son|daughter|child)) (?:inappropriately|down there|sexually)\b|\b(?:sexual(?:ly)? (?:abus|assault|touch))|\bgroom(?:ed|ing)\b",
    r"\bthreat(?:en|ened|ening|ens) to (?:kill|hurt|stab)\b",
    r"\b(?:knife|knives|weapon)\b.*\b(?:school|home|him|her|himself|herself|threat\w*|carry|carrying|use it)\b|\b(?:carrying|carries|brought|has) a (?:knife|weapon)\b",
    r"\b(?:can'?t|cannot|can not) (?:keep (?:him|her|them) safe|find (?:him|her|them|my))\b",
    r"\b(?:gone missing|is missing|ran away from home|run away from home)\b",
    r"\b(?:not breathing|unconscious|passed out|collapsed)\b",
    r"\b(?:bruises|bruising|marks on (?:his|her|their) (?:arms?|legs?|body|wrists?))\b",
    # a parent at risk themselves
    r"\b(?:i|i'?m|im) (?:can'?t|cannot) (?:cope|go on)\b.*\b(?:end|die|kill|hurt|anymore|any more)\b",
    r"\b(?:thought|thinking|think) (?:about|of) (?:ending it|killing|hurting|taking (?:all )?my|not being here)\b",
    r"\b(?:breaking point|can'?t go on)\b.*\b(?:pills|tablets|end|die|hurt)\b",
]

_COMPILED = [re.compile(pattern) for pattern in _PATTERNS]


def normalise(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").replace("\u2018", "'").split())


def mentions_risk(text: str) -> bool:
    """True if the message names a risk of harm to a child or anyone."""
    if not text:
        return False
    lowered = normalise(text)
    return any(pattern.search(lowered) for pattern in _COMPILED)
