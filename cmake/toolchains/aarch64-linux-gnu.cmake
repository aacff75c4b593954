# Cross-compiling for 64-bit Arm Linux with Debian's clang-22, linking with
# lld against the aarch64 C library of gcc-aarch64-linux-gnu
# (/usr/aarch64-linux-gnu); programs run under qemu-aarch64.
#   cmake -S runtime -B build-a64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
# COOPT_AARCH64_MARCH is the baseline of the build (default armv8-a, so the
# runtime runs on every 64-bit Arm core, a Cortex-A53 or A72 included): the
# dotprod and i8mm tiles are built with their own -march and chosen at run
# time from AT_HWCAP (runtime/CMakeLists.txt), so a Neoverse N1 or V2 still
# gets SDOT and SMMLA.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(COOPT_AARCH64_TRIPLE aarch64-linux-gnu)
set(COOPT_AARCH64_MARCH "armv8-a" CACHE STRING "baseline -march for the aarch64 build")

set(CMAKE_C_COMPILER clang-22)
set(CMAKE_C_COMPILER_TARGET ${COOPT_AARCH64_TRIPLE})
set(CMAKE_C_FLAGS_INIT "-march=${COOPT_AARCH64_MARCH}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-fuse-ld=lld")
set(CMAKE_AR llvm-ar-22)
set(CMAKE_RANLIB llvm-ranlib-22)

set(CMAKE_FIND_ROOT_PATH /usr/${COOPT_AARCH64_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/${COOPT_AARCH64_TRIPLE})
