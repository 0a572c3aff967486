# tansiq — the front door. `make demo` and `make test` are all a newcomer needs.
#
#   make demo    install what is missing, build, start tansiqd --demo on http://127.0.0.1:8080
#                with a log witness for the supervisor (US) beside it on 127.0.0.1:8081
#                (and TAK/CoT on ssl://127.0.0.1:8089, a data package per demo user in DATA/tak/)
#   make test    install what is missing, build with ASan+UBSan, run unit and end-to-end tests
#   make fuzz    run the nine libFuzzer harnesses for FUZZ_SECONDS each
#   make bench   run the benchmarks (installs PostgreSQL/PostGIS, nginx, wrk)

BUILD      ?= build
TEST_BUILD ?= build-test
DATA       ?= ./tansiq-data
LISTEN     ?= 127.0.0.1:8080
WITNESS_LISTEN ?= 127.0.0.1:8081
COT_LISTEN ?= 127.0.0.1:8089
PYTHON     ?= /usr/bin/python3
FUZZ_SECONDS ?= 60

.PHONY: all deps web-deps build demo test test-build unit e2e fuzz bench clean

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD) tansiqd tansiq

# The console's npm packages (pinned in package-lock.json), from the npm registry.
web-deps: deps
	@bash scripts/deps.sh web
	@if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
		npm ci --no-audit --no-fund; fi
	@[ -f web/app/places.json ] || npm run --silent places

# tansiqd --demo, and beside it the supervisor's (US) log witness (scripts/demo.sh).
demo: build web-deps
	bash scripts/demo.sh $(BUILD) $(DATA) $(LISTEN) $(WITNESS_LISTEN) $(COT_LISTEN)

$(TEST_BUILD)/build.ninja:
	meson setup $(TEST_BUILD) -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debugoptimized

test-build: deps $(TEST_BUILD)/build.ninja
	ninja -C $(TEST_BUILD)

unit: test-build
	meson test -C $(TEST_BUILD) --print-errorlogs

e2e: test-build
	TANSIQD=$(CURDIR)/$(TEST_BUILD)/tansiqd $(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e

test: test-build web-deps  # web-deps: the TAK client libraries the e2e tests drive
	@bash scripts/test.sh $(TEST_BUILD)

fuzz: deps
	bash scripts/fuzz.sh run $$(( $(FUZZ_SECONDS) * 9 ))

bench: deps
	bash bench/http/run.sh
	bash bench/log/run.sh
	bash bench/engine/run.sh
	bash bench/fanout/run.sh

clean:
	rm -rf $(BUILD) $(TEST_BUILD)
