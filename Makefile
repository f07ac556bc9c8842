# The README's commands. Everything a fresh clone needs is installed from here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint demo dev benchmark clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# The suite mostly waits (servers, subprocesses, Retry-After pauses): three workers keep both
# cores busy (17 min serial, user CPU 8 min). One file per worker at a time (module fixtures).
test: $(STAMP)
	$(BIN)/pytest -q -n 3 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

demo: $(STAMP)
	$(BIN)/cx-assets demo

dev: $(STAMP)
	$(BIN)/cx-assets dev $(if $(PORT),--port $(PORT))

benchmark: $(STAMP)
	$(BIN)/python benchmarks/export_ingest.py
	$(BIN)/python benchmarks/export_ingest.py --records 2200000
	$(BIN)/python benchmarks/datatables.py
	$(BIN)/python benchmarks/conversation_details.py

clean:
	rm -rf .cx_data .dagster_home

# The browser test of the Dagster UI (cx_assets_ui_tests/): Debian's Chromium (apt, skipped when
# it is there) driven by Playwright for Python in the venv. No `playwright install`: the tests
# launch the system Chromium. Screenshots and the dev server's log land in .ui-artifacts/.
CHROMIUM ?= /usr/bin/chromium
PLAYWRIGHT_SPEC ?= playwright>=1.49,<2
UI_STAMP := $(VENV)/.ui-installed
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: test-ui

$(UI_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q '$(PLAYWRIGHT_SPEC)'
	touch $(UI_STAMP)

test-ui: $(UI_STAMP)
	test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }
	CX_CHROMIUM=$(CHROMIUM) $(BIN)/pytest -q -p no:cacheprovider cx_assets_ui_tests
