# Two commands on a fresh machine:
#   make serve   installs Cliquet and starts the demo service on http://127.0.0.1:8888/v1/
#   make tests   installs Cliquet, starts Redis and PostgreSQL, runs the whole test suite,
#                then Cliquet 3.1.5's own suite (fails below .ci/conformance-floor)
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
INSTALL_STAMP = $(VENV)/.install.stamp
PYTEST_WORKERS ?= auto

.PHONY: install serve services tests conformance lint docs bench fuzz clean

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
	bash .ci/conformance.sh

# Cliquet 3.1.5's own suite against this checkout; fails below .ci/conformance-floor.
conformance: install services
	bash .ci/conformance.sh

lint: install
	$(BIN)/ruff check cliquet tests demo bench

docs: install
	$(BIN)/sphinx-build -W -b html docs docs/_build/html

# Schemathesis against the demo (memory backends) from its OpenAPI description:
# fails on any server error or response that does not match the description.
FUZZ_EXAMPLES ?= 25
FUZZ_CHECKS = not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance

fuzz: install
	@work=$$(mktemp -d); \
	port=$$($(BIN)/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	$(BIN)/gunicorn --paste demo/memory.ini -b 127.0.0.1:$$port -w 1 --threads 4 2>$$work/server.log & \
	server=$$!; \
	trap 'kill $$server; rm -rf $$work' EXIT; \
	cd $$work && $(abspath $(BIN))/schemathesis run http://127.0.0.1:$$port/v1/__api__ \
		--wait-for-schema 30 --checks $(FUZZ_CHECKS) --auth fuzz:fuzz \
		--max-examples $(FUZZ_EXAMPLES) --seed 20160315 --generation-database none \
		--workers 1 --no-color \
	|| { echo "Server log:"; tail -n 60 server.log; exit 1; }

bench: install services
	command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
	$(BIN)/python bench/backends.py
	$(BIN)/python bench/http.py --json bench/http-results.json
	$(BIN)/python bench/http.py --workers 2 --json bench/http-scale-out.json
	$(BIN)/python bench/concurrency.py

clean:
	rm -rf $(VENV) docs/_build .pytest_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
