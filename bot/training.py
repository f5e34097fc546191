"""Trains the Rasa model only when its inputs changed (`python -m bot.training`).

The model is named after a fingerprint of everything that goes into training, so the
run command and the test session reuse a model for unchanged data and never train twice.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from bot.config import PROJECT_ROOT, Settings
from bot.nlp.build_spacy import ensure_built

TRAINING_INPUTS = ("config.yml", "domain.yml", "data", "bot/nlu")


def _input_files(root: Path, config: Path) -> list[Path]:
    files: list[Path] = [config]
    for name in TRAINING_INPUTS[1:]:
        path = root / name
        files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml", ".py"}) if path.is_dir() else [path]
    return files


def fingerprint(root: Path = PROJECT_ROOT, config: Path | None = None) -> str:
    config = config or root / "config.yml"
    digest = hashlib.sha256()
    for path in _input_files(root, config):
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def ensure_model(settings: Settings | None = None, config: Path | None = None, quiet: bool = False) -> Path:
    """The path of a model trained on the current data, training one if there is none."""
    settings = settings or Settings.from_env()
    ensure_built(settings.spacy_model_dir)
    config = config or PROJECT_ROOT / "config.yml"
    name = f"sen-{config.stem}-{fingerprint(config=config)}"
    model = settings.models_dir / f"{name}.tar.gz"
    if model.exists():
        return model
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if not quiet:
        print(f"Training the model ({name}); this takes a minute or two the first time...", flush=True)
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--config", str(config), "--domain", "domain.yml", "--data", "data",
         "--out", str(settings.models_dir), "--fixed-model-name", name],
        cwd=PROJECT_ROOT, env=rasa_env(), check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )
    if not quiet:
        print(f"Trained in {time.monotonic() - started:.0f} s: {model}", flush=True)
    return model


if __name__ == "__main__":
    print(ensure_model())
