# Everything the project needs is installed from here: `make demo` and `make test` work on a fresh
# machine with Python 3.11 and nothing else.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint lit unit unit-O0 clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# Ships MediaPipe's face-detector .tflite that the SSD tests run; its dependencies are not
	# needed (nothing imports mediapipe), so they are not installed.
	$(BIN)/python -m pip install --quiet --no-deps mediapipe==0.10.14
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	@mkdir -p build
	$(BIN)/runec examples/sine/Runefile.yml -o build/sine.rune
	$(BIN)/rune inspect build/sine.rune
	$(BIN)/rune run build/sine.rune --raw examples/sine/input.bin

lint: setup
	$(BIN)/ruff check .

lit: setup
	$(BIN)/lit -q tests/lit

unit: setup
	$(BIN)/python -m pytest -q

# The whole suite again with runec's default level at -O0: nothing may depend on optimisation.
unit-O0: setup
	RUNE_OPT_LEVEL=0 $(BIN)/python -m pytest -q -p no:cacheprovider -m "not loss"

test: lint lit pg-deps studio studio-unit unit-O0 unit

clean:
	rm -rf build .pytest_cache

bench: setup
	$(BIN)/python benchmarks/bench_fusion.py
	$(BIN)/python benchmarks/bench_memory.py
	$(BIN)/python benchmarks/bench_compile_time.py
	$(BIN)/python benchmarks/runtime/bench_overhead.py
	$(BIN)/python benchmarks/runtime/bench_microspeech.py
	$(BIN)/python benchmarks/bench_forge.py

# Microcontroller proofs (docs/abi.md "Hosts on microcontrollers"): the MVP wasm profile on
# wasm3, and native Cortex-M4 code on qemu's mps2-an386. Installs Debian's cross toolchain and
# qemu (as root, or through sudo) and pywasm3, which builds from its sdist.
MCU_DEBS := gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
SUDO ?= $(shell [ "$$(id -u)" = 0 ] || echo sudo)
.PHONY: mcu-deps test-mcu bench-mcu

mcu-deps: setup
	dpkg -s $(MCU_DEBS) >/dev/null 2>&1 || { $(SUDO) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $(MCU_DEBS); }
	$(BIN)/python -m pip install --quiet pywasm3==0.5.0

test-mcu: mcu-deps
	$(BIN)/python -m pytest -q tests/mcu

bench-mcu: mcu-deps
	$(BIN)/python benchmarks/mcu/bench_mcu.py --out /tmp/mcu_figures.md

# Forge (docs/forge.md): the server suite runs on SQLite and on a throw-away PostgreSQL cluster
# that the tests start on loopback; `pg-deps` installs Debian's PostgreSQL server for them.
PG_DEBS := postgresql
.PHONY: pg-deps test-forge test-forge-loss forge-openapi

pg-deps:
	dpkg -s $(PG_DEBS) >/dev/null 2>&1 || { $(SUDO) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $(PG_DEBS); }

test-forge: setup pg-deps
	$(BIN)/python -m pytest -q tests/forge

test-forge-loss: setup pg-deps
	$(BIN)/python -m pytest -q tests/forge/test_loss.py

forge-openapi: setup
	$(BIN)/python -m rune.forge.server.openapi docs/forge.openapi.json

# The Forge studio (studio/, docs/forge.md "The studio"): React + Vite, built into studio/dist
# with the browser runtime beside it, and served by `forge serve` at /. Node >= 20.19 and npm come from Debian when missing; Chromium
# (Debian's package) drives the browser tests in tests/studio through playwright-core.
STUDIO_DEBS := nodejs npm chromium
STUDIO_SOURCES := $(shell find studio/src -type f 2>/dev/null) studio/index.html studio/vite.config.ts studio/tsconfig.json
.PHONY: studio studio-deps studio-unit test-studio

studio-deps:
	dpkg -s $(STUDIO_DEBS) >/dev/null 2>&1 || command -v npm >/dev/null && [ -x /usr/bin/chromium ] || { \
		$(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y \
		--no-install-recommends $(STUDIO_DEBS); }

studio/node_modules/.installed: studio/package-lock.json | studio-deps
	cd studio && npm ci --no-audit --no-fund
	touch $@

studio/dist/index.html: studio/node_modules/.installed $(STUDIO_SOURCES)
	cd studio && npm run build

# The browser runtime (web/, `make web`) is served beside the studio at /runtime/ for Test run.
studio: studio/dist/index.html web
	rm -rf studio/dist/runtime && cp -r web/dist/web studio/dist/runtime

studio-unit: studio/node_modules/.installed
	cd studio && npm run lint && npm test

test-studio: setup studio studio-unit
	$(BIN)/python -m pytest -q tests/studio
