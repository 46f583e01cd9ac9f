# make run · make test · make lint · make bench   (see README.md)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench screenshots system-deps clean

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
