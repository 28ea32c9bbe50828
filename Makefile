# rs_embed_qgis: every target that needs the environment builds it first (idempotent).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
APT_PACKAGES := qgis python3-qgis python3-gdal qgis-providers python3-venv proj-bin xvfb xauth \
	qttools5-dev-tools
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export QT_QPA_PLATFORM ?= offscreen
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: apt-deps setup test lint format demo bench screenshot package install-plugin clean \
	translations

setup: $(STAMP)

# Debian's QGIS (3.22 on Debian 12, 3.40 on 13), PROJ's data for pyproj in the venv, and the
# Xvfb used for screenshots: whatever is missing is installed, whatever else is present.
apt-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		$(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y \
			--no-install-recommends $$missing; \
	fi

# The venv sits on Debian's Python so that PyQGIS is importable in it.
$(STAMP): requirements.txt constraints.txt | apt-deps
	@# A venv left half-built (no pip: python3-venv was missing) is made again.
	$(PY) -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV); \
		/usr/bin/python3 -m venv --system-site-packages $(VENV); }
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(PY) -W ignore -c "import qgis.core, torch, torchgeo, rasterio, pyproj, xarray, exactextract; \
		print('environment ok: QGIS', qgis.core.Qgis.QGIS_VERSION, '| torch', torch.__version__, \
		'| torchgeo', torchgeo.__version__, '| rasterio', rasterio.__version__)"
	touch $(STAMP)

# PYTEST_ARGS, e.g. "-p randomly" (random order, off by default) or "-x tests/core".
test: setup
	$(PY) -m pytest tests $(PYTEST_ARGS)

# ruff, then the official plugin repository's blocking scans (Bandit, detect-secrets) on
# exactly the files the ZIP ships.
lint: setup
	$(PY) -m ruff check rs_embed_qgis tests benchmarks scripts
	$(PY) -m ruff format --check rs_embed_qgis tests benchmarks scripts
	$(PY) scripts/security_scan.py

format: setup
	$(PY) -m ruff format rs_embed_qgis tests benchmarks scripts
	$(PY) -m ruff check --fix rs_embed_qgis tests benchmarks scripts

bench: setup
	$(PY) benchmarks/bench.py

clean:
	rm -rf dist build .pytest_cache

# The main job end to end through qgis_process; outputs in out/demo/ (synthetic data offline).
demo: setup
	$(PY) scripts/demo.py

# dist/rs_embed_qgis-<version>.zip for QGIS's "Install from ZIP" (standard library only, plus
# Qt's lrelease for the translations).
package: apt-deps
	python3 scripts/package.py

# rs_embed_qgis/i18n/*.ts from the code's tr("...") texts (translations kept), then .qm.
translations: apt-deps
	python3 scripts/translations.py extract
	python3 scripts/translations.py compile

# Install the zip into a QGIS profile and enable it (QGIS_CONFIG=<folder> for another
# one than QGIS's own); then: QGIS_CUSTOM_CONFIG_PATH=<folder> qgis_process run rs_embed:...
install-plugin: package
	python3 scripts/install_plugin.py $(if $(QGIS_CONFIG),--config-path $(QGIS_CONFIG))

# docs/screenshot.png: a real QGIS window under Xvfb, the plugin enabled in a throwaway
# profile, a grid and samples made through the dock (synthetic product, offline).
screenshot: setup
	$(PY) scripts/screenshot.py

# The stock-QGIS tier (ZIP only) on QGIS 3.22 (Debian 12), 3.40 (Debian 13) and 3.44 (Debian 13
# backports), each in a Debian root built once with debootstrap and cached in
# $(MATRIX_DIR); one line per QGIS version. Needs root; slow on the first run (not in CI).
# MATRIX_ARGS, e.g. "--only debian13 --rebuild", goes to scripts/test_matrix.py.
MATRIX_DIR ?= /var/cache/rs_embed_matrix
.PHONY: test-matrix
test-matrix: setup
	@command -v debootstrap >/dev/null || { $(SUDO) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends debootstrap; }
	$(SUDO) env RS_EMBED_MATRIX_DIR=$(MATRIX_DIR) /usr/bin/python3 scripts/test_matrix.py $(MATRIX_ARGS)
