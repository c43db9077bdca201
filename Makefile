# Two entry points for a fresh machine: `make run` (main job on the bundled samples) and `make test`.
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed

.PHONY: setup sysdeps run test lint bench

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(VENV)/bin/govreports run

# Optional system tools some tests use (headless Chromium for the report pages, poppler's
# pdftotext); those tests skip cleanly where the tools are missing and cannot be installed.
SYSDEPS := chromium poppler-utils
sysdeps:
	@command -v chromium >/dev/null && command -v pdftotext >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(SYSDEPS) >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(SYSDEPS) >/dev/null 2>&1; }; }; } || \
	  echo "note: $(SYSDEPS) not installed; the tests that need them will skip"

test: setup sysdeps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	for b in bench/bench_*.py; do $(VENV)/bin/python $$b; done
