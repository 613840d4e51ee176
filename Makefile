# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS := all,dev
# The exact releases the whole suite passes with; `make lock` writes it anew (README).
CONSTRAINTS := constraints.txt

.PHONY: run test bench bench-schedule bench-all fuzz lint install clean dashboard lock browser compiled

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --constraint $(CONSTRAINTS) -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP) compiled

# The engine's hot modules compiled with mypyc, for this very code (twin/compiled/): about a minute
# when the sources changed, nothing otherwise. Without a C compiler it says so, and the engine runs
# interpreted, with the same results.
compiled: $(STAMP)
	@$(BIN)/python -m twin.compiled.build

run: $(STAMP) compiled
	$(BIN)/r2r describe scenarios/baseline.yaml
	@mkdir -p out
	$(BIN)/r2r schedule scenarios/baseline.yaml --time-limit 30 --out out/baseline-schedule.json
	$(BIN)/r2r simulate scenarios/baseline.yaml --days 30 --replications 10 \
		--schedule out/baseline-schedule.json

dashboard: $(STAMP) compiled
	$(BIN)/r2r dashboard

test: $(STAMP) compiled browser
	$(BIN)/python -m pytest -q

# The system Chromium for the browser tests, where this user may install it (else they are skipped).
browser:
	@bash .ci/install-chromium --if-possible

# The engine's, study's and loaders' benchmarks (about 7 min), ending with a table of their
# targets; the scheduler's and re-planning's (15 min and more) apart. The bench extra brings
# salabim and ciw, which the 5-station line is compared with.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --constraint $(CONSTRAINTS) -e ".[$(EXTRAS),bench]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) compiled
	$(BIN)/python benchmarks/run.py engine

bench-schedule: $(STAMP) compiled
	$(BIN)/python benchmarks/run.py schedule

bench-all: $(BENCH_STAMP) compiled
	$(BIN)/python benchmarks/run.py all

# The full fuzz campaign of issue 11 (about 26 000 cases, 20-30 min on 2 cores); make test runs a
# small profile of it.
fuzz: $(STAMP) compiled
	$(BIN)/python -m tests.fuzz.campaign --profile full --workers 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy

# Take the newest releases pyproject.toml allows, in a venv of their own; if the whole suite passes
# with them, they become constraints.txt.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e ".[$(EXTRAS)]"
	.venv-lock/bin/python -m pytest -q
	{ echo "# The releases the whole suite passed with: make installs these. Written by make lock."; \
	  .venv-lock/bin/python -m pip freeze --all --exclude-editable | grep -v '^pip=='; } > $(CONSTRAINTS)
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) .venv-lock .pytest_cache .ruff_cache .hypothesis
