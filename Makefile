# Two entry points for a newcomer: `make chat` and `make test`. Both build the venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: chat test lint validate bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

chat: $(STAMP)  ## set up and talk to the bot in the terminal
	$(BIN)/python -m bot chat

test: $(STAMP)  ## set up and run every test, plus the linter
	$(BIN)/ruff check .
	PTB_TIMEDELTA=1 $(BIN)/python -m pytest -q

validate: $(STAMP)  ## check the content library
	$(BIN)/python -m bot validate

bench: $(STAMP)  ## print the core benchmark figures
	$(BIN)/python bench/core_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
