# MindFlow set-up and main jobs. `make demo` and `make test` do all set-up on a fresh machine.
PY311 ?= $(shell pyenv root 2>/dev/null)/versions/3.11.7/bin/python3.11
PY37  ?= $(shell pyenv root 2>/dev/null)/versions/3.7.16/bin/python3.7
VENV  := .venv
LITE  := .venv-lite
DEMO  := runs/demo
export PYTHONHASHSEED := 0

.PHONY: demo test setup lint bench clean

setup: $(VENV)/.installed $(LITE)/.installed

$(VENV)/.installed: requirements/train.txt setup.cfg runtime/setup.cfg
	test -x $(VENV)/bin/python || $(PY311) -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements/train.txt
	$(VENV)/bin/pip install -q --no-deps -e ./runtime -e .
	touch $@

$(LITE)/.installed: requirements/lite.txt runtime/setup.cfg
	test -x $(LITE)/bin/python || $(PY37) -m venv $(LITE)
	$(LITE)/bin/pip install -q -r requirements/lite.txt
	$(LITE)/bin/pip install -q --no-deps -e ./runtime
	touch $@

# The main job on the built-in SYNTHETIC dataset: train + evaluate.
demo: setup
	$(VENV)/bin/mf-train --out $(DEMO)
	@echo "demo finished: report in $(DEMO)/report.md (SYNTHETIC data)"

test: setup
	$(VENV)/bin/pytest -q tests
	MF_ENGINES=onnx,lite $(LITE)/bin/pytest -q -p no:cacheprovider tests/runtime

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check train export runtime benchmarks tests

clean:
	rm -rf $(VENV) $(LITE) runs
