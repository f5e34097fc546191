"""Intent classifier: TF-IDF weighting of the featurizers' counts, then logistic regression.

Rasa's LogisticRegressionClassifier fits raw counts with a fixed regularisation. Weighting
rare, telling n-grams up (TF-IDF, sublinear term frequency, L2 norm) and choosing C lets
the model lean on distinctive words ("tribunal", "exams", "nursery") over filler that
worried parents write a lot of. Chosen by measurement: docs/pipeline.md.
"""

from __future__ import annotations

from typing import Any, Dict, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfLogisticRegressionClassifier(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 10.0, "max_iter": 1000}

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf = Pipeline(
            [
                ("tfidf", TfidfTransformer(sublinear_tf=True, norm="l2")),
                (
                    "logreg",
                    LogisticRegression(
                        C=float(self.config["C"]),
                        solver=self.config["solver"],
                        max_iter=self.config["max_iter"],
                        class_weight="balanced",
                        tol=self.config["tol"],
                        random_state=self.config["random_state"],
                    ),
                ),
            ]
        )

    # skops (used by the parent) drops the fitted IDF weights, so this component stores
    # its own model with joblib. The file is written and read only by this project.
    def persist(self) -> None:
        import joblib

        with self._model_storage.write_to(self._resource) as model_dir:
            joblib.dump(self.clf, model_dir / f"{self._resource.name}.joblib")

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "TfidfLogisticRegressionClassifier":
        import joblib

        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                component.clf = joblib.load(model_dir / f"{resource.name}.joblib")
        except (ValueError, FileNotFoundError):
            pass  # not trained yet: Rasa calls load before training too
        return component
