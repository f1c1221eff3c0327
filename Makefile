# The studio's commands. A fresh machine needs only Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
VOICE_STAMP := $(VENV)/.installed-voice

.PHONY: run setup voices chromium test lint fmt bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP) $@

# PyPI's torchaudio wheels link CUDA libraries; beside a CPU torch their compiled part cannot load.
# Without it torchaudio runs as plain Python, which is all Coqui inference needs.
$(VOICE_STAMP): requirements-voice.txt requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-voice.txt
	# Kokoro's phoneme table ships in kokoro-onnx (MIT); without its dependencies (a GPL phonemizer).
	$(PY) -m pip install --quiet --no-deps kokoro-onnx==0.6.1
	$(PY) -c "import torchaudio" 2>/dev/null || rm -f $$($(PY) -c "import importlib.util, pathlib; print(pathlib.Path(importlib.util.find_spec('torchaudio').origin).parent)")/lib/*.so
	$(PY) -c "import TTS.api"
	touch $@

## voices: install the neural voices (Coqui TTS, torch) for TTS_ENGINE=coqui.
voices: $(VOICE_STAMP)

## run: set everything up and run the studio (dashboard, worker, streamer). Ctrl-C stops all.
run: $(STAMP)
	$(PY) manage.py studio

## setup: install, migrate and seed without starting anything.
setup: $(STAMP)
	$(PY) manage.py studio --setup-only

## chromium: Debian's Chromium for the browser tests (Playwright drives it; no browser download).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install it (sudo apt-get install chromium) for the browser tests"; fi; }

# Test processes (pytest-xdist). Much of the suite waits on real processes (workers, servers, a
# real-time stream), so two overlap well even on two cores. Each file stays on one process, so its
# module fixtures are built once; files go out in collection order, which tests/conftest.py puts
# the slow ones first in. TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2

## test: install the test tools and run the whole suite (no tests collected counts as failure).
test: $(DEV_STAMP) $(VOICE_STAMP) chromium
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/1} $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: $(DEV_STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

## bench: run the benchmarks and print their figures as JSON.
bench: $(DEV_STAMP) $(VOICE_STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
