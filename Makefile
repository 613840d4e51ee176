# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint install clean dashboard

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

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
