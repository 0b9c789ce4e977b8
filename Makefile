# Everything the project needs is installed from here: `make demo` and `make test` work on a fresh
# machine with Python 3.11 and nothing else.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint lit unit unit-O0 units unit-O2-rest unit-O2-forge clean bench
.PHONY: bench-models

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

# Every suite at runec's default level (-O2), less the `loss` failure-injection campaign (3.5
# minutes of fixed-length runs): `make test-forge-loss` runs it, and so does .ci/run.
unit: setup
	$(call pytest_pass,-m "not loss")

# The whole suite again with runec's default level at -O0: nothing may depend on optimisation.
# Left out: slow suites that cannot depend on it (Forge's server, the web runtime, rune eval, the
# studio), which the `unit` pass runs; tests marked `fixed_opt_level` (every compile in them
# names its -O level or pass pipeline, or they compile nothing, so $RUNE_OPT_LEVEL cannot change
# them: tests/e2e's emit and -O tests, the .tflite reader's, the fuzz corpus replay; the `unit`
# pass runs them); and the `loss` test (test-forge-loss).
O0_SKIP := --ignore=tests/forge --ignore=tests/web --ignore=tests/eval --ignore=tests/studio
unit-O0: setup
	$(call pytest_pass,-p no:cacheprovider $(O0_SKIP) -m "not loss and not fixed_opt_level",\
		RUNE_OPT_LEVEL=0)

# What `make test` runs: the two passes at once, on two cores (each pass alone keeps about one
# core busy), the -O2 pass in two parts so that both cores finish together: its Forge suite
# (about a third of it) runs after the -O0 pass, on the core that ran it. Each part prints its
# output when it ends, and a failing part does not stop the others. Nothing they use is
# shared: each has its own pytest basetemp and no .pytest_cache, runec's compile cache is off
# in tests (tests/conftest.py), servers, Ray and PostgreSQL take free loopback ports, and
# PostgreSQL's clusters live in the basetemp.
units: setup
	$(MAKE) -j2 --keep-going --output-sync=target --no-print-directory \
		unit-O2-rest unit-O0 unit-O2-forge

unit-O2-rest: setup
	$(call pytest_pass,-p no:cacheprovider --ignore=tests/forge -m "not loss")

unit-O2-forge: setup
	$(call pytest_pass,-p no:cacheprovider -m "not loss" tests/forge)

# pytest for one pass: $(1) its arguments, $(2) its environment; a basetemp of its own under
# /tmp (short: PostgreSQL's socket path has a length limit), removed when the pass succeeds and
# kept for a look when it fails. PYTEST_ARGS adds arguments to every pass (e.g. --durations=20).
define pytest_pass
	t=$$(mktemp -d /tmp/rune-$@.XXXXXX) && \
	$(2) $(BIN)/python -m pytest -q --basetemp=$$t $(1) $(PYTEST_ARGS); \
	rc=$$?; if [ $$rc = 0 ]; then rm -rf $$t; else echo "$@: its tmp files are in $$t"; fi; exit $$rc
endef

test: eval-deps pg-deps browser-deps web studio studio-unit lint lit units

clean:
	rm -rf build .pytest_cache

# The two distributions (README, "Install"): their wheels in build/wheels, and what installing
# each one adds to a fresh venv.
.PHONY: wheels install-sizes
wheels: setup
	$(BIN)/python dist/wheels.py build build/wheels

install-sizes: setup
	$(BIN)/python dist/wheels.py sizes

# docs/manifest.schema.json and docs/abi-imports.json are generated from rune.abi, as is the import
# table in docs/abi.md (rune.abi.imports.markdown_table); tests keep all three current.
.PHONY: schema
schema: setup
	$(BIN)/python -m rune.abi.schema docs/manifest.schema.json
	$(BIN)/python -m rune.abi.schema --imports docs/abi-imports.json

# Fuzzing (tests/fuzz): every target for FUZZ_SECONDS each, FUZZ_JOBS targets at once, each in a
# worker process with a per-input timeout and an RSS cap that is restarted after any finding.
# Findings and the grown corpus go to build/fuzz/; `make test` replays the checked-in corpus.
FUZZ_SECONDS ?= 180
FUZZ_JOBS ?= 2
FUZZ_TARGETS ?=
.PHONY: fuzz

fuzz: setup
	$(BIN)/python -m pip install --quiet 'atheris==2.3.0'
	$(BIN)/python tests/fuzz/campaign.py --seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS) $(FUZZ_TARGETS)

bench: setup eval-deps
	$(BIN)/python benchmarks/bench_memory.py
	$(BIN)/python benchmarks/runtime/bench_overhead.py
	$(BIN)/python benchmarks/bench_goals.py
	$(BIN)/python benchmarks/bench_compiled_models.py
	$(BIN)/python benchmarks/bench_precision.py
	$(BIN)/python benchmarks/bench_eval.py
	$(BIN)/python benchmarks/bench_forge.py
	$(BIN)/python benchmarks/mcu/bench_mcu.py --if-available --out /tmp/mcu_figures.md

# Models compiled into the rune: compiled vs LiteRT, whole-pipeline arenas.
bench-models: setup
	$(BIN)/python benchmarks/bench_compiled_models.py

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

# `rune eval` (docs/eval.md): its tests and benchmark synthesise speech with espeak-ng and sox and
# open the HTML report in headless Chromium; Debian's packages, installed as root or through sudo.
EVAL_DEBS := espeak-ng sox chromium
.PHONY: eval-deps test-eval

eval-deps:
	dpkg -s $(EVAL_DEBS) >/dev/null 2>&1 || { $(SUDO) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $(EVAL_DEBS); }

test-eval: setup eval-deps
	$(BIN)/python -m pytest -q tests/eval

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

# The Forge studio (studio/, docs/forge.md "The studio"): React + Vite, built into studio/dist
# with the browser runtime beside it, and served by `forge serve` at /. Node >= 20.19 and npm
# come from Debian when missing; Debian's Chromium (browser-deps) drives tests/studio through
# playwright-core.
STUDIO_DEBS := nodejs npm
STUDIO_SOURCES := $(shell find studio/src -type f 2>/dev/null) studio/index.html studio/vite.config.ts studio/tsconfig.json
.PHONY: studio studio-deps studio-unit test-studio

studio-deps: browser-deps
	command -v npm >/dev/null || { $(SUDO) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $(STUDIO_DEBS); }

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
