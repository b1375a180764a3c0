# Every target creates .venv on first use; a fresh clone needs only `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv clients-venv demo test test-fast lint bench local clean asl diagrams docs demo-inference demo-strategies demo-stages

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# SAM CLI pins its own dependencies; it lives in a venv of its own.
SAM_VENV  := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
$(SAM_STAMP):
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q aws-sam-cli==1.170.0
	touch $(SAM_STAMP)

## The main job: approvals become deployments on the embedded local stack.
## `make demo CONSOLE=1` also serves the console (read-only) and prints its address.
demo: $(STAMP)
	$(BIN)/rollout demo $(if $(CONSOLE),--console)
	$(BIN)/rollout demo-strategies
	$(BIN)/rollout demo-stages

## Stages in two accounts: one version promoted staging → production, one quarantined.
demo-stages: $(STAMP)
	$(BIN)/rollout demo-stages

## Experiments: shadow comparisons (accepted, rejected) and A/B tests with their verdicts.
demo-strategies: $(STAMP)
	$(BIN)/rollout demo-strategies

## Beyond real-time: an asynchronous request and a batch transform with joined output.
demo-inference: $(STAMP)
	$(BIN)/python -m rollout_local.demo_inference

# The real SDK clients of tests/clients (sagemaker-core, the classic SDK's Predictor) pin
# their own boto3, rich, attrs and packaging: a venv of their own, exact pins in
# requirements-clients.lock. The tests run them as subprocesses of .venv-clients/bin/python.
CLIENTS_VENV  := .venv-clients
CLIENTS_STAMP := $(CLIENTS_VENV)/.installed
$(CLIENTS_STAMP): requirements-clients.lock
	test -x $(CLIENTS_VENV)/bin/python || $(PYTHON) -m venv $(CLIENTS_VENV)
	$(CLIENTS_VENV)/bin/python -m pip install -q --upgrade pip
	$(CLIENTS_VENV)/bin/python -m pip install -q -r requirements-clients.lock
	touch $(CLIENTS_STAMP)

clients-venv: $(CLIENTS_STAMP)

# Parallel test workers, each with a local stack of its own; most of a deployment is waiting,
# so more workers than cores keep both cores busy.
TEST_WORKERS ?= 4

## Every test: unit, adapters on moto, end-to-end on the local stack, and the linters.
test: $(STAMP) $(CLIENTS_STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS)
	$(MAKE) --no-print-directory lint

## The tests that need no local stack (domain, adapters on moto, extensions, CLI rendering).
test-fast: $(STAMP)
	$(BIN)/pytest -n 2 -m "not stack"

# checkov pins its own dependency tree (boto3, pydantic, ...) too: a venv of its own as well.
CHECKOV_VENV  := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
$(CHECKOV_STAMP):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q checkov==3.2.497
	touch $(CHECKOV_STAMP)

lint: $(STAMP) $(SAM_STAMP) $(CHECKOV_STAMP)
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint --region us-east-1 --template template.yaml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src functions bench scripts
	$(BIN)/lint-imports
	$(BIN)/cfn-lint template.yaml deploy/github-oidc.yaml
	@# the delivery pipeline (docs/delivery.md); actionlint runs shellcheck on run: steps when it is installed
	$(BIN)/actionlint .github/workflows/*.yml
	@# the layer as sam build makes it: the model_rollout package alone, under python/
	rm -rf .aws-sam/layer-check && mkdir -p .aws-sam
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build RolloutLayer --template template.yaml --build-dir .aws-sam/layer-check >.aws-sam/layer-check.log 2>&1 || { cat .aws-sam/layer-check.log; exit 1; }
	test "$$(ls .aws-sam/layer-check/RolloutLayer/python)" = model_rollout
	test -f .aws-sam/layer-check/RolloutLayer/python/model_rollout/domain/policy.py
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --config-file .checkov.yaml --skip-download
	@# the OIDC template skips no check (.checkov.yaml's skips are template.yaml's)
	$(CHECKOV_VENV)/bin/checkov -f deploy/github-oidc.yaml --framework cloudformation --compact --quiet --skip-download

## The state machines' ASL files (statemachines/*.asl.json), from their compact sources
## (statemachines/src/*.yaml: Retry/Catch classes written once). Commit both.
asl: $(STAMP)
	$(BIN)/python scripts/build_asl.py

## Mermaid diagrams of the state machines (docs/statemachines/), from their ASL files.
diagrams: $(STAMP)
	$(BIN)/rollout diagram statemachines/*.asl.json

## The policy reference in docs/policy.md, generated from the policy's pydantic models.
docs: $(STAMP)
	$(BIN)/python scripts/policy_reference.py

## Benchmarks on the local stack; writes bench/results/latest.json, docs/benchmarks.md's table.
bench: $(STAMP)
	$(BIN)/python -m bench

## The local stack in the foreground (Ctrl-C stops it).
local: $(STAMP)
	$(BIN)/rollout local up

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) $(CLIENTS_VENV) .pytest_cache .mypy_cache .ruff_cache .aws-sam
