# The two commands: `make run` (whole system locally) and `make test` (everything CI runs).
PY := .venv/bin/python
PIP := .venv/bin/pip
export AWS_DEFAULT_REGION ?= eu-west-1

.PHONY: venv test run token outbox lint typecheck bench clean

venv: .venv/.installed
.venv/.installed: requirements.txt requirements-dev.txt
	python3 -m venv .venv
	$(PIP) install -q --disable-pip-version-check -r requirements-dev.txt 2>&1 | grep -v '^WARNING: Location' || true
	$(PY) -c "import chalice, pynamodb, moto, stripe"  # fail here, not in the tests, if the install broke
	touch $@

test: venv
	$(PY) -m ruff check app.py chalicelib tests local bench infra
	$(PY) -m pytest -q -n 2 --dist loadgroup tests

clean:
	rm -rf .venv .local node_modules
