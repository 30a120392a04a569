# Two commands on a fresh machine:
#   make serve   installs Cliquet and starts the demo service on http://127.0.0.1:8888/v1/
#   make tests   installs Cliquet, starts Redis and PostgreSQL, runs the linters (ruff,
#                mypy), the whole test suite, then Cliquet 3.1.5's own suite (fails
#                below .ci/conformance-floor)
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

tests: install services lint
	CI=$${CI:-false} $(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider tests
	bash .ci/conformance.sh

# Cliquet 3.1.5's own suite against this checkout; fails below .ci/conformance-floor.
conformance: install services
	bash .ci/conformance.sh

# ruff, then mypy over cliquet/ (configured in setup.cfg: strict on the public API).
lint: install
	$(BIN)/ruff check cliquet tests demo bench
	$(BIN)/mypy

docs: install
	$(BIN)/sphinx-build -W -b html docs docs/_build/html

# Schemathesis against the demo (memory backends) from its OpenAPI description:
# fails on any server error or response that does not match the description.
# `make fuzz FUZZ_CHECKS=all` also checks how requests are answered; what no
# description can tell those checks is set here (docs/openapi.rst, "Fuzzing"):
# a 412 answers a request whose precondition fails, read before the querystring
# (Cliquet 3.1), so it is an answer to valid and invalid requests alike;
# ignored_auth is left out, as Basic Auth refuses no user name and password;
# strings hold no NUL character (a documented 400), credentials come from --auth
# only; gunicorn's request line and header limits are lifted, its 414 and 431 not
# being the service's answers; cliquet/openapi/fuzzing.py does not send requests
# Schemathesis mislabels as valid, nor report body values Colander reads.
FUZZ_EXAMPLES ?= 25
FUZZ_CHECKS = not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
FUZZ_EXCLUDE = ignored_auth
FUZZ_ACCEPTED = "2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"
FUZZ_REFUSED = "400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429", "5xx"

fuzz: install
	@work=$$(mktemp -d); \
	port=$$($(BIN)/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	printf '[checks.%s]\nexpected-statuses = [%s]\n' \
		positive_data_acceptance '$(FUZZ_ACCEPTED)' negative_data_rejection '$(FUZZ_REFUSED)' \
		>$$work/schemathesis.toml; \
	$(BIN)/gunicorn --paste demo/memory.ini -b 127.0.0.1:$$port -w 1 --threads 4 \
		--limit-request-line 0 --limit-request-field_size 0 2>$$work/server.log & \
	server=$$!; \
	trap 'kill $$server; rm -rf $$work' EXIT; \
	cd $$work && SCHEMATHESIS_HOOKS=cliquet.openapi.fuzzing \
		$(abspath $(BIN))/schemathesis --config-file schemathesis.toml \
		run http://127.0.0.1:$$port/v1/__api__ \
		--wait-for-schema 30 --checks $(FUZZ_CHECKS) --exclude-checks $(FUZZ_EXCLUDE) \
		--auth fuzz:fuzz --generation-with-security-parameters false --generation-allow-x00 false \
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
	rm -rf $(VENV) docs/_build .pytest_cache .mypy_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
