# pyramid-fast: the template's own commands.
#   make test      hooks, bad answers, every combination rendered and linted,
#                  and the covering set installed with its own suite run
#   make test-all  the same, installing and testing every supported combination
#   make demo      bake the defaults into build/demo, set them up and serve them
#   make lint      ruff over the hooks and the tests
#   make bench     benchmark: projects vs a naive baseline vs the ceiling (long)
#   make bench-smoke  the same harness, a few seconds per target
#   make soak      60 s at 64 connections per combination: errors and RSS growth
#   make test-topology  two app hosts behind nginx, a Redis Cluster, a Memcached
#                  pool, for the covering set's server-backed combinations

PYTHON ?= python3
VENV := build/venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: test test-all test-topology demo lint clean bench bench-smoke soak

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: tests/requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet -r tests/requirements.txt
	touch $@

test: $(VENV)/.installed
	$(BIN)/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider $(PYTEST_ARGS)

test-all: $(VENV)/.installed
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider --all-combinations $(PYTEST_ARGS)

# One at a time (the failures are timed); the figures are the FAILURE lines.
# Whatever a test left running under TOPOLOGY_TMP is killed and fails the run.
TOPOLOGY_TMP := build/topology
test-topology: $(VENV)/.installed
	rm -rf $(TOPOLOGY_TMP) && mkdir -p $(dir $(TOPOLOGY_TMP))
	$(BIN)/python -m pytest -p no:cacheprovider -s --topology \
		--basetemp=$(TOPOLOGY_TMP) $(PYTEST_ARGS); \
	status=$$?; $(BIN)/python -m tests.leftovers $(TOPOLOGY_TMP) || status=1; \
	exit $$status

lint: $(VENV)/.installed
	$(BIN)/ruff check hooks tests local_extensions.py benchmarks
	$(BIN)/ruff format --check hooks tests local_extensions.py benchmarks

demo: $(VENV)/.installed
	rm -rf build/demo
	$(BIN)/cookiecutter --no-input --output-dir build/demo .
	PATH="$(CURDIR)/$(BIN):$$PATH" $(MAKE) -C build/demo/pyramid_fast_app run

# Standard library harness: builds its own venvs under benchmarks/build/.
BENCH_COMBOS ?= default redis-pg-threads redis-pg-gevent
# BENCH_BEFORE=<commit>: each combination also baked from that commit, same run.
bench:
	$(PYTHON) -m benchmarks.bench --combos $(BENCH_COMBOS) \
		$(if $(BENCH_BEFORE),--before $(BENCH_BEFORE))

bench-smoke:
	$(PYTHON) -m benchmarks.bench --smoke --combos $(or $(SMOKE_COMBOS),default)

# Fails on any socket error or non-200/304; writes benchmarks/results/soak.md.
soak:
	$(PYTHON) benchmarks/soak.py $(SOAK_ARGS)

clean:
	rm -rf build
