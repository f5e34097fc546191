"""Builds the spaCy pipeline Rasa's SpacyNLP loads: English tokenizer + lookup lemmatizer.

spaCy's trained models are not on the package index here, and the assistant needs only
tokens and lemmas, so the project builds a small pipeline from `spacy.blank("en")` and the
lemma tables of `spacy-lookups-data`. Run: `python -m bot.nlp.build_spacy [target_dir]`.
"""

from __future__ import annotations

import sys
from pathlib import Path

PIPELINE_NAME = "en_sen_lookup"
PIPELINE_VERSION = "1.0.0"


def build(target: Path) -> Path:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    nlp.meta["name"] = PIPELINE_NAME.removeprefix("en_")
    nlp.meta["version"] = PIPELINE_VERSION
    nlp.meta["description"] = "Tokenizer and lookup lemmatizer for the SEN Support assistant"
    target.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    return target


def ensure_built(target: Path) -> Path:
    if not (target / "meta.json").exists():
        build(target)
    return target


def main() -> None:
    from bot.config import Settings

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Settings.from_env().spacy_model_dir
    build(target)
    print(f"spaCy pipeline written to {target}")


if __name__ == "__main__":
    main()
