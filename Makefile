# SEN Support assistant. The two commands a new user needs:
#   make run    set up everything that is missing, then run the assistant
#   make test   run the tests (what CI runs, through .ci/run)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
INSTALLED := $(VENV)/.installed
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONWARNINGS := ignore::DeprecationWarning

.PHONY: run chat test train install lock eval compare bench validate clean

run: $(INSTALLED)  ## set up (venv, install, model) and run the assistant; Ctrl-C stops it
	$(PY) -m bot.launcher

chat: $(INSTALLED)  ## a terminal chat with the running assistant
	$(PY) -m bot.chat

test: $(INSTALLED)  ## all tests; PostgreSQL/Redis/Chromium tests skip outside CI when absent
	$(PY) -m pytest -q $(PYTEST_ARGS)

train: $(INSTALLED)  ## train the model if its inputs changed
	$(PY) -m bot.training

validate: $(INSTALLED)
	$(PY) -m rasa data validate --domain domain.yml --data data --config config.yml

eval: $(INSTALLED)  ## held-out accuracy, cross-validation and confusion report (docs/evaluation.md)
	$(PY) -m bot.evaluation

compare: $(INSTALLED)  ## NLU pipeline comparison (docs/pipeline.md)
	$(PY) -m bot.evaluation --compare

bench: $(INSTALLED)  ## start-up time, memory and REST latency/throughput of the running stack
	$(PY) -m bot.bench

install: $(INSTALLED)

# The venv is rebuilt when the lock file changes. rasa and rasa-sdk declare Python <3.11
# but run on 3.11 (docs/install.md): they go in with --no-deps, everything else from the lock.
$(INSTALLED): requirements/lock.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --no-deps --ignore-requires-python rasa==3.6.21 rasa-sdk==3.6.2
	$(PIP) install --quiet --no-deps -r requirements/lock.txt
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	@touch $@

lock:  ## re-resolve requirements/direct.txt within Rasa's pins into requirements/lock.txt
	$(PIP) install -c requirements/constraints.txt -r requirements/direct.txt
	$(PY) -m bot.devtools.freeze > requirements/lock.txt

clean:
	rm -rf $(VENV) models .build .rasa results
