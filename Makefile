# torchjax developer commands.  Needs only python3 (3.11+) and make.
#
#   make setup   create .venv and install torchjax (editable) with test deps
#   make demo    run examples/train_classifier.py, an unmodified PyTorch training script, on torchjax
#   make test    run the test suite (2 workers)
#   make bench   run the benchmarks
#   make compat  run the compatibility suite
#
# pytest exit status 5 ("no tests collected") is NOT treated as success:
# a suite that collects nothing is broken, so `make test` fails on it.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.setup-stamp

.PHONY: setup demo test bench compat

setup: $(STAMP)

# Re-run only when pyproject.toml changes (or .venv is missing).
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: setup
	$(PY) -m torchjax examples/train_classifier.py

test: setup
	$(PY) -m pytest -q -n 2 tests

bench: setup
	@test -f benchmarks/run.py || { echo "benchmarks/run.py does not exist yet" >&2; exit 1; }
	$(PY) benchmarks/run.py

compat: setup
	@test -f compat_suite/run.py || { echo "compat_suite/run.py does not exist yet" >&2; exit 1; }
	$(PY) -m compat_suite.run
