# coopt: the two commands of the README.
#   make run    install what is missing, build, run the main job on the bundled model
#   make check  install what is missing, build, run every test
BUILD ?= build
WERROR ?= ON
CMAKE_FLAGS ?=

.PHONY: all deps build run check bench results fuzz clean

all: build

deps:
	@sh scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -G Ninja -DCOOPT_WERROR=$(WERROR) $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD)

run: build
	@sh scripts/run-example.sh $(BUILD)

check: build
	@sh scripts/install-deps.sh --tests
	@sh scripts/check.sh $(BUILD)

bench: build
	@sh scripts/install-deps.sh --bench
	@sh bench/bench-stats.sh $(BUILD)
	@sh bench/bench-compress.sh $(BUILD)
	@sh bench/bench-kernels.sh $(BUILD)
	@sh bench/bench-compiled.sh $(BUILD)
	@sh bench/bench-size.sh $(BUILD)
	@sh bench/bench-recover.sh $(BUILD)

# The seed's results table (docs/Results.md); minutes, and it needs torch.
results: build
	@sh scripts/install-deps.sh --results
	@sh scripts/results.sh $(BUILD)

# libFuzzer targets under ASan/UBSan ($(BUILD)-fuzz), FUZZ_SECONDS (120) each.
fuzz: build
	@sh scripts/install-deps.sh --fuzz
	@sh scripts/fuzz.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz
