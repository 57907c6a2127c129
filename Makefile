# Self-contained entry points: each target creates .venv with the machine's python3 when it is
# absent and (re)installs the package only when its metadata changed (the stamp file).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
BACKENDS_STAMP := $(VENV)/.installed-backends
# What must pass under every Keras backend (make test runs everything under TF): the layers, and
# every registered model running forward (test_models) with the blocks, the feature models
# (test_features) and loading. The family files check architecture arithmetic (counts, shapes), which does not depend on the backend, at
# several minutes per backend (JAX compiles every model anew): the TF run covers them.
# test_export_backends.py: every export format written and verified, or refused, per backend.
# tests/weights/test_torchvision.py: the torchvision conversions against torch (installed here).
BACKEND_SUITES := tests/layers tests/zoo/models/test_models.py tests/zoo/models/test_blocks.py \
	tests/zoo/models/test_features.py tests/zoo/test_loading.py tests/zoo/test_export_backends.py \
	tests/weights/test_torchvision.py

.PHONY: demo test test-fast test-backends bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(STAMP)
	$(BIN)/zoo train lenet5 --dataset digits --epochs 15 --optimizer momentum --export artifacts/lenet5

# Two pytest-xdist workers (CI has 2 cores), fed tests as they free up (--dist load): the
# heaviest files would otherwise keep one worker busy long after the other is done.
PYTEST := $(BIN)/pytest -n 2 --dist load

test: $(STAMP)
	$(BIN)/ruff check .
	$(PYTEST)

# For working: no slow test, none recorded over 0.3 s (tests/durations.json), and
# at least one test of every file and every model (tests/helpers/fast_tier.py). CI runs `make test`.
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(PYTEST) --fast

# CPU ratio benchmarks (TensorFlow backend); rewrites BENCHMARKS.md, records in artifacts/benchmarks.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.report

$(BACKENDS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,backends]'
	touch $@

test-backends: $(BACKENDS_STAMP)
	KERAS_BACKEND=jax $(PYTEST) $(BACKEND_SUITES)
	KERAS_BACKEND=torch $(PYTEST) $(BACKEND_SUITES)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check zoo layers training tuning tests benchmarks

clean:
	rm -rf $(VENV) artifacts build *.egg-info .pytest_cache .ruff_cache
