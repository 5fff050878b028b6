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

.PHONY: setup demo test test-fast build sample lint lock clean bench fuzz
.PHONY: docs chromium

setup: $(VENV)/.installed profiles.yml

# Bytecode is compiled at install time: uv does not by default, and with PYTHONDONTWRITEBYTECODE
# set (as on the dev and CI machines) Python would recompile dbt's modules on every invocation,
# 6.6 s instead of 3.2 s of import before dbt does anything.
$(VENV)/.installed: requirements.lock pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install -q -p $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q -p $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q -j 0 "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" > /dev/null
	@touch $@

profiles.yml:
	cp profiles.example.yml profiles.yml

# The generated part of the sample is dated around today, so the demo always shows every tier.
# The stamp names the day it was made for: on a new day it is missing, so the sample is remade.
SAMPLE_STAMP := $(SAMPLE).as-of-$(TODAY)
$(SAMPLE_STAMP):
	rm -f $(SAMPLE).as-of-*
	@mkdir -p $(dir $@)
	touch $@

$(SAMPLE): scripts/generate_facilities.py $(SAMPLE_STAMP) | $(VENV)/.installed
	$(BIN)/python scripts/generate_facilities.py --count 3000 --seed 7 --as-of $(TODAY) --output $@

sample: $(SAMPLE)

build: setup $(SAMPLE)
	$(BIN)/dbt build --target local

demo: build
	$(BIN)/python scripts/show_marts.py
	@$(BIN)/notifier preview > target/notifier_preview.txt
	@echo; echo "notifier preview: the alerts a send would publish (first lines; all in target/notifier_preview.txt)"
	@head -n 12 target/notifier_preview.txt; echo "..."; tail -n 1 target/notifier_preview.txt

test: setup chromium iac-tools
	$(BIN)/python -m pytest

# The unit subset, under a minute: no dbt build, moto server, browser or deploy tooling.
test-fast: setup
	$(BIN)/python -m pytest -m "not integration"

# The IaC and Dockerfile linters (cfn-lint, checkov, hadolint) for tests/python/deploy, in their
# own venv: checkov's pins would fight the project's. Locked in deploy/requirements-lint.txt.
IAC_VENV := .venv-iac
.PHONY: iac-tools
iac-tools: $(IAC_VENV)/.installed
$(IAC_VENV)/.installed: deploy/requirements-lint.txt | $(VENV)/.installed
	@test -x $(IAC_VENV)/bin/python || $(BIN)/uv venv -q -p $(PYTHON) $(IAC_VENV)
	$(BIN)/uv pip install -q -p $(IAC_VENV)/bin/python -r deploy/requirements-lint.txt
	@touch $@

# Not part of `make test`: generates N facilities (default 1,000,000) under bench/data/ once,
# checks that dbt, the plain DuckDB script and the pure-Python pipeline agree, then times them
# alternately and writes bench/results/<timestamp>_n<N>.json (see bench/README.md). From 2M
# facilities on, the pure-Python baseline is skipped (about 10 minutes a run at 10M).
N ?= 1000000
BENCH_ARGS ?=
bench: setup
	@uptime
	$(BIN)/python bench/run_bench.py --count $(N) $(BENCH_ARGS)
	$(BIN)/python bench/ledger_bench.py
	@uptime

# Not part of `make test`: the reading property test (tests/python/property) with a random seed
# and FUZZ_EXAMPLES examples (default 40, about 10 s each). Every failing example is saved under
# tests/python/property/regressions/, which every `make test` replays. FUZZ_SEED repeats a run.
FUZZ_EXAMPLES ?= 40
ifndef FUZZ_SEED
FUZZ_SEED := $(shell od -An -N4 -tu4 /dev/urandom | tr -d ' ')
endif
fuzz: setup
	@echo "fuzz: seed $(FUZZ_SEED), $(FUZZ_EXAMPLES) examples"
	PROPERTY_PROFILE=fuzz FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest \
		tests/python/property/test_property_reading.py -k 'generated or fuzz' --hypothesis-seed=$(FUZZ_SEED)

# The hooks of .pre-commit-config.yaml over their whole scopes, as the tests run them.
lint: setup
	$(BIN)/pre-commit run --all-files

# Both locks from pyproject.toml; the runtime one (the container's) pins the same versions.
lock: setup
	$(BIN)/uv pip compile pyproject.toml --extra dev -p 3.11 -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml -p 3.11 -c requirements.lock -o requirements-runtime.lock

# The docs site as one self-contained page, served alone on 127.0.0.1: `dbt docs serve` would
# hand out the whole target/ folder, database included. Generated into its own target path so
# that target/run_results.json stays the build's, which the notifier checks before sending.
DOCS_PORT ?= 8080
DOCS_TARGET := target/docs
docs: build
	$(BIN)/dbt docs generate --static --target local --target-path $(DOCS_TARGET)
	@grep -q '"send_anonymous_usage_stats": false' $(DOCS_TARGET)/static_index.html \
		|| { echo "the docs page would load a usage tracker: set DBT_SEND_ANONYMOUS_USAGE_STATS=false"; exit 1; }
	$(BIN)/python scripts/serve_docs.py --file $(DOCS_TARGET)/static_index.html --port $(DOCS_PORT)

# Debian's chromium for the docs browser test, installed only when missing. When apt-get cannot
# install it (no root, no package index), the log is kept and that test skips, saying why.
CHROMIUM := /usr/bin/chromium
CHROMIUM_FAILED := test-artifacts/chromium-install-failed.log
chromium:
	@if [ -x $(CHROMIUM) ]; then rm -f $(CHROMIUM_FAILED); exit 0; fi; \
	mkdir -p test-artifacts; \
	echo "Installing chromium (apt-get) for the docs browser test"; \
	if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
		&& test -x $(CHROMIUM)) > test-artifacts/chromium-install.log 2>&1; then \
		rm -f $(CHROMIUM_FAILED); \
	else \
		mv test-artifacts/chromium-install.log $(CHROMIUM_FAILED); \
		echo "chromium could not be installed (see $(CHROMIUM_FAILED)): the browser test will skip"; \
	fi

clean:
	rm -rf target logs .pytest_cache test-artifacts $(SAMPLE) $(SAMPLE).as-of-*
