"""`rasa data validate` passes on the project's domain, data and config."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_rasa_data_validate():
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--domain", "domain.yml", "--data", "data", "--config", "config.yml", "--fail-on-warnings"],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"}, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
