# The two commands a newcomer needs: `make run` and `make test`.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
PORT   ?= 5000

.PHONY: run test test-calendar install browser nginx bench migration clean

# Links in messages and printed by the demo point at the port actually served.
run: export DSAR_BASE_URL ?= http://127.0.0.1:$(PORT)
run: $(BIN)/.installed
	$(BIN)/dsar db upgrade
	$(BIN)/dsar demo
	$(BIN)/dsar run --host 127.0.0.1 --port $(PORT)

# Every test at the fixed test clock, then the date-sensitive ones on each hard day (tests/clock.py).
test: $(BIN)/.installed browser nginx
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-calendar

test-calendar: $(BIN)/.installed
	@for day in $$($(BIN)/python -m tests.clock); do \
	  echo "== calendar tests with today moved to $$day"; \
	  $(BIN)/python -m pytest -q -n 2 -m calendar --now=$$day -p no:cacheprovider || exit 1; \
	done

install: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Browser tests use Debian's Chromium (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null || { \
	  [ "$$(id -u)" = 0 ] || { echo "chromium is missing: install Debian's chromium package (needs root)"; exit 1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The trusted-proxy tests put Debian's nginx in front of the app (never skipped when missing).
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { \
	  [ "$$(id -u)" = 0 ] || { echo "nginx is missing: install Debian's nginx package (needs root)"; exit 1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }

bench: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# A new numbered revision for what the models changed; landed revisions are never rewritten.
migration: $(BIN)/.installed
	$(BIN)/python -m dsar.devtools.new_migration "$(MESSAGE)"

clean:
	rm -rf $(VENV) instance .pytest_cache
