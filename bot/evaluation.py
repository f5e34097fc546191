"""NLU evaluation (`make eval`) and pipeline comparison (`make compare`).

make eval      top-1 topic accuracy on the held-out set (tests/nlu_holdout.yml, never
               trained on), per-topic accuracy, the commonest confusions, per-message
               latency, then Rasa's own 5-fold cross-validation on the training data.
make compare   trains each configuration in configs/ and config.yml (NLU only) and
               reports held-out accuracy, per-message latency and training time.

"Topic" is what the assistant's reply reports in custom.topic: the classified intent, or,
when the model is unsure, the decision of bot.knowledge.triage (the likeliest topic it
offers in "Did you mean ...?", urgent help, or out_of_scope).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT, Settings
from bot.knowledge import load_knowledge_base
from bot.knowledge.triage import reply_topic
from bot.training import ensure_model, rasa_env

HOLDOUT = PROJECT_ROOT / "tests" / "nlu_holdout.yml"
RESULTS = PROJECT_ROOT / "results"
COMPARED = ("config.yml", "configs/spacy_logreg.yml", "configs/whitespace_tfidf.yml", "configs/whitespace_logreg.yml", "configs/spacy_diet.yml", "configs/rasa_default.yml")


def load_examples(path: Path = HOLDOUT) -> list[tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        (line.strip()[2:].strip(), block["intent"])
        for block in data["nlu"]
        for line in block["examples"].splitlines()
        if line.strip().startswith("- ")
    ]


async def _predict(model: Path, examples: list[tuple[str, str]]) -> tuple[list[str], list[float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    answerable = set(load_knowledge_base().answerable_topics)
    await agent.parse_message("warm up")
    predictions, latencies = [], []
    for text, _ in examples:
        started = time.perf_counter()
        parse = await agent.parse_message(text)
        latencies.append((time.perf_counter() - started) * 1000)
        predictions.append(reply_topic(parse, answerable))
    return predictions, latencies


def score(model: Path, examples: list[tuple[str, str]]) -> dict:
    predictions, latencies = asyncio.run(_predict(model, examples))
    per_topic: dict[str, list[bool]] = defaultdict(list)
    confusions: Counter = Counter()
    for (text, expected), predicted in zip(examples, predictions):
        per_topic[expected].append(predicted == expected)
        if predicted != expected:
            confusions[(expected, predicted)] += 1
    correct = sum(p == e for (_, e), p in zip(examples, predictions))
    ordered = sorted(latencies)
    return {
        "model": model.name,
        "examples": len(examples),
        "top1_accuracy": correct / len(examples),
        "latency_ms_median": statistics.median(latencies),
        "latency_ms_p95": ordered[int(0.95 * (len(ordered) - 1))],
        "per_topic": {topic: sum(hits) / len(hits) for topic, hits in sorted(per_topic.items())},
        "confusions": [
            {"expected": e, "predicted": p, "count": n} for (e, p), n in confusions.most_common(15)
        ],
        "errors": [
            {"text": text, "expected": expected, "predicted": predicted}
            for (text, expected), predicted in zip(examples, predictions)
            if predicted != expected
        ],
    }


def cross_validate(folds: int = 5) -> Path:
    out = RESULTS / "cross_validation"
    subprocess.run(
        [sys.executable, "-m", "rasa", "test", "nlu", "--nlu", "data/nlu", "--config", "config.yml",
         "--cross-validation", "--folds", str(folds), "--out", str(out)],
        cwd=PROJECT_ROOT, env=rasa_env(), check=True, stdout=subprocess.DEVNULL,
    )
    return out


def print_report(result: dict) -> None:
    print(f"\nHeld-out set: {result['examples']} messages, model {result['model']}")
    print(f"Top-1 topic accuracy: {result['top1_accuracy']:.1%}")
    print(f"Per-message NLU latency: median {result['latency_ms_median']:.1f} ms, p95 {result['latency_ms_p95']:.1f} ms")
    weakest = sorted(result["per_topic"].items(), key=lambda item: item[1])[:8]
    print("Weakest topics: " + ", ".join(f"{topic} {acc:.0%}" for topic, acc in weakest))
    print("Commonest confusions (expected -> predicted):")
    for item in result["confusions"][:10]:
        print(f"  {item['expected']} -> {item['predicted']}: {item['count']}")


def evaluate(run_cross_validation: bool) -> dict:
    model = ensure_model()
    result = score(model, load_examples())
    print_report(result)
    RESULTS.mkdir(exist_ok=True)
    if run_cross_validation:
        out = cross_validate()
        report = json.loads((out / "intent_report.json").read_text())
        result["cross_validation"] = {
            "folds": 5,
            "accuracy": report.get("accuracy"),
            "weighted_f1": report.get("weighted avg", {}).get("f1-score"),
            "macro_f1": report.get("macro avg", {}).get("f1-score"),
        }
        print(f"\n5-fold cross-validation on the training data: accuracy {result['cross_validation']['accuracy']:.1%}, "
              f"macro F1 {result['cross_validation']['macro_f1']:.3f} (confusion matrix: {out}/intent_confusion_matrix.png)")
    (RESULTS / "evaluation.json").write_text(json.dumps(result, indent=2))
    print(f"\nFull results: {RESULTS / 'evaluation.json'}")
    return result


def compare() -> list[dict]:
    settings = Settings.from_env()
    examples = load_examples()
    rows = []
    for name in COMPARED:
        config = PROJECT_ROOT / name
        started = time.monotonic()
        model = ensure_model(settings, config=config, quiet=True)
        trained_in = time.monotonic() - started
        result = score(model, examples)
        rows.append({"config": name, "train_s": round(trained_in, 1), **{k: result[k] for k in ("top1_accuracy", "latency_ms_median", "latency_ms_p95")}})
        print(f"{name}: accuracy {result['top1_accuracy']:.1%}, median {result['latency_ms_median']:.1f} ms, "
              f"p95 {result['latency_ms_p95']:.1f} ms, train {trained_in:.0f} s (0 s = reused)", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pipeline_comparison.json").write_text(json.dumps(rows, indent=2))
    print("\n| configuration | held-out top-1 | median ms/message | p95 ms | training s |\n|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['config']} | {row['top1_accuracy']:.1%} | {row['latency_ms_median']:.1f} | {row['latency_ms_p95']:.1f} | {row['train_s']:.0f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", action="store_true", help="compare the NLU configurations")
    parser.add_argument("--no-cross-validation", action="store_true")
    args = parser.parse_args()
    if args.compare:
        compare()
    else:
        evaluate(run_cross_validation=not args.no_cross_validation)


if __name__ == "__main__":
    main()
