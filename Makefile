# Two entry points: `make run` (the main job on the embedded default) and `make test`.
# Both create or reuse .venv and install the project from this checkout.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# The main job on the embedded default: the family report (published vs counted, latency),
# a short training run on the embedded CIFAR-10 sample and its evaluation, then export to
# ONNX, int8 quantization (fp32 vs int8 top-1 and size), an int8 ExecuTorch program for
# phones and its top-1, and the latency table by backend. Training repeats bit for bit for a
# fixed seed and thread count on one kind of CPU, hence the fixed --threads.
RUN_DIR := runs/make-run

run: $(STAMP)
	$(BIN)/lightnets report --runs 20
	rm -rf $(RUN_DIR)
	$(BIN)/lightnets train mobilenet_v2 --width 0.5 --data sample --recipe sgd-cosine \
		--epochs 12 --batch-size 64 --threads 2 --out $(RUN_DIR)
	$(BIN)/lightnets eval $(RUN_DIR)/best.pth --data sample
	$(BIN)/lightnets export $(RUN_DIR)/best.pth
	$(BIN)/lightnets quantize $(RUN_DIR)/best.onnx --data sample
	$(BIN)/lightnets export $(RUN_DIR)/best.pth --format pte --int8 --data sample
	$(BIN)/lightnets eval --pte $(RUN_DIR)/best.int8.pte --data sample
	$(BIN)/lightnets bench mobilenet_v2 --width 0.5 --resolution 32 --num-classes 10 --backends all --threads 1

# One worker per core (pytest-xdist), a test file per worker at a time so that each file's
# module fixtures (the ExecuTorch exports, the trained checkpoints) are built once.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
