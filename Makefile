# The two commands of the README. Both install what they need and are safe to run twice.
.PHONY: run test stop setup lint bench
SHELL := /bin/bash

run: setup
	scripts/run.sh

test: setup
	scripts/test.sh

setup:
	scripts/setup.sh

stop:
	-@for p in web worker beat; do [ -f var/run/$$p.pid ] && kill $$(cat var/run/$$p.pid) 2>/dev/null; rm -f var/run/$$p.pid; done; echo stopped

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
