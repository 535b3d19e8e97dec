# The README's quick start: `make demo` and `make test`, each on a fresh machine.
# `make bench`: Exmc against NumPyro (benchmarks/run.py).
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
BENCH  := $(VENV)/.bench-stamp
PIP    := $(PY) -m pip -q --disable-pip-version-check
# The browser test drives Debian's chromium (no browser download); root or sudo installs it.
CHROMIUM := /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo test bench clean js

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) -m exmc.demo

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

test: install $(CHROMIUM)
	$(PY) -m pytest

# The dashboard's front end: js/src -> exmc_widgets/static/dashboard.js (committed, so that
# installing Exmc needs no npm; tests/widgets/test_bundle.py checks it is current).
js:
	cd js && npm ci --no-audit --no-fund --loglevel=error && node build.mjs

$(BENCH): $(STAMP)
	$(PIP) install -e ".[bench]"
	touch $(BENCH)

bench: $(BENCH)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache
