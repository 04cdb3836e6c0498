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

# The main job on the built-in SYNTHETIC dataset: train + evaluate, export, score, benchmark.
# DATA=path/to/NF-file.csv.gz trains on real data instead.
DATA ?=
DEMO_DATA := $(if $(DATA),--data $(DATA),)
demo: setup $(VENV)/.bench
	$(VENV)/bin/mf-train $(DEMO_DATA) --out $(DEMO)
	$(VENV)/bin/mf-export --run $(DEMO) --out $(DEMO)/bundle --force
	$(VENV)/bin/mf-synth --out $(DEMO)/flows-synthetic.csv.gz --rows 20000 --seed 99
	$(VENV)/bin/mf-score --bundle $(DEMO)/bundle --input $(DEMO)/flows-synthetic.csv.gz \
		--output $(DEMO)/scores.csv --summary $(DEMO)/scores-summary.json
	$(VENV)/bin/python benchmarks/run.py --bundle $(DEMO)/bundle --out $(DEMO)/bench --quick
	$(VENV)/bin/python benchmarks/train_step.py --run $(DEMO) --steps 30 --out $(DEMO)/bench
	@echo
	@echo "demo finished ($(if $(DATA),$(DATA),SYNTHETIC data)):"
	@echo "  training report   $(DEMO)/report.md"
	@echo "  bundle            $(DEMO)/bundle"
	@echo "  scores            $(DEMO)/scores.csv"
	@echo "  benchmarks        $(DEMO)/bench/bench.md, $(DEMO)/bench/train_step.md"

$(VENV)/.bench: requirements/bench.txt $(VENV)/.installed
	$(VENV)/bin/pip install -q -r requirements/bench.txt
	touch $@

bench: setup $(VENV)/.bench
	$(VENV)/bin/python benchmarks/run.py --bundle $(DEMO)/bundle --out $(DEMO)/bench
	$(VENV)/bin/python benchmarks/train_step.py --run $(DEMO) --out $(DEMO)/bench

test: setup
	$(VENV)/bin/pytest -q tests
	MF_ENGINES=onnx,lite $(LITE)/bin/pytest -q -p no:cacheprovider tests/runtime

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check train export runtime benchmarks tests

clean:
	rm -rf $(VENV) $(LITE) runs
