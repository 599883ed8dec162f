# Two targets a new user needs: `make report` (set up, analyse sample_logs/, write report/) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: report test setup check clean bench bench-smoke

report: setup
	$(BIN)/finops analyze sample_logs/ -o report/

test: setup
	$(BIN)/python -m pytest

check: setup
	$(BIN)/ruff check finops ingest analysis reports tests bench scripts
	$(BIN)/python -m pytest

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/system-deps.sh
	sh scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The benchmark of bench/run.py at the issue's sizes (long: inputs are generated, ccusage installed with npm).
bench: setup
	$(BIN)/python bench/run.py

bench-smoke: setup
	$(BIN)/python bench/run.py --smoke

clean:
	rm -rf $(VENV) report build *.egg-info
