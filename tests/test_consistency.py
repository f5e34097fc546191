"""One source of truth: topics, articles, NLU examples, domain intents and rules agree."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import yaml

from bot.knowledge import load_knowledge_base
from bot.knowledge.sync import RULES_FILE

ROOT = Path(__file__).resolve().parent.parent
KB = load_knowledge_base()
MIN_EXAMPLES = 30
EXTRA_INTENTS = {"tell_me_more", "affirm", "deny", "forget_me"}


def _nlu_examples(paths) -> dict[str, list[str]]:
    examples: dict[str, list[str]] = {}
    for path in paths:
        for block in yaml.safe_load(Path(path).read_text(encoding="utf-8")).get("nlu", []):
            if "intent" in block:
                lines = [line[2:].strip() for line in block["examples"].splitlines() if line.strip().startswith("- ")]
                examples.setdefault(block["intent"], []).extend(lines)
    return examples


TRAINING = _nlu_examples(sorted((ROOT / "data" / "nlu").rglob("*.yml")))
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def test_every_topic_has_enough_training_examples():
    all_topics = KB.knowledge_topics + KB.records_topics + KB.conversation_topics
    short = {topic: len(TRAINING.get(topic, [])) for topic in all_topics if len(TRAINING.get(topic, [])) < MIN_EXAMPLES}
    assert short == {}


def test_no_examples_without_a_topic():
    known = set(KB.knowledge_topics + KB.records_topics + KB.conversation_topics) | EXTRA_INTENTS
    assert set(TRAINING) - known == set()


def test_domain_intents_match_the_topics():
    intents = set(DOMAIN["intents"])
    expected = set(KB.knowledge_topics + KB.records_topics + KB.conversation_topics) | EXTRA_INTENTS
    assert intents ^ expected <= {"forget_me"}, intents ^ expected


def test_generated_rules_are_up_to_date():
    result = subprocess.run([sys.executable, "-m", "bot.knowledge.sync", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    rules = yaml.safe_load(RULES_FILE.read_text())["rules"]
    assert {rule["steps"][0]["intent"] for rule in rules} == set(KB.knowledge_topics)


def test_no_example_is_in_two_topics():
    counts = Counter(example.lower() for examples in TRAINING.values() for example in set(examples))
    assert [example for example, count in counts.items() if count > 1] == []


def test_holdout_set_is_kept_apart_from_training():
    holdout = _nlu_examples([ROOT / "tests" / "nlu_holdout.yml"])
    assert sum(len(v) for v in holdout.values()) >= 150
    training = {example.lower() for examples in TRAINING.values() for example in examples}
    overlap = [example for examples in holdout.values() for example in examples if example.lower() in training]
    assert overlap == []


def test_every_response_carries_a_topic():
    for name, variants in DOMAIN["responses"].items():
        for variant in variants:
            assert (variant.get("custom") or {}).get("topic"), name
