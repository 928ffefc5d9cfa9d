# Run `make help` for the list of targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# uv from PATH, else the one `make install` puts in this Python's user site.
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
MANAGE := $(UV) run python manage.py
COMPOSE ?= docker compose
BASE_URL ?= http://localhost:8000

.PHONY: help
help: ## List the targets with one line each
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-22s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# --- Embedded mode (SQLite + file-system broker, no Docker) ------------------------------

.PHONY: install
install: ## Install uv if missing, then the locked dependencies into .venv
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --user --quiet uv
	$(UV) sync --locked

.PHONY: migrate
migrate: install ## Apply database migrations
	$(MANAGE) migrate --no-input

.PHONY: run
run: migrate ## Serve http://localhost:8000 with a Celery worker and beat, in the foreground
	$(UV) run bash scripts/run.sh

.PHONY: test
test: install ## Run the whole test suite (SQLite; PostgreSQL when DATABASE_URL is set)
	$(UV) run pytest -x

.PHONY: lint
lint: install ## ruff (lint + format check) and mypy
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy .

.PHONY: fmt
fmt: install ## Format the code and apply ruff's safe fixes
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

.PHONY: draw
draw: migrate ## Draw every closed, undrawn lottery day now (DATE=YYYY-MM-DD for one day)
	$(MANAGE) draw $(if $(DATE),--date $(DATE))

.PHONY: demo
demo: migrate ## Demo users (printed with passwords), ballots, and drawn past days (DEBUG only)
	$(MANAGE) demo

.PHONY: django-shell
django-shell: install ## Open a Django shell
	$(MANAGE) shell

.PHONY: create-test-user
create-test-user: ## Create (or reset) test_user / "pass": in Docker if web runs, else locally
	@if [ -n "$$($(COMPOSE) ps -q --status running web 2>/dev/null)" ]; then \
		$(COMPOSE) exec web python manage.py create_test_user; \
	else \
		$(MAKE) --no-print-directory migrate && $(MANAGE) create_test_user; \
	fi

.PHONY: get-token-test-user
get-token-test-user: ## Print access and refresh tokens for test_user from a running server
	@curl -sS -X POST "$(BASE_URL)/token/pair" -H 'Content-Type: application/json' \
		-d '{"username": "test_user", "password": "pass"}' | $(UV) run python -m json.tool

.PHONY: fuzz
fuzz: install ## schemathesis: every check and phase on every operation, on PostgreSQL
	$(UV) run python scripts/fuzz.py

# --- Benchmarks (print figures; targets in README) ---------------------------------------

.PHONY: bench-api
bench-api: install ## Serve like production (Granian, PostgreSQL); wrk each endpoint vs the /docs floor
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
	$(UV) run python bench/api.py

.PHONY: bench-middleware
bench-middleware: install ## Per-request cost of the request-id and metrics middleware (microseconds)
	PYTHONPATH=. $(UV) run python bench/middleware.py

.PHONY: bench-draw
bench-draw: install ## Draw 100k and 1M ballots (BENCH_DRAW_SIZES=...,10000000 for more) on PostgreSQL: time, memory, proof p99
	$(UV) run python bench/draw.py

.PHONY: bench-verify-browser
bench-verify-browser: install ## Time the in-browser verifier on a drawn 1M-ballot day in chromium (BENCH_VERIFY_SIZE=...)
	$(UV) run python bench/verify_in_browser.py

# --- Docker (production shape: PostgreSQL + Redis) ---------------------------------------

.PHONY: build
build: ## Build the image and start web, worker, beat, postgres and redis with Docker
	$(COMPOSE) up --build -d

.PHONY: docker-run
docker-run: ## Start the containers without rebuilding
	$(COMPOSE) up -d

.PHONY: docker-migrate
docker-migrate: ## Apply migrations inside the web container
	$(COMPOSE) exec web python manage.py migrate --no-input

.PHONY: docker-down
docker-down: ## Stop the containers and delete the database volume
	$(COMPOSE) down --volumes

.PHONY: docker-shell
docker-shell: ## Open a shell in the web container
	$(COMPOSE) exec web bash
