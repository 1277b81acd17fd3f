# buergerchat_wagtail: `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
MANAGE := $(BIN)/python manage.py
LOCALES := de en

.PHONY: demo install node-tools messages check-messages test test-fast screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,demo,redis,postgres,bench]"
	touch $@

install: $(VENV)/.installed

# The Nu Html Checker (vnu-jar, run with Java) and pa11y for tests/e2e/test_html_validators.py,
# pinned in package-lock.json. No install scripts: pa11y uses Debian's Chromium, not a download.
node_modules/.installed: package.json package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund
	touch $@

node-tools: node_modules/.installed

# Compiled .mo files are committed, so msgfmt is only needed when the .po files change.
messages: install
	cd buergerchat_wagtail && ../$(BIN)/python ../manage.py makemessages $(addprefix -l ,$(LOCALES)) -e html,py --no-obsolete
	cd buergerchat_wagtail && ../$(BIN)/python ../manage.py compilemessages

check-messages: install
	$(BIN)/python scripts/check_translations.py

demo: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo
	$(MANAGE) collectstatic --noinput -v0
	@echo ""
	@echo "Bürgerchat demo on http://$(HOST):$(PORT)/"
	@echo "  Citizen pages: http://$(HOST):$(PORT)/bauverwaltung/  http://$(HOST):$(PORT)/buergerbuero/  http://$(HOST):$(PORT)/buergersprechstunde/"
	@echo "  Staff admin:   http://$(HOST):$(PORT)/admin/buergerchat/"
	@echo "  Logins (DEMO ONLY, never use these passwords anywhere else):"
	@echo "    admin / admin                 superuser"
	@echo "    bauamt / bauamt               case worker, Bauverwaltung"
	@echo "    buergerbuero / buergerbuero   case worker, Bürgerbüro"
	@echo "    sprechstunde / sprechstunde   host of the Bürgersprechstunde (Bürgermeisteramt)"
	@echo "    leitung / leitung             supervisor (Leitung) of the Bauverwaltung: team board"
	@echo ""
	$(BIN)/buergerchat_daphne -b $(HOST) -p $(PORT) demo_site.asgi:application

test: install node-tools
	$(MANAGE) check --fail-level WARNING
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/python scripts/check_translations.py
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not browser and not install"

clean:
	rm -rf var build dist *.egg-info .pytest_cache

# Screenshots for the README and the German guides (docs/editors.md, docs/staff.md),
# taken from the demo site by tests/e2e/test_screenshots.py (German admin, 1280 px and 360 px).
screenshots: install
	BUERGERCHAT_SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest tests/e2e/test_screenshots.py -q -p no:randomly

# Benchmarks (separate server and client processes on 127.0.0.1); JSON under bench/results/:
# delivery latency/throughput against two baselines, idle connections, inbox, and the
# time and peak memory of PDF/A transcripts of 100, 1,000 and 5,000 messages.
bench: install
	$(BIN)/python -m bench.run
	$(BIN)/python bench/pdf_transcripts.py
