# Everything the project needs is installed from here: `make demo` and `make test` work on a fresh
# machine with Python 3.11 and nothing else.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint lit unit clean bench

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

test: lint lit unit

clean:
	rm -rf build .pytest_cache

bench: setup
	$(BIN)/python benchmarks/bench_fusion.py
	$(BIN)/python benchmarks/bench_memory.py
	$(BIN)/python benchmarks/bench_compile_time.py
