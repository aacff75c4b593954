# lit configuration for coopt (test infrastructure only; the product is C).
import os
import lit.formats

config.name = "coopt"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
# Only .mlir and .test files are tests; inputs and helpers live beside
# them (Inputs/ folders hold .mlir inputs that are not tests).
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.coopt_obj_root, "test")

path = config.coopt_tools_dirs + [config.coopt_examples_dir, config.coopt_test_bin_dir, config.coopt_runtime_bin_dir,
        config.llvm_tools_dir, config.environment.get("PATH", os.environ.get("PATH", ""))]
config.environment["PATH"] = os.pathsep.join(path)
# Tests must not depend on the terminal or the user's locale.
config.environment["LC_ALL"] = "C"

# A sanitizer build: any report aborts the process, so a crash-free exit
# code can never hide one (`not` fails on a signal, and the bad-input
# corpus wants exactly 1); leaks at exit count, on error paths too.
if config.coopt_sanitize:
    abort = "abort_on_error=1:halt_on_error=1:print_stacktrace=1"
    config.environment["ASAN_OPTIONS"] = abort + ":detect_leaks=1:detect_odr_violation=0"
    config.environment["UBSAN_OPTIONS"] = abort
    config.environment["LSAN_OPTIONS"] = "suppressions=" + os.path.join(config.test_source_root, "lsan.supp")
    config.available_features.add("sanitizer")

# The x86 features the runtime's tiles use (it detects them itself with
# CPUID; tests that name a level must know whether this CPU reaches it).
try:
    with open("/proc/cpuinfo") as f:
        cpu_flags = next((l.split(":", 1)[1].split() for l in f if l.startswith("flags")), [])
except OSError:
    cpu_flags = []
if "avx_vnni" in cpu_flags:
    config.available_features.add("x86-avxvnni")
if {"avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512vbmi", "avx512_vbmi2"} <= set(cpu_flags):
    config.available_features.add("x86-avx512")

config.substitutions.append(("%coopt_src", config.coopt_src_root))
config.substitutions.append(("%coopt_obj", config.coopt_obj_root))
config.substitutions.append(("%coopt_runtime_bin", config.coopt_runtime_bin_dir))
config.substitutions.append(("%mlir_opt", os.path.join(config.llvm_tools_dir, "mlir-opt")))

# Programs built from a compiled model link the runtime libraries the build
# made, as an embedder links the installed ones: the host's (with the
# kernels its CPU runs) and the aarch64 copy cross-built with
# cmake/toolchains/aarch64-linux-gnu.cmake (+dotprod), which run under qemu.
def runtime_link(libdir):
    return "-I{} {} {} -lm".format(os.path.join(config.coopt_src_root, "runtime", "include"),
                                   os.path.join(libdir, "libcoopt_rt_kernels.a"),
                                   os.path.join(libdir, "libcoopt_rt.a"))

config.substitutions.append(("%coopt_rt_host", runtime_link(config.coopt_runtime_bin_dir)))
config.substitutions.append(("%coopt_rt_aarch64",
                             runtime_link(os.path.join(config.coopt_obj_root, "runtime-aarch64", "lib"))))
# The host compiler for those programs: in a sanitizer build the libraries
# are instrumented, and so must the program that links them be.
# Each command is a substitution for RUN lines and, for the scripts under
# Inputs/ that build programs themselves, an environment variable.
for name, command in (("cc_host", "clang-22 -fsanitize=" + config.coopt_sanitize if config.coopt_sanitize else "cc"),
                      ("cc_aarch64", "clang-22 --target=aarch64-linux-gnu -fuse-ld=lld"),
                      ("run_aarch64", "qemu-aarch64 -L /usr/aarch64-linux-gnu")):
    config.substitutions.append(("%" + name, command))
    config.environment["COOPT_" + name.upper()] = command
