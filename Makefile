# ediary — `make run` serves the demo district on 127.0.0.1:8000; `make test` runs the suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell (cat requirements.lock; $(PYTHON) --version) | cksum | cut -d' ' -f1)

.PHONY: install app graphiql run serve migrate seed seed-reset test test-crawl test-fast test-browser test-dates lint format schema schema-check messages trusted-manifest fuzz bench bench-live bench-grades bench-district bench-mixed bench-mixed-day rollups-check lock clean clients relay

# GraphiQL's assets (web/graphiql: React, GraphiQL, graphql-ws, from the npm registry, pinned by
# its package-lock.json) are built into web/graphiql/dist when npm is there; without Node.js the
# API works and GET /graphql in a browser says to run `make graphiql`.
GRAPHIQL       := web/graphiql
GRAPHIQL_BUILT := $(GRAPHIQL)/dist/graphiql.js
NPM            := $(shell command -v npm 2>/dev/null)

# The family app (web/app: Preact, urql, graphql-ws, built by Vite, pinned by its
# package-lock.json) is built into web/app/dist when npm is there and served at /; without
# Node.js the API works and / says to run `make app`.
APP       := web/app
APP_BUILT := $(APP)/dist/index.html

# The real OpenID Connect provider the tests run (tests/oidc: oidc-provider, pinned by its
# package-lock.json); the identity tests fail without it rather than skip.
OIDC_TEST       := tests/oidc
OIDC_TEST_READY := $(OIDC_TEST)/node_modules/.package-lock.json

install: $(STAMP) $(if $(NPM),$(APP_BUILT) $(GRAPHIQL_BUILT) $(OIDC_TEST_READY))
	$(if $(NPM),,@echo "npm not found: the family app (/), GraphiQL and the tests' OpenID Connect provider are not built; the API serves all the same (install Node.js and npm)")

app:
	rm -f $(APP_BUILT)
	$(MAKE) $(APP_BUILT)

$(APP_BUILT): schema.graphql $(APP)/package-lock.json $(APP)/index.html $(APP)/vite.config.ts $(APP)/documents.ts $(APP)/codegen.ts $(APP)/tsconfig.json $(wildcard $(APP)/src/* $(APP)/src/documents/* $(APP)/public/*)
	cd $(APP) && npm ci --no-audit --no-fund && npm run build

graphiql:
	rm -f $(GRAPHIQL_BUILT)
	$(MAKE) $(GRAPHIQL_BUILT)

$(GRAPHIQL_BUILT): $(GRAPHIQL)/package-lock.json $(GRAPHIQL)/build.mjs $(wildcard $(GRAPHIQL)/src/*)
	cd $(GRAPHIQL) && npm ci --no-audit --no-fund && npm run build

$(OIDC_TEST_READY): $(OIDC_TEST)/package-lock.json
	cd $(OIDC_TEST) && npm ci --no-audit --no-fund

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	rm -f $(VENV)/.installed-* && touch $@

run: install
	$(BIN)/python server.py run

serve: install
	$(BIN)/python server.py serve

migrate: install
	$(BIN)/python server.py migrate

seed: install
	$(BIN)/python server.py seed

seed-reset: install
	$(BIN)/python server.py seed --reset

# The suite runs on whatever TEST_DATABASE_URL / TEST_REDIS_URL name (default: a temporary
# SQLite file and the in-memory broker), in random order (pytest-randomly prints the seed;
# PYTEST_ARGS="-p randomly --randomly-seed=N" repeats an order), on the clock's date
# (EDIARY_NOW=2027-09-01 make test runs it on 1 September 2027). .ci/run runs it on both backends.
# `make test` is the whole suite; `make test-fast` leaves out the long property-based and
# fault-injection tests and the headless-Chromium one (markers slow, faults and browser), the
# quick loop while developing; `make test-browser` runs only the browser tests (GraphiQL and the
# family app offline, screenshots in $EDIARY_SCREENSHOTS or tmp/screenshots; they skip without
# Debian's chromium and chromium-driver).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The reachability crawl over more random worlds than the suite's one (tests/no_leaks/crawl.py).
CRAWL_EXAMPLES ?= 10
test-crawl: install
	CRAWL_EXAMPLES=$(CRAWL_EXAMPLES) $(BIN)/python -m pytest -q -p no:randomly tests/access/test_no_leaks.py -k reaches $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not slow and not faults and not browser" $(PYTEST_ARGS)

test-browser: install
	$(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

# The fast suite on each of the seven dates CI picks three from (or DATES="2027-01-01 2027-06-01").
DATES ?= 2026-12-07 2026-12-06 2026-12-28 2027-02-23 2026-12-31 2027-09-01 2027-07-15
test-dates: install
	@for day in $(DATES); do echo "--- fast suite on $$day"; EDIARY_NOW=$$day $(BIN)/python -m pytest -q -m "not slow and not faults and not browser" $(PYTEST_ARGS) || exit 1; done

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# schema.graphql and docs/errors.md (the ErrorCode catalogue, from resolvers/codes.py).
schema: install
	$(BIN)/python server.py export-schema schema.graphql
	$(BIN)/python -m resolvers.codes docs/errors.md

# The message catalogues (resolvers/core.py, its messages): the ids of `_(...)` / `ngettext(...)` in the code
# into locales/ediary.pot, then into each locale's .po (new ids untranslated: translate them;
# tests/api/test_messages.py fails until every id has its Russian and English text). The .po files
# are read as they are at start-up: nothing to compile.
messages: install
	$(BIN)/pybabel extract -F babel.cfg --add-comments=Translators: --no-location --sort-output --omit-header -o locales/ediary.pot resolvers edge demo schema server.py
	$(BIN)/pybabel update -i locales/ediary.pot -d locales -D ediary -w 120 --no-fuzzy-matching --ignore-obsolete

# schema.graphql against the last released schema (docs/schema.released.graphql): fails on a
# breaking change that CHANGELOG.md's [Unreleased] section does not record (schema/changes.py).
schema-check: install
	$(BIN)/python server.py schema-check

# The long fuzz run (tests/api/test_fuzz.py; `make test` runs 300 examples of it): FUZZ_EXAMPLES
# documents (10,000: about 20 minutes) with a random seed; prints the examples, the failures
# (each distinct one with its first document) and the time.
FUZZ_EXAMPLES ?= 10000
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -s -p no:randomly tests/api/test_fuzz.py $(PYTEST_ARGS)

# The manifest for EDIARY_TRUSTED_DOCUMENTS: `make -s trusted-manifest DOCUMENTS=dir > manifest.json`.
trusted-manifest: install
	@$(BIN)/python server.py trusted-manifest $(DOCUMENTS)

# `make bench` runs the diary benchmarks, then the live fan-out one (a few minutes, needs
# PostgreSQL and Redis db 10); SKIP_LIVE=1 leaves the live one out, `make bench-live` runs only it.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)
	$(if $(SKIP_LIVE),,$(BIN)/python -m bench.fanout $(FANOUT_ARGS))

bench-live: install
	$(BIN)/python -m bench.fanout $(FANOUT_ARGS)

# One gradeCreate and one gradesCreate of 25 (issue 24, 1) against a bare INSERT and a
# hand-written transaction, on a fresh ediary_bench_* database (about a minute):
# GRADES_ARGS="--redis-url redis://127.0.0.1:6379/15" publishes through Redis.
bench-grades: install
	$(BIN)/python -m bench.grades $(GRADES_ARGS)

# Dashboards over a generated district (100 schools, ~20M grades, COPY-loaded into a fresh
# ediary_bench_district on PostgreSQL; ~20 min): DISTRICT_ARGS="--scale 0.05" for a quick run.
bench-district: install
	$(BIN)/python -m bench.district $(DISTRICT_ARGS)

# Issue 7's mixed load: 2 server processes on a fresh ediary_mixed_* database and Redis db 14,
# 10 minutes steady, then rising steps (about 15 minutes, at most 20): MIXED_ARGS="--minutes 1" for a short run.
bench-mixed: install
	$(BIN)/python -m bench.mixed $(MIXED_ARGS)

# A 100,000-student district's day at its model's rates (bench/README.md, "A district's real day").
bench-mixed-day: install
	$(BIN)/python -m bench.mixed_day $(DAY_ARGS)

# The roll-ups against a full recomputation; REPAIR=1 rebuilds them when they differ.
rollups-check: install
	$(BIN)/python server.py rollups-check $(if $(REPAIR),--repair,)

# Real client libraries against a fresh demo server (clients/run-smoke.sh): Apollo Client with
# possibleTypes from GraphQL Code Generator, urql and graphql-ws (clients/smoke), and Relay
# (clients/relay: `make relay`'s checks, then relay-runtime running the compiled operations), each
# from its package-lock.json; a free port and a temporary SQLite database (data/ is not touched).
# Needs npm.
clients: install
	clients/run-smoke.sh

# Relay without a server (clients/relay): every connection field of schema.graphql has a fixture
# with @connection, relay-compiler compiles the fixture with no error, and graphql-eslint's Relay
# rules pass on schema.graphql. Run it after changing the schema. Needs npm.
relay:
	cd clients/relay && npm ci --no-audit --no-fund --loglevel=error && npm run --silent check

# Re-resolve the pinned dependencies (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
