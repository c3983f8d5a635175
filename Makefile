# The two commands of the README:
#   make demo   sets everything up and starts the local DingTalk sandbox with the bot
#   make test   sets everything up and runs the checks and the whole test suite
# Both create .venv and install the project on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint unit scenario bench browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# START=2026-09-28T09:00+08:00 make demo starts the sandbox clock at that moment
# (only for a new DATA folder: sandbox time never goes back).
demo: $(STAMP)
	$(BIN)/govbot sandbox --port $${PORT:-8600} --data $${DATA:-sandbox-data} $${START:+--start "$$START"}

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The console's browser tests drive Debian's Chromium (not a Playwright download); a CJK
# font keeps their screenshots legible.
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	fc-list :lang=zh 2>/dev/null | grep -q . \
		|| (apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei) \
		|| echo "warning: no Chinese font installed; screenshots will show boxes"

test: lint browser
	GOVBOT_REQUIRE_BROWSER=1 $(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit

bench: $(STAMP)
	$(BIN)/python bench/storage.py
	$(BIN)/python bench/e2e.py
	$(BIN)/python bench/api_budget.py
	$(BIN)/python bench/supervision.py
	$(BIN)/python bench/crash.py

clean:
	rm -rf $(VENV) sandbox-data .pytest_cache .mypy_cache .ruff_cache
