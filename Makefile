# Set-up and main jobs. `make run` and `make test` work on a fresh machine:
# they create .venv, install the project into it, then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint schema goldens bench chromium node clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Extract the bundled source_pdfs/ into the version store extracted/, then write the
## change reports of the bundled revision pair into reports/.
REPORT := reports/MP-RX-FP-171-25/2025-08-08_to_2026-05-06
run: $(STAMP)
	$(BIN)/policy-tools ingest source_pdfs
	$(BIN)/policy-tools report MP-RX-FP-171-25@previous MP-RX-FP-171-25@latest --format html -o $(REPORT).html
	$(BIN)/policy-tools report MP-RX-FP-171-25@previous MP-RX-FP-171-25@latest --format md -o $(REPORT).md
	$(BIN)/policy-tools report MP-RX-FP-171-25@previous MP-RX-FP-171-25@latest --format json -o $(REPORT).json

## Run the whole test suite (installs Debian chromium for the browser tests when root,
## and the npm package cql-execution that executes the ELM export).
test: $(STAMP) chromium node
	$(BIN)/python -m pytest -q

NODE_DEPS := tests/js/node_modules/.package-lock.json
node: $(NODE_DEPS)

$(NODE_DEPS): tests/js/package.json tests/js/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is needed for the ELM tests (Node 20)"; exit 1; }
	npm ci --prefix tests/js --no-audit --no-fund --loglevel=error

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will not run"; \
	  else echo "note: chromium not installed (apt-get install chromium) - browser tests skip"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check policy_tools tests benchmarks
	$(BIN)/ruff format --check policy_tools tests benchmarks
	$(BIN)/mypy policy_tools

schema: $(STAMP)
	$(BIN)/policy-tools schema

## Re-extract the bundled revisions into the golden files (review `git diff extracted/`).
goldens: $(STAMP)
	$(BIN)/policy-tools ingest source_pdfs --no-reports

## One benchmark table: ours against the baselines measured in the same run, as ratios
## (`make bench BENCH_ARGS=--quick` skips the 20-PDF ingest and the 1,000-page policy).
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache tests/js/node_modules
