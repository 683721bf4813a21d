# Two commands a newcomer needs: `make run` (the product, with demo data) and `make test` (the whole suite).
# Both set up everything they need on a fresh machine: virtualenv, packages, Chromium, database tables.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install chromium run test test-postgres test-scale-out lint format bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Browser tests drive Debian's Chromium (Playwright never downloads a browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core; }

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py setup_schedules
	@echo ""
	@echo "  Productive is starting at http://127.0.0.1:8000"
	@echo "  Demo logins:  admin@demo.test / demo-admin-pass   (organization admin)"
	@echo "                member@demo.test / demo-member-pass (member)"
	@echo "  Django admin: http://127.0.0.1:8000/admin/ as support@demo.test / demo-support-pass"
	@echo ""
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start

# The suite runs on both cores (pytest-xdist): each test process has its own database (SQLite file or
# test_<name>_gw<n>), live server port, worker and browser. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

test: install chromium
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-postgres: install chromium
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/productive} $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The worker-dependent tests as a scale-out runs them: Redis as the broker (and the in-flight caps), two qcluster
# processes on one PostgreSQL database (tests/e2e/test_scale_out.py runs only here). One test process: the Redis
# queue is shared.
SCALE_OUT_TESTS := tests/e2e tests/integrations/test_poll_cycle.py tests/integrations/test_concurrency.py
test-scale-out: install chromium
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/14} E2E_QCLUSTERS=2 \
		DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/productive} $(PY) -m pytest $(SCALE_OUT_TESTS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) bench/pages.py
	$(PY) bench/payment_sync.py
	$(PY) bench/bulk_copy.py
	$(PY) bench/poll_cycle.py
	$(PY) bench/reconciliation.py
	$(PY) bench/activity.py
	$(PY) bench/economic_poll.py
	$(PY) bench/quickbooks.py
	$(PY) bench/exact.py
