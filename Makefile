# make run · make test · make lint · make bench   (see README.md)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench screenshots system-deps clean peer-venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sotchart demo --if-empty
	$(BIN)/sotchart serve

# Debian's Chromium (browser tests) and PostgreSQL 15 (the second database) when missing.
system-deps:
	./.ci/system-deps

test: $(STAMP) system-deps
	$(BIN)/python -m pytest

# Retake the screenshots in docs/screenshots (docs/visit-workflow.md and docs/outcomes.md show them).
screenshots: $(STAMP) system-deps
	SOTCHART_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest tests/browser/test_visit.py tests/browser/test_gate.py tests/browser/test_progress.py --db sqlite -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP) system-deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

# GNU Health 5.0 on trytond 7.0, in a virtualenv of its own, for `python -m bench peer` (bench/gnuhealth_peer.py).
PEER_VENV := .peer-venv

peer-venv:
	test -x $(PEER_VENV)/bin/python || $(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PEER_VENV)/bin/python -m pip install --quiet 'gnuhealth>=5.0,<5.1' 'trytond>=7.0,<7.1' psycopg2-binary
