# The two commands of the README:
#   make demo   sets everything up and starts the local DingTalk sandbox with the bot
#   make test   sets everything up and runs the checks and the whole test suite
# Both create .venv and install the project on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint unit scenario bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/govbot sandbox --port $${PORT:-8600} --data $${DATA:-sandbox-data}

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit

bench: $(STAMP)
	$(BIN)/python bench/storage.py
	$(BIN)/python bench/e2e.py

clean:
	rm -rf $(VENV) sandbox-data .pytest_cache .mypy_cache .ruff_cache
