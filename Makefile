# The README's quick start: `make demo` and `make test`, each on a fresh machine.
# `make bench`: Exmc against NumPyro (benchmarks/run.py).
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
BENCH  := $(VENV)/.bench-stamp
PIP    := $(PY) -m pip -q --disable-pip-version-check

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) -m exmc.demo

test: install
	$(PY) -m pytest

$(BENCH): $(STAMP)
	$(PIP) install -e ".[bench]"
	touch $(BENCH)

bench: $(BENCH)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache
