# coopt: the two commands of the README.
#   make run    install what is missing, build, run the main job on the bundled model
#   make check  install what is missing, build, run every test
BUILD ?= build
WERROR ?= ON
CMAKE_FLAGS ?=
# make check SANITIZE=address,undefined: the whole suite on a sanitizer build
# (clang-22, its own build directory).  make check-sanitize: the subset CI
# runs (SANITIZE_TESTS, a lit --filter).
SANITIZE ?=
SANITIZE_TESTS ?= unit-|bad-inputs|regressions|Transforms/|Import/import|capi|explore-invalid|pathological|Compiled/kernels-bit-exact|Compiled/pass-numerics
CMAKE_ENV :=
ifneq ($(SANITIZE),)
BUILD := build-sanitize
CMAKE_ENV := CC=clang-22 CXX=clang++-22
CMAKE_FLAGS += -DCOOPT_SANITIZE=$(SANITIZE)
endif

.PHONY: all deps build run check check-sanitize format format-check bench results fuzz clean

all: build

deps:
	@sh scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt | deps
	$(CMAKE_ENV) cmake -S . -B $(BUILD) -G Ninja -DCOOPT_WERROR=$(WERROR) $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD)

run: build
	@sh scripts/run-example.sh $(BUILD)

check: build
	@sh scripts/install-deps.sh --tests
	@sh scripts/check.sh $(BUILD)

check-sanitize:
	@sh scripts/install-deps.sh --tests
	@$(MAKE) --no-print-directory build SANITIZE=address,undefined
	@sh scripts/check.sh build-sanitize "$(SANITIZE_TESTS)"

bench: build
	@sh scripts/install-deps.sh --bench
	@sh bench/bench-stats.sh $(BUILD)
	@sh bench/bench-compress.sh $(BUILD)
	@sh bench/bench-kernels.sh $(BUILD)
	@sh bench/kernel-costs.sh $(BUILD)
	@sh bench/bench-compiled.sh $(BUILD)
	@sh bench/bench-masked.sh $(BUILD)
	@sh bench/bench-size.sh $(BUILD)
	@sh bench/bench-recover.sh $(BUILD)

# The seed's results table (docs/Results.md); minutes, and it needs torch.
results: build
	@sh scripts/install-deps.sh --results
	@sh scripts/results.sh $(BUILD)

# clang-format-22 under .clang-format: check (CI) or rewrite.
format-check:
	@sh scripts/install-deps.sh --tests
	@sh scripts/format.sh

format:
	@sh scripts/install-deps.sh --tests
	@sh scripts/format.sh --fix

# libFuzzer targets under ASan/UBSan ($(BUILD)-fuzz), FUZZ_SECONDS (120) each.
fuzz: build
	@sh scripts/install-deps.sh --fuzz
	@sh scripts/fuzz.sh $(BUILD)

clean:
	rm -rf build build-fuzz build-sanitize
