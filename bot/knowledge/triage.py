"""What to do when the model is unsure (nlu_fallback): one decision, used by the action and the evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field

# A topic is offered as "Did you mean ...?" only if the model gives it at least this much.
CANDIDATE_FLOOR = 0.08
MAX_CANDIDATES = 3


@dataclass(frozen=True)
class Triage:
    kind: str  # "clarify" or "out_of_scope"
    topic: str  # the topic the reply reports (custom.topic)
    candidates: list[str] = field(default_factory=list)
    # The model thought this might be about a risk of harm, but not surely: the reply
    # starts with the urgent numbers and offers the urgent-help answer as a button.
    safety_first: bool = False


def triage(intent_ranking: list[dict], answerable: set[str]) -> Triage:
    ranking = [item for item in intent_ranking or [] if item.get("name") != "nlu_fallback"]
    top = ranking[0].get("name") if ranking else None
    safety_first = any(
        item.get("name") == "crisis" and float(item.get("confidence") or 0.0) >= CANDIDATE_FLOOR for item in ranking[:MAX_CANDIDATES]
    )
    candidates = [
        item["name"]
        for item in ranking
        if item.get("name") in answerable and float(item.get("confidence") or 0.0) >= CANDIDATE_FLOOR
    ][:MAX_CANDIDATES]
    if not candidates or top == "out_of_scope":
        return Triage("out_of_scope", "out_of_scope", safety_first=safety_first)
    return Triage("clarify", candidates[0], candidates, safety_first=safety_first)


def reply_topic(parse: dict, answerable: set[str]) -> str:
    """The custom.topic the assistant's reply to this NLU parse carries."""
    intent = (parse.get("intent") or {}).get("name")
    if intent != "nlu_fallback":
        return intent
    return triage(parse.get("intent_ranking") or [], answerable).topic
