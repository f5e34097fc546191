"""Prints the lock file (`make lock`): every installed package pinned, except rasa, rasa-sdk and this project."""

from __future__ import annotations

import subprocess
import sys

HEADER = """# Full lock for Python 3.11 (x86_64). Installed with --no-deps after rasa and rasa-sdk (see Makefile).
# Regenerate: make lock (see docs/install.md). Rasa's own pins are kept as constraints in requirements/constraints.txt."""
SKIP = ("rasa==", "rasa-sdk==", "rasa_sdk==", "-e ", "sen-support-assistant")


def main() -> None:
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    print(HEADER)
    for line in frozen:
        if line and not line.lower().startswith(SKIP) and not line.startswith("pip=="):
            print(line)


if __name__ == "__main__":
    main()
