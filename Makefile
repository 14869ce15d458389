# Thin wrapper around Meson. `make demo` and `make test` are the two entry
# points; both install missing Debian packages first.
BUILD ?= build
ASAN_BUILD ?= build-asan
MESON ?= meson

.PHONY: all deps build build-asan test test-unit test-spec demo bench fuzz install clean

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) --buildtype=debugoptimized

$(ASAN_BUILD)/build.ninja:
	$(MESON) setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

# Every test: the unit tests and the spec suite in the normal build, then
# the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
test: build build-asan
	@./scripts/run-tests.sh $(BUILD) $(ASAN_BUILD)

test-unit: build
	$(MESON) test -C $(BUILD) --suite unit --print-errorlogs

test-spec: build
	$(MESON) test -C $(BUILD) --suite spec --print-errorlogs -v

demo: build
	@./scripts/demo.sh $(BUILD)

bench: build
	@./bench/run.sh $(BUILD)

fuzz: deps
	test -f build-fuzz/build.ninja || CC=clang $(MESON) setup build-fuzz -Dfuzz=true \
		--buildtype=debugoptimized -Db_lundef=false -Db_sanitize=address,undefined \
		-Dc_args=-fsanitize=fuzzer-no-link
	ninja -C build-fuzz
	@echo "fuzzers in build-fuzz/fuzz/ (see docs/fuzzing.md)"

install: build
	$(MESON) install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
