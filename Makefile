# The two commands a new machine needs: `make run` and `make test`. Both install what is missing first.
.PHONY: run test build build-debug setup setup-test fuzz clean

JOBS ?= 2
FUZZ_SECONDS ?= 30
RUN_ARGS ?=

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

build: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

run: build
	./build/release/deskgate serve $(RUN_ARGS)

build-debug: setup-test
	@cmake --preset debug >/dev/null
	@cmake --build --preset debug -j $(JOBS)

test: build-debug
	@scripts/run-tests.sh build/debug $(FUZZ_SECONDS)

fuzz: setup-test
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@scripts/run-fuzz.sh build/fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build
