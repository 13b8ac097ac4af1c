# Tanzuji — a newcomer's entry points. Needs only Python 3.11, gcc, git and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=
LINT_DIRS := $(wildcard src tests bench scripts)

.PHONY: run demo test lint format bench bench-web pictures clean browser

# The browser tests drive Chromium from the Debian packages (never a browser build downloaded
# by Playwright), with a Chinese system font for its screenshots. `make test` installs both
# when missing and this is root (CI, the dev machines); elsewhere install them yourself
# (`sudo apt-get install chromium fonts-wqy-microhei`): without Chromium the browser tests
# are skipped, or fail when TANZUJI_REQUIRE_SHARED=1 (CI).
CHROMIUM ?= /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installed-project stamps: re-install when pyproject.toml changes.
# (setup.py builds the optional C scoring kernel, src/tanzuji/scale/_scorekernel.c)
BUILD_FILES := pyproject.toml setup.py src/tanzuji/scale/_scorekernel.c

$(VENV)/.run-installed: $(BUILD_FILES) | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: $(BUILD_FILES) | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.run-installed

## make run: set everything up, load the demo data and start the platform on
## http://127.0.0.1:8000 (embedded SQLite; TANZUJI_DATABASE_URL=postgresql+psycopg://... for
## PostgreSQL). It prints the URL and the demo logins. `make demo` tells the CLI story instead.
run: $(VENV)/.run-installed
	$(BIN)/tanzuji serve --demo

demo: $(VENV)/.run-installed
	$(BIN)/tanzuji demo

## make browser: Debian's chromium for the browser tests (apt-get as root, once)
browser:
	@if [ -x $(CHROMIUM) ] && [ -f $(CJK_FONT) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium and a Chinese font (Debian packages) for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-wqy-microhei >/dev/null; \
	else echo "chromium not found at $(CHROMIUM): browser tests skip (apt-get install chromium)"; fi

## make test: lint (ruff), type check (mypy, settings in pyproject.toml) and the whole test
## suite (pytest, browser tests included)
test: $(VENV)/.dev-installed browser
	$(BIN)/ruff check $(LINT_DIRS)
	$(BIN)/ruff format --check $(LINT_DIRS)
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check $(LINT_DIRS)
	$(BIN)/mypy

format: $(VENV)/.dev-installed
	$(BIN)/ruff format $(LINT_DIRS)
	$(BIN)/ruff check --fix $(LINT_DIRS)

## make bench: the engine benchmark against bw2calc (not part of the tests)
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/engine.py

## make bench-web: the web platform's load benchmark (PostgreSQL, 10,000 certificates, 100,000
## factors, wrk from Debian's packages where apt-get can install it; docs/web.md)
bench-web: $(VENV)/.dev-installed
	@if command -v wrk >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	else echo "wrk not found: bench/web.py measures with its httpx client (apt-get install wrk)"; fi
	$(BIN)/python bench/web.py --keep tzweb10k --duration 20

## make pictures: every chart and report page of the examples as PNG in report-pictures/
pictures: $(VENV)/.dev-installed
	$(BIN)/python scripts/report_pictures.py report-pictures

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build src/*.egg-info test-artifacts
	find src -name '*.so' -delete
