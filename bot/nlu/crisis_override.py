"""NLU component: a message that names a risk of harm is classified as `crisis`, whatever else it asks.

Runs after the intent classifier and before the FallbackClassifier in config.yml.
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
            if mentions_risk(message.get(TEXT) or ""):
                self._mark_crisis(message)
        return messages

    @staticmethod
    def _mark_crisis(message: Message) -> None:
        ranking = [item for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name") != CRISIS_INTENT]
        top = {"name": CRISIS_INTENT, "confidence": 1.0}
        message.set(INTENT, top, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [top] + ranking, add_to_output=True)
