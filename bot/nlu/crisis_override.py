"""NLU component: the final say on `crisis`, after the intent classifier and before the FallbackClassifier.

- A message that names a risk of harm (bot.safety.crisis) is `crisis`, whatever else it asks.
- A `crisis` guess from the model alone, below MODEL_CRISIS_MIN, becomes `nlu_fallback`:
  worried parents write a lot of sad, upset messages that are not a risk of harm, and
  the "Did you mean ...?" reply that follows still puts urgent help first
  (bot.knowledge.triage), so nobody at risk is left without it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.safety.crisis import mentions_risk

CRISIS_INTENT = "crisis"
MODEL_CRISIS_MIN = 0.5


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class CrisisOverride(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "CrisisOverride":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if mentions_risk(message.get(TEXT) or ""):
                self._mark_crisis(message)
            elif intent.get("name") == CRISIS_INTENT and float(intent.get("confidence") or 0.0) < MODEL_CRISIS_MIN:
                message.set(INTENT, {"name": "nlu_fallback", "confidence": intent.get("confidence")}, add_to_output=True)
        return messages

    @staticmethod
    def _mark_crisis(message: Message) -> None:
        ranking = [item for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name") != CRISIS_INTENT]
        top = {"name": CRISIS_INTENT, "confidence": 1.0}
        message.set(INTENT, top, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [top] + ranking, add_to_output=True)
