# Run `make help` for the list of targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# uv from PATH, else the one `make install` puts in this Python's user site.
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
# --no-sync: the stamps below say when the environment needs a sync; uv run would check
# (and lock) again on every command.
RUN := $(UV) run --no-sync
MANAGE := $(RUN) python manage.py
COMPOSE ?= docker compose
# The one port setting: make run serves it, get-token-test-user asks it, and the settings
# build the default LOTTERY_PUBLIC_URL (the links in emails) from it.
PORT ?= 8000
export PORT
BASE_URL ?= http://localhost:$(PORT)

# Commands that only run something sync and migrate only when something changed: the
# environment when uv.lock or pyproject.toml is newer than the last sync, the database when
# a migration file is newer than the last migrate of that DATABASE_URL (or its SQLite file
# is gone). `make install` and `make migrate` always do their work.
VAR_DIR := $(or $(LOTTERY_VAR_DIR),var)
SYNCED := .venv/.make-synced
# The stamp's name says which database it is about: the embedded one, or a DATABASE_URL by
# its checksum (the URL may hold a password, which has no place in a file name).
DB_KEY := $(if $(DATABASE_URL),url-$(shell printf '%s' "$$DATABASE_URL" | cksum | cut -d' ' -f1),embedded)
MIGRATED := $(VAR_DIR)/.make-migrated-$(DB_KEY)
MIGRATIONS := $(wildcard */migrations/0*.py)
SQLITE_FILE := $(if $(DATABASE_URL),$(patsubst sqlite:///%,%,$(filter sqlite:///%,$(DATABASE_URL))),$(VAR_DIR)/db.sqlite3)
MIGRATE_ANYWAY := $(if $(SQLITE_FILE),$(if $(wildcard $(SQLITE_FILE)),,FORCE))

.PHONY: help
help: ## List the targets with one line each
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-22s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# --- Embedded mode (SQLite + file-system broker, no Docker) ------------------------------

define sync
@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --user --quiet uv
$(UV) sync --locked
@touch $(SYNCED)
endef

define migrate
$(MANAGE) migrate --no-input
@mkdir -p $(VAR_DIR) && touch $(MIGRATED)
endef

$(SYNCED): uv.lock pyproject.toml
	$(sync)

$(MIGRATED): $(SYNCED) $(MIGRATIONS) $(MIGRATE_ANYWAY)
	$(migrate)

.PHONY: FORCE
FORCE:

.PHONY: install
install: ## Install uv if missing, then the locked dependencies into .venv
	$(sync)

.PHONY: migrate
migrate: $(SYNCED) ## Apply database migrations
	$(migrate)

.PHONY: run
# scripts/run.sh checks the port, then migrates (its database check), then starts.
run: $(SYNCED) ## Serve http://localhost:$PORT (8000) with a Celery worker and beat, in the foreground
	$(RUN) bash scripts/run.sh

.PHONY: test
test: $(SYNCED) ## Run the whole test suite (SQLite; PostgreSQL when DATABASE_URL is set)
	$(RUN) pytest -x

.PHONY: lint
lint: $(SYNCED) ## ruff (lint + format check), mypy and the import contract (lint-imports)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy .
	$(RUN) lint-imports --no-cache

.PHONY: fmt
fmt: $(SYNCED) ## Format the code and apply ruff's safe fixes
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

.PHONY: draw
draw: $(MIGRATED) ## Draw every closed, undrawn lottery day now (DATE=YYYY-MM-DD for one day)
	$(MANAGE) draw $(if $(DATE),--date $(DATE))

.PHONY: demo
demo: $(MIGRATED) ## Demo users (printed with passwords), ballots, and drawn past days (DEBUG only)
	$(MANAGE) demo

.PHONY: createsuperuser
createsuperuser: $(MIGRATED) ## Create an account for Django admin at /admin/ (asks for its name and password)
	$(MANAGE) createsuperuser $(if $(DJANGO_SUPERUSER_USERNAME),--no-input)

.PHONY: django-shell
django-shell: $(MIGRATED) ## Open a Django shell
	$(MANAGE) shell

.PHONY: create-test-user
create-test-user: ## Create (or reset) test_user / "pass": in Docker if web runs, else locally
	@if [ -n "$$($(COMPOSE) ps -q --status running web 2>/dev/null)" ]; then \
		$(COMPOSE) exec web python manage.py create_test_user; \
	else \
		$(MAKE) --no-print-directory $(MIGRATED) && $(MANAGE) create_test_user; \
	fi

# curl, and python3 only to indent the answer if there is one: no uv and no project
# environment on the host. An error status or no server fails the target, saying why.
.PHONY: get-token-test-user
get-token-test-user: ## Print test_user's access and refresh tokens from the server at BASE_URL (http://localhost:$PORT)
	@answer=$$(curl -sS --fail-with-body -X POST "$(BASE_URL)/token/pair" \
		-H 'Content-Type: application/json' -d '{"username": "test_user", "password": "pass"}'); \
	if [ $$? -ne 0 ]; then \
		[ -n "$$answer" ] && echo "$$answer" >&2; \
		echo "No tokens from $(BASE_URL): is make run going (PORT=$(PORT))? Did make create-test-user run?" >&2; \
		exit 1; \
	fi; \
	printf '%s\n' "$$answer" | python3 -m json.tool 2>/dev/null || printf '%s\n' "$$answer"

.PHONY: verifier
verifier: ## Build dist/lottery-verifier.html, the verifier page to keep
	@python3 scripts/build_verifier.py dist/lottery-verifier.html

.PHONY: fuzz
fuzz: $(SYNCED) ## schemathesis: every check and phase on every operation, on PostgreSQL
	$(RUN) python scripts/fuzz.py

# --- Benchmarks (print figures; their figures and targets in docs/scaling.md) -----------

.PHONY: bench-api
bench-api: $(SYNCED) ## Serve like production (Granian, PostgreSQL); wrk each endpoint vs the /docs floor
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
	$(RUN) python bench/api.py

.PHONY: bench-middleware
bench-middleware: $(SYNCED) ## Per-request cost of the request-id and metrics middleware (microseconds)
	PYTHONPATH=. $(RUN) python bench/middleware.py

.PHONY: bench-draw
bench-draw: $(SYNCED) ## Draw 100k and 1M ballots (BENCH_DRAW_SIZES=...,10000000 for more) on PostgreSQL: time, memory, proof p99
	$(RUN) python bench/draw.py

.PHONY: bench-verify-browser
bench-verify-browser: install ## Time the in-browser verifier on a drawn 1M-ballot day in chromium (BENCH_VERIFY_SIZE=...)
	$(UV) run python bench/verify_in_browser.py

# --- Docker (production shape: PostgreSQL + Redis) ---------------------------------------

.PHONY: build
build: ## Build the image once, migrate, start proxy, web, worker, beat, postgres and redis
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

.PHONY: compose-test
compose-test: install ## Build and run the compose stack, walk the Docker flow, check every service, clean up
	$(UV) run python scripts/compose_test.py

.PHONY: docker-shell
docker-shell: ## Open a shell in the web container
	$(COMPOSE) exec web bash
