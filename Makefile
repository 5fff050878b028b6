# Every target installs what it needs: a fresh machine needs only Python 3.11 and make.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
TODAY := $(shell date -u +%Y-%m-%d)
SAMPLE := data/sample/generated_facilities.ndjson

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export DBT_PROFILES_DIR := $(CURDIR)

.PHONY: setup demo test build sample lint clean

setup: $(VENV)/.installed profiles.yml

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install -q -p $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q -p $(BIN)/python --no-deps -e .
	@touch $@

profiles.yml:
	cp profiles.example.yml profiles.yml

# The generated part of the sample is dated around today, so the demo always shows every tier.
$(SAMPLE): scripts/generate_facilities.py | $(VENV)/.installed
	$(BIN)/python scripts/generate_facilities.py --count 3000 --seed 7 --as-of $(TODAY) --output $@

sample: $(SAMPLE)

build: setup $(SAMPLE)
	$(BIN)/dbt build --target local

demo: build
	$(BIN)/python scripts/show_marts.py

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check notifier scripts tests bench
	$(BIN)/ruff format --check notifier scripts tests bench
	$(BIN)/mypy

clean:
	rm -rf target logs .pytest_cache test-artifacts $(SAMPLE)
