# Two commands on a fresh machine:
#   make serve   installs Cliquet and starts the demo service on http://127.0.0.1:8888/v1/
#   make tests   installs Cliquet, starts Redis and PostgreSQL, and runs the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
INSTALL_STAMP = $(VENV)/.install.stamp
PYTEST_WORKERS ?= auto

.PHONY: install serve services tests lint docs bench fuzz clean

install: $(INSTALL_STAMP)
$(INSTALL_STAMP): setup.cfg setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip" "setuptools<82" wheel
	$(BIN)/pip install -q -e ".[postgresql,monitoring,dev]"
	touch $(INSTALL_STAMP)

serve: install
	$(BIN)/pserve demo/memory.ini

services:
	bash .ci/services.sh

tests: install services
	CI=$${CI:-false} $(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider tests

lint: install
	$(BIN)/ruff check cliquet tests demo bench

docs: install
	$(BIN)/sphinx-build -W -b html docs docs/_build/html

bench: install services
	$(BIN)/python bench/backends.py
	$(BIN)/python bench/http.py --json bench/http-results.json

clean:
	rm -rf $(VENV) docs/_build .pytest_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
