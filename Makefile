# The README's two commands: `make demo` and `make test`. Both create .venv and install the
# pinned set (requirements.lock) on first use; nothing is downloaded at run time.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo_out
# Debian's Chromium for the browser tests (Playwright drives it; Playwright's own browser download
# cannot work offline). Pinned; falls back to the archive's current build if the pin is gone.
CHROMIUM_VERSION ?= 156.0.8078.129-1~deb12u1

.PHONY: demo test lint install bench clean browser

install: $(STAMP)

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  command -v apt-get >/dev/null 2>&1 || { echo "error: chromium missing and no apt-get: install Chromium"; exit 2; }; \
	  apt-get update -qq && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium=$(CHROMIUM_VERSION) || \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }; }

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/repcoach demo --out $(DEMO_OUT)

test: $(STAMP) browser
	$(PY) -m pytest -q -n auto

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench

bench: $(STAMP)
	@for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(DEMO_OUT) .pytest_cache
