#!/bin/sh
# Install what coopt needs from Debian, only what is missing.
# Usage: scripts/install-deps.sh [--check | --tests | --fuzz | --results | --bench]
#   --check: report, install nothing; --tests: also what `make check` needs;
#   --results: also what `make results`
#   needs (torch for the peer rows); --bench: also the benchmark peers
#   (XNNPACK).
set -eu

# Build and test: MLIR 22 (C API archives, libMLIR.so), lit/FileCheck, a C compiler.
PKGS="cmake ninja-build make gcc g++ llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22"
# ONNX import: protobuf-c and the onnx.proto Debian ships; zlib for IDX datasets.
PKGS="$PKGS libprotobuf-c-dev protobuf-c-compiler libonnx-dev zlib1g-dev"
# Post-training recovery: BLAS and LAPACK for the layer-wise least squares.
PKGS="$PKGS libopenblas-dev liblapacke-dev"
# The aarch64 kernels: Debian's cross toolchain (clang-22 compiles, the GNU
# cross sysroot links) and qemu-user to run their tests.
PKGS="$PKGS gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"
# Real data and conformance data for the tests.
PKGS="$PKGS dataset-fashion-mnist libonnx-testdata"
# `make check` also tests coopt-explore's report in a real browser (headless
# Chromium), validates it (tidy) and runs its --plan lines with GNU parallel.
if [ "${1:-}" = "--tests" ]; then
  PKGS="$PKGS chromium tidy parallel"
  # The installed tree is tested with pkg-config, the sources with
  # clang-format (`make format-check`).
  PKGS="$PKGS pkg-config clang-format-22"
fi
# The sanitizer runtimes of clang-22 (`make check SANITIZE=...`, and the
# subset CI runs) and libFuzzer (`make fuzz`).
if [ "${1:-}" = "--tests" ] || [ "${1:-}" = "--fuzz" ]; then
  PKGS="$PKGS libclang-rt-22-dev"
fi


# `make results` compares with torch's own pruning and quantization.
if [ "${1:-}" = "--results" ]; then
  PKGS="$PKGS python3-torch python3-onnx python3-numpy"
fi
# `make bench` compares the kernels with XNNPACK and whole models with torch.
if [ "${1:-}" = "--bench" ]; then
  PKGS="$PKGS libxnnpack-dev libpthreadpool-dev python3-torch python3-onnx python3-numpy"
fi

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "missing packages:$missing"
  exit 1
fi

echo "install-deps: installing$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
  SUDO="sudo"
fi
# An apt index older than the package set (or none at all on a fresh
# machine) makes apt-get install fail; refresh it once first.
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
