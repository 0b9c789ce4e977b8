# Everything the project needs is installed from here: `make demo` and `make test` work on a fresh
# machine with Python 3.11 and nothing else.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint lit unit unit-O0 clean bench

$(STAMP): pyproject.toml dist/runtime/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# Two distributions (README, "Install"): the runtime first, so the compiler's dependency on
	# rune-runtime==0.1.0 is already met by this checkout and never looked up on an index.
	$(BIN)/python -m pip install --quiet -e dist/runtime
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# A venv made before the split had `rune` from rune-compiler, whose upgrade just removed it.
	test -x $(BIN)/rune || $(BIN)/python -m pip install --quiet --no-deps --force-reinstall -e dist/runtime
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
	RUNE_OPT_LEVEL=0 $(BIN)/python -m pytest -q -p no:cacheprovider

test: lint lit web browser-deps unit-O0 unit

clean:
	rm -rf build .pytest_cache

# The two distributions (README, "Install"): their wheels in build/wheels, and what installing
# each one adds to a fresh venv.
.PHONY: wheels install-sizes
wheels: setup
	$(BIN)/python dist/wheels.py build build/wheels

install-sizes: setup
	$(BIN)/python dist/wheels.py sizes

# docs/manifest.schema.json is generated from rune.abi's dataclasses (a test keeps it current).
.PHONY: schema
schema: setup
	$(BIN)/python -m rune.abi.schema docs/manifest.schema.json

bench: setup
	$(BIN)/python benchmarks/bench_fusion.py
	$(BIN)/python benchmarks/bench_memory.py
	$(BIN)/python benchmarks/bench_compile_time.py
	$(BIN)/python benchmarks/runtime/bench_overhead.py
	$(BIN)/python benchmarks/runtime/bench_microspeech.py

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

# The TypeScript host (web/, docs/web.md): npm ci from the committed lockfile (only when it
# changed), the ABI table emitted from the Python host, then the bundles (esbuild). Its tests are
# tests/web (run by `make test`); they drive Debian's Chromium, which `browser-deps` installs.
BROWSER_DEBS := chromium
.PHONY: web web-demo browser-deps test-web

web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web: setup web/node_modules/.installed
	$(BIN)/python web/scripts/emit_abi.py web/src/generated/abi.json
	cd web && node scripts/schema.mjs && npx --no-install tsc --noEmit && node build.mjs

web-demo: web
	@echo "serve it: $(BIN)/python -m http.server -d web/dist 8000, then open http://localhost:8000/demo/"

browser-deps:
	dpkg -s $(BROWSER_DEBS) >/dev/null 2>&1 || { $(SUDO) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $(BROWSER_DEBS); }

test-web: web browser-deps
	$(BIN)/python -m pytest -q tests/web
