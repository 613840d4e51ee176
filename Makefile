# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench fuzz lint install clean dashboard

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/r2r describe scenarios/baseline.yaml
	@mkdir -p out
	$(BIN)/r2r schedule scenarios/baseline.yaml --time-limit 30 --out out/baseline-schedule.json
	$(BIN)/r2r simulate scenarios/baseline.yaml --days 30 --replications 10 \
		--schedule out/baseline-schedule.json

dashboard: $(STAMP)
	$(BIN)/r2r dashboard

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# The full fuzz campaign of issue 11 (about 26 000 cases, 20-30 min on 2 cores); make test runs a
# small profile of it.
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz.campaign --profile full --workers 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
