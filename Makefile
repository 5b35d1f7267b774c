# One-command set-up: `make demo` and `make test` do everything on a new machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DISTS := protos engine cli gateway
PROTO_SRC := $(wildcard protos/gpt_image/v1/*.proto)

.PHONY: install demo test check proto clean bench bench-deps browser-deps postgres-deps buf buf-check released-contract skill-bundle dist

install: $(STAMP)

$(STAMP): requirements-dev.txt constraints.txt $(foreach d,$(DISTS),$(d)/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -r requirements-dev.txt $(foreach d,$(DISTS),-e ./$(d))
	touch $(STAMP)

proto: $(STAMP)
	$(BIN)/python scripts/gen_protos.py

check: $(STAMP) buf-check
	$(BIN)/ruff check protos/src/gpt_image_protocol engine/src cli/src gateway/src skill tests bench scripts
	$(BIN)/ruff format --check protos/src/gpt_image_protocol engine/src cli/src gateway/src
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache --no-logo

# buf (lint + breaking-change check of protos/, rules in protos/buf.yaml) comes from the npm
# registry as @bufbuild/buf, pinned, into .tools/ (Debian's npm is installed when missing).
BUF_VERSION := 1.75.0
BUF := .tools/node_modules/.bin/buf
# The last released contract, as an image built from that commit's protos/ (`make
# released-contract` after a release): `buf breaking` compares against the committed file, so
# the check needs no git history (shallow clones, source tarballs).
RELEASED_REF := 9323a15
RELEASED_IMAGE := protos/released.binpb

buf: $(BUF)

$(BUF):
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "installing npm for buf"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null; \
	fi
	npm install --silent --no-audit --no-fund --prefix .tools @bufbuild/buf@$(BUF_VERSION)
	test -x $(BUF) && touch $(BUF)

buf-check: $(BUF)
	$(BUF) lint protos
	$(BUF) breaking protos --against $(RELEASED_IMAGE)

released-contract: $(BUF)
	$(BUF) build '.git#ref=$(RELEASED_REF),subdir=protos' --exclude-source-info -o $(RELEASED_IMAGE)

# Browser tests drive Debian's Chromium (no browser download), the desktop window test
# runs it under Xvfb, and the Chinese screenshots need a CJK font: installed when missing.
browser-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v Xvfb >/dev/null 2>&1 || missing="$$missing xvfb"; \
	[ -n "$$(fc-list :lang=zh 2>/dev/null)" ] || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# The history tests run a private PostgreSQL cluster (tests/servers/postgres.py) from Debian's
# server binaries (initdb, pg_ctl; under /usr/lib/postgresql/*/bin): installed when missing.
postgres-deps:
	@if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing postgresql for the history store tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	fi

# Tests run in parallel (most wait on real processes); a file's tests stay on one worker so
# module-scoped engines and servers are shared. TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 3

test: $(STAMP) browser-deps postgres-deps $(BUF)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# ffmpeg (the transparent comparison) and wrk (gateway load) come from Debian.
bench-deps: $(STAMP)
	@$(BIN)/python -c "import pymatting, ijson, imagecodecs" 2>/dev/null || { \
		echo "installing the benchmarks' Python dependencies"; \
		$(BIN)/python -m pip install -q -c constraints.txt -r bench/requirements.txt; }
	@for tool in ffmpeg wrk; do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing for the benchmarks"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

bench: $(STAMP) bench-deps postgres-deps
	$(BIN)/python bench/cli_startup.py
	$(BIN)/python bench/generate_overhead.py
	$(BIN)/python bench/transparent.py --quick
	$(BIN)/python bench/verify_corpus.py
	$(BIN)/python bench/dual_corpus.py
	$(BIN)/python bench/source_corpus.py
	$(BIN)/python bench/history.py
	$(BIN)/python bench/history_pg.py
	$(BIN)/python bench/web_sessions.py --postgres
	$(BIN)/python bench/cluster.py
	@for b in artifact_throughput artifacts_s3 gateway_load load storage_throughput; do \
		if [ -f bench/$$b.py ]; then $(BIN)/python bench/$$b.py || exit 1; fi; \
	done

# Wheels for the four distributions in dist/, all carrying the version in VERSION.
dist: $(STAMP)
	$(BIN)/python scripts/build_dists.py dist

skill-bundle: $(STAMP)
	$(BIN)/python skill/scripts/bundle.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache dist
